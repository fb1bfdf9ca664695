"""Small queries the contact use cases stand on."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from govern.contact.models import Call, ComplaintCase, ContactBlock, ContactPermit
from govern.debtors.models import Debtor

OUTBOUND = "outbound"
OPEN = "open"


def locked_debtor(db: Session, debtor_id: str) -> Debtor | None:
    """The debtor, its row locked until the transaction ends: checks of one debtor's calls
    are taken one at a time (PostgreSQL: `FOR UPDATE`; SQLite's transactions begin with
    `BEGIN IMMEDIATE` and already hold its one write lock, govern/db.py)."""
    query = select(Debtor).where(Debtor.id == debtor_id).with_for_update()
    return db.scalars(query.execution_options(populate_existing=True)).first()


def calls_to(
    db: Session, digests: Collection[bytes], since: datetime
) -> list[tuple[datetime, bool, bool, bytes]]:
    """(started, outbound, connected, number digest) of every call to or from these numbers
    that started at or after `since`, inbound ones included."""
    query = select(Call.started_at, Call.direction, Call.answered_at, Call.number_digest).where(
        Call.number_digest.in_(list(digests)), Call.started_at >= since
    )
    return [
        (started, direction == OUTBOUND, answered is not None, digest)
        for started, direction, answered, digest in db.execute(query)
    ]


def live_permits(
    db: Session, digests: Collection[bytes], since: datetime, now: datetime
) -> list[tuple[datetime, bytes]]:
    """(issued, number digest) of the permits to these numbers issued at or after `since`
    that no reported call has used and that have not expired."""
    query = select(ContactPermit.issued_at, ContactPermit.number_digest).where(
        ContactPermit.number_digest.in_(list(digests)),
        ContactPermit.issued_at >= since,
        ContactPermit.call_id.is_(None),
        ContactPermit.expires_at > now,
    )
    return [(issued, digest) for issued, digest in db.execute(query)]


def blocked(db: Session, debtor_id: str, party: str) -> bool:
    """Whether the party asked not to be contacted (R-CON-4)."""
    query = select(ContactBlock.id).where(
        ContactBlock.debtor_id == debtor_id, ContactBlock.party == party
    )
    return bool(db.scalar(select(exists(query))))


def complaint_open(db: Session, debtor_id: str) -> bool:
    """Whether a complaint case stops collection on the debtor (R-CON-5)."""
    query = select(ComplaintCase.id).where(
        ComplaintCase.debtor_id == debtor_id, ComplaintCase.state == OPEN
    )
    return bool(db.scalar(select(exists(query))))


def add_permit(db: Session, permit: ContactPermit) -> None:
    db.add(permit)
