"""Small queries the contact use cases stand on."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    Integer,
    bindparam,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from govern.contact.models import (
    Call,
    ComplaintCase,
    ContactBlock,
    ContactPermit,
    Line,
    WrongNumber,
)
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


def live_permit(db: Session, digests: Collection[bytes], at: datetime) -> ContactPermit | None:
    """The newest permit to dial a number of `digests` (its digests under every lookup key)
    that was live at `at` and no call has taken: issued at or before `at`, expiring after it.
    Locked until the caller's transaction ends, so two reports never take one permit."""
    query = (
        select(ContactPermit)
        .where(
            ContactPermit.number_digest.in_(list(digests)),
            ContactPermit.call_id.is_(None),
            ContactPermit.issued_at <= at,
            ContactPermit.expires_at > at,
        )
        .order_by(ContactPermit.issued_at.desc(), ContactPermit.id)
        .limit(1)
    )
    return db.scalar(query.with_for_update())


def debtors_with_phone(db: Session, digests: Collection[bytes]) -> list[str]:
    """The debtors one of whose own phones has one of these digests (a number's, under every
    lookup key)."""
    query = select(DebtorLookup.debtor_id).where(
        DebtorLookup.kind == "phone", DebtorLookup.digest.in_(list(digests))
    )
    return list(db.scalars(query.distinct().order_by(DebtorLookup.debtor_id)))


def blocks_of_client(db: Session, client: str) -> int:
    """How many do-not-call blocks `client`'s debtors' parties hold (kept at its contract's
    end: their digests are under the keys file's lookup key)."""
    of_client = select(func.count()).select_from(ContactBlock)
    of_client = of_client.join(Debtor, Debtor.id == ContactBlock.debtor_id)
    return db.scalar(of_client.where(Debtor.client == client)) or 0


def rekey_digests(db: Session, debtor_id: str, moved: dict[bytes, bytes]) -> None:
    """The digests the debtor's calls and permits keep, each `moved` to its new one (a
    block's stays under the keys file's lookup key: `parties.blocked_digest`)."""
    for model in (Call, ContactPermit):
        for old, new in moved.items():
            if old != new:
                db.execute(
                    update(model)
                    .where(model.debtor_id == debtor_id, model.number_digest == old)
                    .values(number_digest=new)
                )


# ---- the contact check ---------------------------------------------------------------------------

OUTBOUND = "outbound"
OPEN = "open"


def locked_debtor(db: Session, debtor_id: str) -> Debtor | None:
    """The debtor, its row locked until the transaction ends: checks of one debtor's calls
    are taken one at a time (PostgreSQL: `FOR UPDATE`; SQLite's transactions begin with
    `BEGIN IMMEDIATE` and already hold its one write lock, govern/db.py)."""
    return db.scalars(_LOCKED_DEBTOR, {"debtor_id": debtor_id}).first()


# The contact check's statements are built once (the check is on every dial's path: building
# a statement and its cache key each time cost more than running it).
_LOCKED_DEBTOR = (
    select(Debtor)
    .where(Debtor.id == bindparam("debtor_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


#: An attempt on a number as the guard reads it back: (at, outbound, connected, number
#: digest, debtor id, party); the debtor and party are None for a call no permit named.
Attempted = tuple[datetime, bool, bool, bytes, str | None, str | None]


def attempts_on(
    db: Session, digests: Collection[bytes], since: datetime, now: datetime, today: datetime
) -> list[Attempted]:
    """Every attempt on these numbers since `since`, whoever it was for, in one query: the
    calls to or from them (inbound ones too; connected when answered), and the permits no
    reported call has taken that are live, or were issued since `today` (the start of the
    company day): a call is reported only when it ends, so an untaken allow counts as an
    outbound attempt not answered for the rest of its day."""
    found = db.execute(
        _ATTEMPTS, {"digests": list(digests), "since": since, "now": now, "today": today}
    )
    return [
        (at, bool(outbound), bool(connected), digest, debtor_id, party)
        for at, outbound, connected, digest, debtor_id, party in found
    ]


_ATTEMPTS = union_all(
    select(
        Call.started_at,
        Call.direction == OUTBOUND,
        Call.answered_at.is_not(None),
        Call.number_digest,
        Call.debtor_id,
        Call.party,
    ).where(
        Call.number_digest.in_(bindparam("digests", expanding=True)),
        Call.started_at >= bindparam("since"),
    ),
    select(
        ContactPermit.issued_at,
        literal(True),
        literal(False),
        ContactPermit.number_digest,
        ContactPermit.debtor_id,
        ContactPermit.party,
    ).where(
        ContactPermit.number_digest.in_(bindparam("digests", expanding=True)),
        ContactPermit.issued_at >= bindparam("since"),
        ContactPermit.call_id.is_(None),
        or_(
            ContactPermit.expires_at > bindparam("now"),
            ContactPermit.issued_at >= bindparam("today"),
        ),
    ),
)


class Stops(NamedTuple):
    """What stops a call to a party on a number, read in one query once both are locked."""

    #: The party, or whoever asked not to be called on the number dialled, under any debtor,
    #: asked not to be contacted (R-CON-4).
    do_not_call: bool
    #: A complaint case stops collection on the debtor (R-CON-5).
    complaint_stop: bool
    #: How many numbers not the party's the caller named for the debtor today.
    wrong_numbers: int


@dataclass(frozen=True)
class Asked:
    """Whose stops are read: the debtor and party, the number dialled, the caller and the
    start of their company day (for the wrong numbers)."""

    debtor_id: str
    party: str
    dialled: tuple[bytes, ...]  # the number dialled, under every lookup key
    account_id: str
    today: datetime


def stops(db: Session, asked: Asked) -> Stops:
    """The stops on a call, in one query."""
    return _stops(db.execute(_STOPS, asdict(asked)).one())


def locked_stops(db: Session, asked: Asked, digests: Collection[bytes]) -> Stops:
    """Hold the party's numbers until the transaction ends, and read the stops, in one round
    trip: checks of two debtors sharing a number are taken one at a time. PostgreSQL: a
    transaction advisory lock on each digest, taken in sorted order (no deadlock between two
    checks); SQLite serialises writers already.

    The stops are the debtor's, guarded by its row's lock (a note that blocks a party or opens
    a complaint takes it too), so they may be read in the statement that waits for the
    numbers: what the numbers' locks guard, their attempts, is read after, in a statement of
    its own (PostgreSQL reads each statement with a fresh snapshot)."""
    if db.get_bind().dialect.name != "postgresql":
        return stops(db, asked)
    keys = sorted({int.from_bytes(digest[:4], "big", signed=True) for digest in digests})
    return _stops(db.execute(_LOCKED_STOPS, {**asdict(asked), "keys": keys}).one()[1:])


def _stops(found: Sequence[Any]) -> Stops:
    return Stops(bool(found[0]), bool(found[1]), int(found[2] or 0))


_STOPS = select(
    exists(
        select(ContactBlock.id).where(
            or_(
                (ContactBlock.debtor_id == bindparam("debtor_id"))
                & (ContactBlock.party == bindparam("party")),
                ContactBlock.number_digest.in_(bindparam("dialled", expanding=True)),
            )
        )
    ),
    exists(
        select(ComplaintCase.id).where(
            ComplaintCase.debtor_id == bindparam("debtor_id"), ComplaintCase.state == OPEN
        )
    ),
    select(func.count())
    .where(
        WrongNumber.account_id == bindparam("account_id"),
        WrongNumber.debtor_id == bindparam("debtor_id"),
        WrongNumber.refused_at >= bindparam("today"),
    )
    .scalar_subquery(),
)


#: The class of the PostgreSQL advisory locks taken on a party's numbers (the two-key form:
#: its keys never meet the one-key locks of the trail, the sync and the scheduler).
NUMBER_LOCK = 0x434E_5431

# The keys in order, then one lock each as the aggregate reads them (OFFSET 0 keeps the
# sorted subquery from being folded into the aggregate).
_KEYS = (
    select(func.unnest(bindparam("keys", type_=ARRAY(Integer))).label("key"))
    .order_by("key")
    .offset(0)
    .subquery()
)
_LOCKED_STOPS = select(
    select(
        func.count(func.pg_advisory_xact_lock(cast(NUMBER_LOCK, Integer), _KEYS.c.key))
    ).scalar_subquery(),
    *_STOPS.selected_columns,
)


def add_permit(db: Session, permit: ContactPermit) -> None:
    db.add(permit)


def add_wrong_number(db: Session, wrong: WrongNumber) -> None:
    db.add(wrong)
