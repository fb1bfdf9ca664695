"""Small queries the contact use cases stand on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from govern.contact.models import Call, ContactPermit, Line
from govern.debtors.models import Debtor, DebtorLookup

# ---- lines and calls (R-NTE-2) -------------------------------------------------------------------


def line_for_update(db: Session, line_id: str) -> Line | None:
    """The line, locked until the transaction ends (two retirements never both pass)."""
    return db.get(Line, line_id, with_for_update=True)


def line_numbered(db: Session, number: str) -> Line | None:
    """The line registered under `number` (its kept form), active or retired."""
    return db.scalar(select(Line).where(Line.number == number))


def lines(db: Session) -> list[Line]:
    """Every registered line, retired ones too, in the order they were registered."""
    return list(db.scalars(select(Line).order_by(Line.registered_at, Line.id)))


def call_by_system_id(db: Session, system_call_id: str) -> Call | None:
    return db.scalar(select(Call).where(Call.system_call_id == system_call_id))


def calls(
    db: Session,
    flagged: bool,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[Call]:
    """Calls by start, newest first; `flagged`: only those over an unregistered line."""
    query = select(Call)
    if flagged:
        query = query.where(Call.unregistered_line.is_(True))
    if since is not None:
        query = query.where(Call.started_at >= since)
    if until is not None:
        query = query.where(Call.started_at < until)
    return list(db.scalars(query.order_by(Call.started_at.desc(), Call.id).limit(limit)))


def live_permit(db: Session, number_digest: bytes, at: datetime) -> ContactPermit | None:
    """The newest permit to dial `number_digest` that was live at `at` and no call has taken:
    issued at or before `at`, expiring after it. Locked until the caller's transaction ends,
    so two reports never take one permit."""
    query = (
        select(ContactPermit)
        .where(
            ContactPermit.number_digest == number_digest,
            ContactPermit.call_id.is_(None),
            ContactPermit.issued_at <= at,
            ContactPermit.expires_at > at,
        )
        .order_by(ContactPermit.issued_at.desc(), ContactPermit.id)
        .limit(1)
    )
    return db.scalar(query.with_for_update())


def lock_debtor(db: Session, debtor_id: str) -> None:
    """Hold the debtor's row until the transaction ends: the guard counts a debtor's attempts
    under the same lock, so it never sees a permit and the call that took it both, or neither."""
    db.execute(select(Debtor.id).where(Debtor.id == debtor_id).with_for_update())


def debtors_with_phone(db: Session, number_digest: bytes) -> list[str]:
    """The debtors one of whose own phones has this digest."""
    query = select(DebtorLookup.debtor_id).where(
        DebtorLookup.kind == "phone", DebtorLookup.digest == number_digest
    )
    return list(db.scalars(query.distinct().order_by(DebtorLookup.debtor_id)))
