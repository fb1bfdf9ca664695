"""Lines and calls (R-NTE-2): the agency's recorded landlines, which IT registers and retires,
and the calls the telephone system reports, each recorded once per system call id.

A reported call's number (dialled or calling) is kept sealed, for reading back, and as its
keyed digest (`number_digest`), for matching and counting: under its debtor's lookup key once
the call has one (its creditor's, destroyed with it), else the keys file's; it is matched to
permits and debtors' phones under every lookup key that remains. It is never logged nor put
in the trail. An outbound call takes the guard's live
permit for its number (`take_permit`): the debtor, the party and the collector the guard
allowed. A call from a number the debtors' own phones have takes that debtor, as "debtor".
A call over a line that is not registered, or was retired before the call started, is
recorded all the same, and flagged (`unregistered_line`) for IT and supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govern.actor import Actor
from govern.contact import repository
from govern.contact.models import Call, ContactPermit, Line
from govern.contact.parties import number_digest
from govern.contact.telephony import MACHINE, check_times, in_service, line_form
from govern.context import Context
from govern.debtors.models import Debtor
from govern.debtors.service import lookup_form
from govern.debtors.vault import KeysDestroyed, key_id_of
from govern.errors import Conflict, NotFound
from govern.ids import new_id

ACTIVE, RETIRED = "active", "retired"
OUTBOUND, INBOUND = "outbound", "inbound"
DIRECTIONS = (OUTBOUND, INBOUND)
DEBTOR = "debtor"  # the party a call with one of the debtor's own phones is with

# ---- lines ---------------------------------------------------------------------------------------


def register_line(db: Session, ctx: Context, actor: Actor, number: str, location: str) -> Line:
    """Register one of the agency's recorded landlines.

    Raises Conflict `line.duplicate` when its number is registered already (retired too).
    """
    kept = line_form(number)
    if repository.line_numbered(db, kept) is not None:
        raise Conflict("line.duplicate", f"Line {kept} is registered already.")
    now = ctx.clock.now()
    line = Line(
        id=new_id("LN"),
        number=kept,
        location=location,
        state=ACTIVE,
        registered_at=now,
        registered_by=actor.label,
    )
    try:
        db.add(line)
        db.flush()
    except IntegrityError:  # registered meanwhile by another request
        db.rollback()
        raise Conflict("line.duplicate", f"Line {kept} is registered already.") from None
    ctx.trail.record(db, "line.registered", actor.label, line.id, location=location)
    db.commit()
    return line


def list_lines(db: Session) -> list[Line]:
    """Every registered line, retired ones too."""
    return repository.lines(db)


def retire_line(db: Session, ctx: Context, actor: Actor, line_id: str, reason: str) -> Line:
    """Retire a line: calls over it from now on are flagged. It stays in the list.

    Raises NotFound `line.unknown`, Conflict `line.retired`.
    """
    line = repository.line_for_update(db, line_id)
    if line is None:
        raise NotFound("line.unknown", f"No line {line_id}.")
    if line.state == RETIRED:
        raise Conflict("line.retired", f"Line {line_id} is retired already.", object=line_id)
    line.state, line.retired_at = RETIRED, ctx.clock.now()
    line.retired_by, line.retire_reason = actor.label, reason
    ctx.trail.record(db, "line.retired", actor.label, line.id)
    db.commit()
    return line


# ---- calls ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallReport:
    """One call detail record, as the telephone system sent it (already well-formed)."""

    system_call_id: str
    line: str
    number: str
    direction: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    recording_id: str | None


def record_call(db: Session, ctx: Context, report: CallReport) -> tuple[Call, bool]:
    """Record a reported call once per system call id. Returns (call, created): the same
    record again returns the call recorded first, and changes nothing.

    Raises BadRequest from `check_times`, Conflict `call.id_reused` when the id was reported
    before with other details.
    """
    check_times(report.started_at, report.answered_at, report.ended_at, ctx.clock.now())
    digests = ctx.vault.digests("phone", lookup_form("phone", report.number))
    known = repository.call_by_system_id(db, report.system_call_id)
    if known is not None:
        return _same(known, report, digests), False
    try:
        call = _insert(db, ctx, report, digests)
    except IntegrityError:  # the same id, reported at the same moment: the first one stands
        db.rollback()
        known = repository.call_by_system_id(db, report.system_call_id)
        if known is None:
            raise
        return _same(known, report, digests), False
    db.commit()
    return call, True


def _insert(db: Session, ctx: Context, report: CallReport, digests: frozenset[bytes]) -> Call:
    call_id, kept_line = new_id("CL"), line_form(report.line)
    sealed = ctx.vault.seal(report.number, f"{call_id}/number")
    line = repository.line_numbered(db, kept_line)
    recorded_line = line is not None and in_service(line.retired_at, report.started_at)
    call = Call(
        id=call_id,
        system_call_id=report.system_call_id,
        line_number=kept_line,
        line_id=line.id if line else None,
        unregistered_line=not recorded_line,
        direction=report.direction,
        number_digest=number_digest(ctx.vault, report.number),  # the file's, until a debtor's
        number=sealed,
        key_id=key_id_of(sealed),
        started_at=report.started_at,
        answered_at=report.answered_at,
        ended_at=report.ended_at,
        recording_id=report.recording_id,
        received_at=ctx.clock.now(),
    )
    permit = take_permit(db, call, digests)
    if permit is None:
        _own_phone(db, call, digests)
    _seal_for_creditor(db, ctx, call, report.number)
    _record(ctx, db, call, permit)
    return call


def _seal_for_creditor(db: Session, ctx: Context, call: Call, number: str) -> None:
    """Seal the number of a call with a known debtor under that debtor's creditor's key, and
    keep its digest under the debtor's lookup key, as the debtor's own fields are: destroyed
    with them at the contract's end (a call with no debtor, or one whose creditor's keys are
    gone, stays under the current key and the file's lookup key)."""
    debtor = db.get(Debtor, call.debtor_id) if call.debtor_id else None
    if debtor is None:
        return
    try:
        key_id = ctx.vault.key_for(debtor.client)
        digest = number_digest(ctx.vault, number, debtor.lookup_key_id)
    except KeysDestroyed:
        return
    call.number = ctx.vault.seal(number, f"{call.id}/number", key_id)
    call.key_id, call.number_digest = key_id_of(call.number), digest
    db.flush()


def take_permit(db: Session, call: Call, digests: frozenset[bytes]) -> ContactPermit | None:
    """Give an outbound call the guard's permit for its number (`digests`: the number's under
    every lookup key), if one was live when the call
    started (issued at or before it, expiring after it) and no call has taken it: the call
    takes the permit's debtor, party and collector, and the permit is spent (its `call_id`).

    This is the one definition of a permit's life: until a call takes it, the guard counts
    the permit as an outbound attempt that has not connected, for the rest of its company
    day even once expired (the telephone system reports a call only when it ends); the expiry
    bounds only which call may take it. From then on the call counts instead. Adds the call
    to the session (flushed).
    """
    permit = None
    if call.direction == OUTBOUND:
        permit = repository.live_permit(db, digests, call.started_at)
    if permit is not None:
        repository.locked_debtor(db, permit.debtor_id)
        call.debtor_id, call.party, call.account_id = (
            permit.debtor_id,
            permit.party,
            permit.account_id,
        )
    db.add(call)
    db.flush()
    if permit is not None:
        permit.call_id = call.id
        db.flush()
    return permit


def _own_phone(db: Session, call: Call, digests: frozenset[bytes]) -> None:
    """A call with a number only one debtor has as their own phone is with that debtor."""
    debtors = repository.debtors_with_phone(db, digests)
    if len(debtors) == 1:
        call.debtor_id, call.party = debtors[0], DEBTOR
        db.flush()


def _record(ctx: Context, db: Session, call: Call, permit: ContactPermit | None) -> None:
    ctx.trail.record(
        db,
        "call.recorded",
        MACHINE,
        call.id,
        line=call.line_id,
        unregistered_line=call.unregistered_line,
        direction=call.direction,
        debtor=call.debtor_id,
        party=call.party,
        permit=permit.id if permit else None,
    )


def _same(known: Call, report: CallReport, digests: frozenset[bytes]) -> Call:
    """The call recorded first, if `report` is the same record (its number's digest under any
    lookup key that remains). Raises Conflict `call.id_reused`."""
    same = (
        known.line_number == line_form(report.line)
        and known.number_digest in digests
        and known.direction == report.direction
        and known.started_at == report.started_at
        and known.answered_at == report.answered_at
        and known.ended_at == report.ended_at
        and known.recording_id == report.recording_id
    )
    if not same:
        raise Conflict(
            "call.id_reused",
            f"Call {report.system_call_id} was reported before with other details.",
        )
    return known


def list_calls(
    db: Session, flagged: bool, since: datetime | None, until: datetime | None, limit: int
) -> list[Call]:
    """Calls by start, newest first; `flagged`: only those over an unregistered line."""
    return repository.calls(db, flagged, since, until, limit)
