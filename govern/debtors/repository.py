"""Small queries the debtor use cases stand on."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govern.debtors.models import Debtor, DebtorLookup
from govern.directory.models import Identity


def debtor(db: Session, debtor_id: str) -> Debtor | None:
    return db.get(Debtor, debtor_id)


def caseload(db: Session, groups: frozenset[str], after: str, limit: int) -> list[Debtor]:
    """Debtors of `groups`, by id, a page after `after`."""
    query = select(Debtor).where(Debtor.project_group.in_(groups), Debtor.id > after)
    return list(db.scalars(query.order_by(Debtor.id).limit(limit)))


def by_digest(db: Session, kind: str, digest: bytes) -> list[Debtor]:
    query = (
        select(Debtor)
        .join(DebtorLookup, DebtorLookup.debtor_id == Debtor.id)
        .where(DebtorLookup.kind == kind, DebtorLookup.digest == digest)
    )
    return list(db.scalars(query.order_by(Debtor.id).distinct()))


def known_project_groups(db: Session) -> set[str]:
    query = select(Identity.project_group).where(Identity.project_group.is_not(None))
    return set(db.scalars(query.distinct()))  # type: ignore[arg-type]


def case_numbers(db: Session) -> set[str]:
    return set(db.scalars(select(Debtor.case_no)))


def sealed_under_other_keys(db: Session, current: str, limit: int) -> list[Debtor]:
    """A batch of debtors whose fields are sealed under a key other than `current`."""
    query = select(Debtor).where(Debtor.key_id != current).order_by(Debtor.id).limit(limit)
    return list(db.scalars(query.with_for_update(skip_locked=True)))


def count_under_other_keys(db: Session, current: str) -> int:
    return db.scalar(select(func.count()).where(Debtor.key_id != current)) or 0
