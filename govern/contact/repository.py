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


#: An attempt on a number as the guard reads it back: (at, outbound, connected, number
#: digest, debtor id, party); the debtor and party are None for a call no permit named.
Attempted = tuple[datetime, bool, bool, bytes, str | None, str | None]


def calls_to(db: Session, digests: Collection[bytes], since: datetime) -> list[Attempted]:
    """Every call to or from these numbers that started at or after `since`, whoever it was
    for, inbound ones included; connected when it was answered."""
    query = select(
        Call.started_at,
        Call.direction,
        Call.answered_at,
        Call.number_digest,
        Call.debtor_id,
        Call.party,
    ).where(Call.number_digest.in_(list(digests)), Call.started_at >= since)
    return [
        (started, direction == OUTBOUND, answered is not None, digest, debtor_id, party)
        for started, direction, answered, digest, debtor_id, party in db.execute(query)
    ]


def live_permits(
    db: Session, digests: Collection[bytes], since: datetime, now: datetime
) -> list[Attempted]:
    """The permits to these numbers issued at or after `since`, whoever they were for, that no
    reported call has used and that have not expired: outbound attempts not (yet) answered."""
    query = select(
        ContactPermit.issued_at,
        ContactPermit.number_digest,
        ContactPermit.debtor_id,
        ContactPermit.party,
    ).where(
        ContactPermit.number_digest.in_(list(digests)),
        ContactPermit.issued_at >= since,
        ContactPermit.call_id.is_(None),
        ContactPermit.expires_at > now,
    )
    return [
        (issued, True, False, digest, debtor_id, party)
        for issued, digest, debtor_id, party in db.execute(query)
    ]


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
