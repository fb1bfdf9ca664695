"""Small queries the note, third-party, complaint, unnoted-call and call-script use cases stand
on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from govern.accounts.models import Account
from govern.contact.models import Call, ComplaintCase, ContactBlock
from govern.db import HotStatement
from govern.debtors.models import Debtor
from govern.directory.models import Identity
from govern.notes.models import Note, Script
from govern.notes.rules import Watch

OPEN = "open"


def call(db: Session, call_id: str, lock: bool = False) -> Call | None:
    """A call record; `lock`: held until the transaction ends, so that two notes of one call
    are recorded one after the other (PostgreSQL; SQLite serialises writers)."""
    query = select(Call).where(Call.id == call_id)
    return db.scalar(query.with_for_update() if lock else query)


def note(db: Session, note_id: str) -> Note | None:
    return db.get(Note, note_id)


def call_noted(db: Session, call_id: str) -> bool:
    """Whether a note that corrects nothing already records the call."""
    query = select(Note.id).where(Note.call_id == call_id, Note.corrects.is_(None))
    return db.scalar(query.limit(1)) is not None


def notes_of(db: Session, debtor_id: str) -> list[Note]:
    """A debtor's notes, oldest first."""
    query = select(Note).where(Note.debtor_id == debtor_id)
    return list(db.scalars(query.order_by(Note.recorded_at, Note.id)))


def parties_offering(db: Session, debtor_id: str) -> set[str]:
    """The parties a note records as offering to pay for the debtor (R-CON-3); a note a
    later note corrects says nothing any more: its correction replaces it."""
    later = aliased(Note)
    corrected = exists().where(later.corrects == Note.id)
    query = select(Note.party).where(
        Note.debtor_id == debtor_id, Note.purpose == "offers_to_pay", ~corrected
    )
    return set(db.scalars(query.distinct()))


def blocked_parties(db: Session, debtor_id: str) -> set[str]:
    return set(db.scalars(select(ContactBlock.party).where(ContactBlock.debtor_id == debtor_id)))


def block(db: Session, debtor_id: str, party: str) -> ContactBlock | None:
    query = select(ContactBlock).where(
        ContactBlock.debtor_id == debtor_id, ContactBlock.party == party
    )
    return db.scalar(query)


def case(db: Session, case_id: str, lock: bool = False) -> ComplaintCase | None:
    query = select(ComplaintCase).where(ComplaintCase.id == case_id)
    return db.scalar(query.with_for_update() if lock else query)


def open_cases(db: Session) -> list[tuple[ComplaintCase, str]]:
    """Open cases with their debtor's project group, the nearest deadline first."""
    query = _with_group(ComplaintCase.state == OPEN)
    return list(db.execute(query.order_by(ComplaintCase.deadline, ComplaintCase.id)).tuples())


def unreported_cases(db: Session) -> list[tuple[ComplaintCase, str]]:
    """Cases not yet reported to the client, open or resumed, with their debtor's project
    group, oldest first."""
    query = _with_group(ComplaintCase.reported_at.is_(None))
    return list(db.execute(query.order_by(ComplaintCase.opened_at, ComplaintCase.id)).tuples())


def _with_group(condition: ColumnElement[bool]) -> Select[tuple[ComplaintCase, str]]:
    return (
        select(ComplaintCase, Debtor.project_group)
        .join(Debtor, Debtor.id == ComplaintCase.debtor_id)
        .where(condition)
    )


def stopped(db: Session, debtor_ids: Sequence[str]) -> frozenset[str]:
    """Those of `debtor_ids` with an open complaint case (R-CON-5)."""
    if not debtor_ids:
        return frozenset()
    if len(debtor_ids) == 1:  # a debtor's record: every view asks
        found = _ONE_STOPPED.scalar(db, {"debtor_id": debtor_ids[0]})
        return frozenset() if found is None else frozenset(debtor_ids)
    query = select(ComplaintCase.debtor_id).where(
        ComplaintCase.debtor_id.in_(debtor_ids), ComplaintCase.state == OPEN
    )
    return frozenset(db.scalars(query.distinct()))


def stop_of(debtor_id: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether the debtor `debtor_id` names is under a complaint stop (R-CON-5), as a column
    another read may select beside its own (`stopped`'s question for one debtor)."""
    return exists().where(ComplaintCase.debtor_id == debtor_id, ComplaintCase.state == OPEN)


_ONE_STOPPED = HotStatement(
    select(ComplaintCase.debtor_id)
    .where(ComplaintCase.debtor_id == bindparam("debtor_id"), ComplaintCase.state == OPEN)
    .limit(1)
)


def unnoted_calls(
    db: Session, started_before: datetime, watched: Watch, limit: int
) -> list[tuple[Call, Identity | None]]:
    """Calls no note records started before `started_before` that `watched` covers, with
    the directory identity of their collector where one is known; oldest first, at most
    `limit` (the watch is applied before the limit)."""
    noted = exists().where(Note.call_id == Call.id)
    query = (
        select(Call, Identity)
        .outerjoin(Account, Account.id == Call.account_id)
        .outerjoin(Identity, Identity.employee_number == Account.employee_number)
        .outerjoin(Debtor, Debtor.id == Call.debtor_id)
        .where(Call.started_at < started_before, ~noted, or_(false(), *_watched(watched)))
        .order_by(Call.started_at, Call.id)
        .limit(limit)
    )
    return [(found, identity) for found, identity in db.execute(query).tuples()]


def _watched(watched: Watch) -> list[ColumnElement[bool]]:
    unattributed = Call.account_id.is_(None)
    found: list[ColumnElement[bool]] = []
    if watched.department is not None:
        found.append(Identity.department == watched.department)
    if watched.project_group is not None:
        found.append(Identity.project_group == watched.project_group)
        found.append(and_(unattributed, Debtor.project_group == watched.project_group))
    if watched.unattributed:
        found.append(unattributed)
    return found


def own_calls(db: Session, account_id: str, since: datetime, limit: int) -> list[tuple[Call, bool]]:
    """The calls a collector made or took (the call names their account) started at or after
    `since`, newest first, each with whether a note records it."""
    noted = exists().where(Note.call_id == Call.id).label("noted")
    query = (
        select(Call, noted)
        .where(Call.account_id == account_id, Call.started_at >= since)
        .order_by(Call.started_at.desc(), Call.id)
        .limit(limit)
    )
    return [(found, bool(was_noted)) for found, was_noted in db.execute(query).tuples()]


# ---- call scripts (govern/notes/scripts.py) ----------------------------------------------------

ACTIVE = "active"
RETIRED = "retired"


def script(db: Session, script_id: str, lock: bool = False) -> Script | None:
    """A call script; `lock`: held until the transaction ends, so that two saves of one
    script take their versions one after the other (PostgreSQL; SQLite serialises writers)."""
    query = select(Script).where(Script.id == script_id)
    return db.scalar(query.with_for_update() if lock else query)


def scripts(db: Session, retired: bool = False) -> Sequence[Script]:
    """The active call scripts (with `retired`, every one), by title."""
    query = select(Script).order_by(Script.title, Script.id)
    return db.scalars(query if retired else query.where(Script.state == ACTIVE)).all()


def notes_of_client(db: Session, client: str, key_ids: Sequence[str]) -> tuple[int, int]:
    """How many notes `client`'s debtors have under `key_ids`, and under any other key (made
    before its creditor was recorded: notes are never re-sealed, the database refuses it)."""
    of_client = select(func.count()).select_from(Note).join(Debtor, Debtor.id == Note.debtor_id)
    of_client = of_client.where(Debtor.client == client)
    under = db.scalar(of_client.where(Note.key_id.in_(key_ids))) or 0
    return under, (db.scalar(of_client) or 0) - under
