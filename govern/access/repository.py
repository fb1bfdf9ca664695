"""The stored policy: casbin's lines (`casbin_rule`), the version, break-glass grants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import BindParameter

from govern.access.models import BreakGlassGrant, PolicyLine, PolicyVersion
from govern.db import HotStatement
from govern.directory.models import Identity
from govern.training.repository import record_entries

_COLUMNS = ("ptype", "v0", "v1", "v2", "v3", "v4", "v5")
_VERSION_ROW = 1


def lines(db: Session) -> list[tuple[str, ...]]:
    """Every stored policy line, as (ptype, v0, …) without trailing empties. One query."""
    table = PolicyLine.__table__
    rows = db.execute(select(*(table.c[name] for name in _COLUMNS)).order_by(table.c.id))
    return [tuple(v for v in row if v is not None) for row in rows]


_VERSION = HotStatement(select(PolicyVersion.version).where(PolicyVersion.id == _VERSION_ROW))


def version(db: Session) -> int | None:
    """The policy version, or None when no policy was ever stored. Every request that reads
    debtor data asks it: a hot statement (govern/db.py)."""
    return _VERSION.scalar(db, {})


@dataclass(frozen=True)
class Versions:
    """What a debtor read checks afresh: the policy version, the contracts' version and how
    many entries the viewer's training record holds (`record_entries`)."""

    policy: int
    contracts: int
    training_entries: int


def versions_read(account_id: BindParameter) -> list[ColumnElement]:
    """The columns `Versions` is made of (`as_versions`) for the viewer `account_id`, each a
    scalar subquery: a debtor read may read them with its own row, in its one round trip."""
    row = PolicyVersion.id == _VERSION_ROW
    return [
        select(PolicyVersion.version).where(row).scalar_subquery(),
        select(PolicyVersion.contracts).where(row).scalar_subquery(),
        record_entries(account_id),
    ]


def as_versions(columns: Sequence[Any]) -> Versions | None:
    """The `Versions` of the columns `versions_read` gave; None when no policy was ever
    stored."""
    policy, contracts, entries = columns
    return None if policy is None else Versions(policy, contracts, entries)


_READING = HotStatement(select(*versions_read(bindparam("account_id"))))


def versions(db: Session, account_id: str) -> Versions | None:
    """The `Versions` a debtor read of `account_id` is decided at, in one round trip; None
    when no policy was ever stored. A hot statement (govern/db.py); what this session added
    counts."""
    db.flush()  # the ORM would have: a result recorded in this session counts
    return as_versions(_READING.rows(db, {"account_id": account_id})[0])


def bump_contracts(db: Session) -> None:
    """A creditor was created, or its contract changed or ended: every instance reads the
    contracts it keeps again at its next request. The caller commits."""
    db.execute(
        update(PolicyVersion)
        .where(PolicyVersion.id == _VERSION_ROW)
        .values(contracts=PolicyVersion.contracts + 1)
    )


def store_first(db: Session, policy: list[tuple[str, ...]], actor: str, at: datetime) -> None:
    """Store the first policy and version 1, in bulk (one INSERT). The caller commits."""
    db.add(PolicyVersion(id=_VERSION_ROW, version=1, changed_by=actor, changed_at=at))
    db.flush()  # a concurrent first store fails here, on the version row's key
    if policy:
        db.execute(insert(PolicyLine), [line_row(line) for line in policy])


def lock_version(db: Session) -> PolicyVersion:
    """The version row, held until the transaction ends (PostgreSQL; SQLite writes one at a
    time anyway)."""
    row = db.get(PolicyVersion, _VERSION_ROW, with_for_update=True)
    assert row is not None, "a policy is stored before it is changed"
    return row


def change(
    db: Session,
    version: PolicyVersion,
    added: list[tuple[str, ...]],
    removed: list[tuple[str, ...]],
    actor: str,
    at: datetime,
) -> int:
    """Remove exactly the lines named (every column equal) and add the others; bump the
    version (locked by `lock_version`). Returns the new version. The caller commits."""
    for line in removed:
        values = line_row(line)
        db.execute(
            delete(PolicyLine).where(and_(*(_equals(name, values[name]) for name in _COLUMNS)))
        )
    if added:
        db.execute(insert(PolicyLine), [line_row(line) for line in added])
    version.version, version.changed_by, version.changed_at = version.version + 1, actor, at
    return version.version


def department_groups(db: Session, department: str) -> frozenset[str]:
    """The project groups whose staff belong to `department` (from the directory)."""
    query = select(Identity.project_group).where(
        Identity.department == department, Identity.project_group.is_not(None)
    )
    return frozenset(db.scalars(query.distinct()))  # type: ignore[arg-type]


def live_grant(
    db: Session, account_id: str, debtor_id: str | None, project_group: str, now: datetime
) -> BreakGlassGrant | None:
    """A break-glass grant covering the debtor (itself, or its project group) right now."""
    query = select(BreakGlassGrant).where(
        BreakGlassGrant.account_id == account_id,
        BreakGlassGrant.granted_at <= now,
        BreakGlassGrant.expires_at > now,
        (BreakGlassGrant.debtor_id == debtor_id) | (BreakGlassGrant.project_group == project_group),
    )
    return db.scalars(query.order_by(BreakGlassGrant.granted_at)).first()


def line_row(line: tuple[str, ...]) -> dict[str, str | None]:
    """A policy line as a `casbin_rule` row: ptype, v0 … v5 (missing values empty)."""
    values = list(line) + [None] * (len(_COLUMNS) - len(line))
    return dict(zip(_COLUMNS, values, strict=True))


def _equals(name: str, value: str | None) -> object:
    column = PolicyLine.__table__.c[name]
    return column.is_(None) if value is None else column == value
