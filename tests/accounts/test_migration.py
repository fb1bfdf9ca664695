"""Revision 0009 gives every existing suspension a kind: the sweep's are `inactivity`, every
other one `security` (IT's to lift); the way back drops the kinds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from govern.db import UTCDateTime, make_engine
from tests.audit.test_migration import migrate

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
IDENTITIES = sa.table(
    "identities",
    *(sa.column(name) for name in ("employee_number", "username", "name", "department")),
    sa.column("roles", sa.JSON()),
    sa.column("synced_at", UTCDateTime()),
)
ACCOUNTS = sa.table(
    "accounts",
    *(sa.column(name) for name in ("id", "employee_number", "state", "issued_by")),
    sa.column("issued_at", UTCDateTime()),
)
TRANSITIONS = sa.table(
    "account_transitions",
    *(sa.column(name) for name in ("account_id", "from_state", "to_state", "actor", "reason")),
    sa.column("at", UTCDateTime()),
)
#: account → its moves into `suspended` before 0009 (actor, reason), oldest first.
SUSPENDED_BEFORE = {
    "GV-IDLE-0001": [("deprovision", "unused for 90 days")],
    "GV-LEAK-0002": [("operator:root", "suspected data leak")],
    "GV-BOTH-0003": [("deprovision", "unused for 90 days"), ("GV-HEAD-0009", "on leave")],
    "GV-THEN-0004": [("GV-ITIT-0008", "checking"), ("deprovision", "unused for 30 days")],
}


@pytest.fixture
def owner(empty_database: tuple[str, str]) -> Iterator[Engine]:
    engine = make_engine(empty_database[1])
    yield engine
    engine.dispose()


def write_suspensions(engine: Engine) -> None:
    with engine.begin() as connection:
        for n, (account, moves) in enumerate(SUSPENDED_BEFORE.items()):
            number = f"10{n}"
            connection.execute(
                IDENTITIES.insert().values(
                    employee_number=number,
                    username=f"user{n}",
                    name="x",
                    department="dept-a",
                    roles=[],
                    synced_at=AT,
                )
            )
            connection.execute(
                ACCOUNTS.insert().values(
                    id=account,
                    employee_number=number,
                    state="suspended",
                    issued_by="x",
                    issued_at=AT,
                )
            )
            for actor, reason in moves:
                connection.execute(
                    TRANSITIONS.insert().values(
                        account_id=account,
                        from_state="active",
                        to_state="suspended",
                        actor=actor,
                        reason=reason,
                        at=AT,
                    )
                )


def test_existing_suspensions_get_a_kind_and_the_way_back_drops_it(owner: Engine) -> None:
    migrate(owner, "0008")
    write_suspensions(owner)
    migrate(owner, "0009")
    with owner.connect() as connection:
        kinds = dict(connection.execute(sa.text("SELECT id, suspension_kind FROM accounts")).all())
        moves = connection.execute(
            sa.text("SELECT actor, suspension_kind FROM account_transitions ORDER BY id")
        ).all()
    assert kinds == {
        "GV-IDLE-0001": "inactivity",
        "GV-LEAK-0002": "security",
        "GV-BOTH-0003": "security",  # the latest suspension counts
        "GV-THEN-0004": "inactivity",
    }
    assert {(actor, kind) for actor, kind in moves} == {
        ("deprovision", "inactivity"),
        ("operator:root", "security"),
        ("GV-HEAD-0009", "security"),
        ("GV-ITIT-0008", "security"),
    }
    migrate(owner, "0008", down=True)
    columns = {c["name"] for c in sa.inspect(owner).get_columns("accounts")}
    assert "suspension_kind" not in columns and "state" in columns
