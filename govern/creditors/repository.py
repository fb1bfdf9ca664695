"""Small queries of the creditors and their certificates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.entry import decode
from audit.queries import EventFilter, find_events
from govern.creditors.models import Creditor, DeletionCertificate


def creditor(db: Session, creditor_id: str, lock: bool = False) -> Creditor | None:
    query = select(Creditor).where(Creditor.id == creditor_id)
    if lock:  # read again under the lock, whatever the session held
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalar(query)


def by_name(db: Session, name: str) -> Creditor | None:
    return db.scalar(select(Creditor).where(Creditor.name == name))


def creditors(db: Session) -> Sequence[Creditor]:
    """Every creditor, by name."""
    return db.scalars(select(Creditor).order_by(Creditor.name)).all()


def of_clients(db: Session, names: Sequence[str]) -> Sequence[Creditor]:
    return db.scalars(select(Creditor).where(Creditor.name.in_(names))).all()


def due(db: Session, last_day_before: date) -> list[str]:
    """The ids of creditors not ended whose contract's last day is before `last_day_before`."""
    query = select(Creditor.id).where(
        Creditor.ended_at.is_(None), Creditor.contract_end < last_day_before
    )
    return list(db.scalars(query.order_by(Creditor.id)))


def certificate(db: Session, creditor_id: str) -> DeletionCertificate | None:
    query = select(DeletionCertificate).where(DeletionCertificate.creditor_id == creditor_id)
    return db.scalar(query)


def certificates(db: Session) -> Sequence[DeletionCertificate]:
    """Every deletion certificate, newest first."""
    query = select(DeletionCertificate).order_by(DeletionCertificate.issued_at.desc())
    return db.scalars(query).all()


def ended_details(db: Session, creditor_id: str) -> dict[str, Any]:
    """The details of the creditor's `creditor.contract_ended` event: what its end destroyed."""
    wanted = EventFilter(object=creditor_id, action="creditor.contract_ended", limit=1)
    (_, entry), *_ = find_events(db.connection(), wanted)
    return decode(entry)["details"]
