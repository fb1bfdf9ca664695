"""Investigations open before approvals existed (revision 0010) open nothing after the upgrade:
they wait for an approval they cannot get without a justification; the way back drops it all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from govern.db import UTCDateTime, make_engine
from govern.errors import Conflict, Forbidden
from govern.investigations import rules
from govern.investigations.models import Investigation
from tests.audit.test_migration import migrate

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
OLD = sa.table(
    "investigations",
    sa.column("id", sa.String),
    sa.column("opened_by", sa.String),
    sa.column("opened_at", UTCDateTime()),
    sa.column("debtor_ids", sa.JSON),
    sa.column("fields", sa.JSON),
    sa.column("window_start", UTCDateTime()),
    sa.column("window_end", UTCDateTime()),
    sa.column("closed_at", UTCDateTime()),
)


@pytest.fixture
def owner(empty_database: tuple[str, str]) -> Iterator[Engine]:
    engine = make_engine(empty_database[1])
    yield engine
    engine.dispose()


def old_investigation(name: str, closed: datetime | None) -> dict:
    return {
        "id": name,
        "opened_by": "GV-AUDI-T001",
        "opened_at": AT,
        "debtor_ids": ["DB-0001-0001"],
        "fields": ["phones"],
        "window_start": AT,
        "window_end": AT,
        "closed_at": closed,
    }


def test_r_acs_3_investigations_open_before_0010_open_nothing_until_approved(owner) -> None:
    migrate(owner, "0009")
    with owner.begin() as connection:
        connection.execute(
            sa.insert(OLD),
            [old_investigation("INV-OPEN", None), old_investigation("INV-DONE", AT)],
        )
    migrate(owner, "head")
    with Session(owner) as db:
        still_open, closed = db.get(Investigation, "INV-OPEN"), db.get(Investigation, "INV-DONE")
        assert (still_open.field_access, closed.field_access) == ("pending", None)
        with pytest.raises(Forbidden) as refused:
            rules.check_opens(still_open, "GV-AUDI-T001", "DB-0001-0001", AT, {})
        assert refused.value.code == "investigation.not_approved"
        rules.check_decider(still_open, "GV-AUDI-T002", {})  # another auditor may decide it ...
        with pytest.raises(Conflict) as unjustified:  # ... but has nothing to approve
            rules.check_approvable(still_open)
        assert unjustified.value.code == "investigation.request_incomplete"
    migrate(owner, "0009", down=True)
    with owner.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("investigations")}
        kept = connection.execute(sa.select(OLD.c.id).order_by(OLD.c.id)).scalars().all()
    assert "field_access" not in columns and "justification" not in columns
    assert kept == ["INV-DONE", "INV-OPEN"]
