"""Small queries the debtor use cases stand on."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, bindparam, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from govern.access.repository import Versions, as_versions, versions_read
from govern.debtors.models import Debtor, DebtorLookup
from govern.directory.models import Identity


def debtor(db: Session, debtor_id: str) -> Debtor | None:
    return db.get(Debtor, debtor_id)


#: A column of the debtor's read saying whether the debtor the given id column names is under
#: a complaint stop (the notes capability's, handed in at start-up).
StopColumn = Callable[[ColumnElement[str]], ColumnElement[bool]]


@dataclass(frozen=True)
class DebtorRead:
    """One debtor as a record view reads it: the row, the versions its reading is decided at,
    and whether it is under a complaint stop (None: not asked)."""

    debtor: Debtor
    versions: Versions | None
    stopped: bool | None = None


def debtor_with_versions(
    db: Session, debtor_id: str, account_id: str, stop: StopColumn | None = None
) -> DebtorRead | None:
    """The debtor, the versions its read by `account_id` is decided at (the policy's, the
    contracts', the viewer's training record's size: `access.repository.versions`) and, when
    `stop` is given, its complaint stop, in one round trip; None when there is no such
    debtor."""
    statement = _READS[stop] if stop in _READS else _read_of(stop)
    row = db.execute(statement, {"debtor_id": debtor_id, "account_id": account_id}).first()
    if row is None:
        return None
    stopped = None if stop is None else bool(row[4])
    return DebtorRead(row[0], as_versions(row[1:4]), stopped)


# Every debtor view asks it: each statement built once (one per stop column handed in).
_READS: dict[StopColumn | None, Select] = {}


def _read_of(stop: StopColumn | None) -> Select:
    stopped = [stop(Debtor.id)] if stop is not None else []
    columns = [Debtor, *versions_read(bindparam("account_id")), *stopped]
    statement = select(*columns).where(Debtor.id == bindparam("debtor_id"))
    _READS[stop] = statement
    return statement


def caseload(db: Session, groups: frozenset[str], after: str, limit: int) -> list[Debtor]:
    """Debtors of `groups`, by id, a page after `after`."""
    query = select(Debtor).where(Debtor.project_group.in_(groups), Debtor.id > after)
    return list(db.scalars(query.order_by(Debtor.id).limit(limit)))


def by_digest(db: Session, kind: str, digests: Collection[bytes]) -> list[Debtor]:
    """The debtors with a lookup digest of `kind` among `digests`."""
    query = (
        select(Debtor)
        .join(DebtorLookup, DebtorLookup.debtor_id == Debtor.id)
        .where(DebtorLookup.kind == kind, DebtorLookup.digest.in_(list(digests)))
    )
    return list(db.scalars(query.order_by(Debtor.id).distinct()))


def known_project_groups(db: Session) -> set[str]:
    query = select(Identity.project_group).where(Identity.project_group.is_not(None))
    return set(db.scalars(query.distinct()))  # type: ignore[arg-type]


def case_numbers(db: Session) -> set[str]:
    return set(db.scalars(select(Debtor.case_no)))


def sealed_under_other_keys(db: Session, vault: Sealing, limit: int) -> list[Debtor]:
    """A batch of debtors whose fields are sealed under a key other than their client's now
    (its creditor's, or the current key); a creditor's whose keys were destroyed, never."""
    query = select(Debtor).where(_off_key(vault)).order_by(Debtor.id).limit(limit)
    return list(db.scalars(query.with_for_update(skip_locked=True)))


def count_under_other_keys(db: Session, vault: Sealing) -> int:
    return db.scalar(select(func.count()).where(_off_key(vault))) or 0


class Sealing(Protocol):
    """What the vault tells about whose key is whose (govern/debtors/vault.py)."""

    current: str
    creditors: dict[str, str]
    lookups: dict[str, str]
    destroyed: dict[str, str]


def _off_key(vault: Sealing) -> ColumnElement[bool]:
    own = [
        and_(Debtor.client == c, _off(k, vault.lookups.get(c))) for c, k in vault.creditors.items()
    ]
    others = {*vault.creditors, *vault.destroyed.values()}
    rest = and_(Debtor.client.not_in(others), Debtor.key_id != vault.current)
    return or_(rest, *own)


def _off(key_id: str, lookup_id: str | None) -> ColumnElement[bool]:
    """Sealed under a key other than `key_id`, or its digests under another lookup key."""
    other_lookup = (
        Debtor.lookup_key_id.is_not(None)
        if lookup_id is None
        else or_(Debtor.lookup_key_id.is_(None), Debtor.lookup_key_id != lookup_id)
    )
    return or_(Debtor.key_id != key_id, other_lookup)


def of_client_off_key(
    db: Session, client: str, key_id: str, lookup_id: str | None, limit: int
) -> list[Debtor]:
    """A batch of `client`'s debtors sealed under a key other than `key_id`, or whose digests
    are under a lookup key other than `lookup_id`."""
    query = select(Debtor).where(Debtor.client == client, _off(key_id, lookup_id))
    query = query.order_by(Debtor.id).limit(limit)
    return list(db.scalars(query.with_for_update(skip_locked=True)))


def of_client(db: Session, client: str, key_ids: list[str]) -> tuple[int, int, int]:
    """How many of `client`'s debtors are sealed under one of `key_ids`, how many lookup
    digests all its debtors have, and how many of its debtors are sealed under another key."""
    mine = Debtor.client == client
    under = db.scalar(select(func.count()).where(mine, Debtor.key_id.in_(key_ids))) or 0
    others = db.scalar(select(func.count()).where(mine, Debtor.key_id.not_in(key_ids))) or 0
    digests = (
        select(func.count())
        .select_from(DebtorLookup)
        .join(Debtor, Debtor.id == DebtorLookup.debtor_id)
    )
    return under, db.scalar(digests.where(mine)) or 0, others


def replace_lookups(db: Session, debtor_id: str, rows: list[dict[str, Any]]) -> None:
    """The debtor's lookup digests, these rows in place of those it had."""
    db.execute(delete(DebtorLookup).where(DebtorLookup.debtor_id == debtor_id))
    db.execute(insert(DebtorLookup), rows)


def forget_digests(db: Session, client: str) -> None:
    """Delete the lookup digests of `client`'s debtors from the database as it is now (those
    under its lookup key no remaining key matches; those a rotation had not yet moved under
    it, made under the file's key, would still match a guessed number)."""
    ids = select(Debtor.id).where(Debtor.client == client)
    db.execute(delete(DebtorLookup).where(DebtorLookup.debtor_id.in_(ids)))
