"""The plain decisions of collection notes (R-NTE-1, R-CON-3, R-CON-4, R-CON-5): what a note
may say about which party and call, what it sets in motion, and when a call's note is due.
No Flask, no SQL: each function takes what it decides on and raises a stable code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from govern.accounts.rules import DEPARTMENT_HEAD
from govern.contact.rules import DEBTOR, PARTY
from govern.errors import BadRequest, Conflict, Forbidden

DIRECTIONS = ("outbound", "inbound", "none")
CALL_DIRECTIONS = ("outbound", "inbound")
NO_CALL = "none"
CONNECTED = "connected"
SUPERVISOR, IT = "supervisor", "it"
#: Who may note a call another collector made or took: a correction by their supervisor or head.
CORRECTORS = frozenset({SUPERVISOR, DEPARTMENT_HEAD})
#: What became of a call; `none` for a note that records no call (a letter, a visit).
OUTCOMES = ("connected", "no_answer", "busy", "invalid_number", "voicemail", "hung_up", NO_CALL)
#: Why the collector spoke to the party.
PURPOSES = (
    "demand_payment",
    "remind_due",
    "confirm_details",
    "locate_debtor",
    "pass_message",
    "offers_to_pay",
)
#: R-CON-3: all a third party may be asked for, and the one thing they may volunteer.
THIRD_PARTY_PURPOSES = ("locate_debtor", "pass_message", "offers_to_pay")
OFFERS_TO_PAY = "offers_to_pay"
#: What a note sets in motion: a do-not-call block (R-CON-4), a complaint stop (R-CON-5).
DO_NOT_CALL, COMPLAINT, TENDENCY = "do_not_call", "complaint", "complaint_tendency"
FLAGS = (DO_NOT_CALL, COMPLAINT, TENDENCY)
#: A complaint case's kind, by the flag that opened it.
CASE_KINDS = {COMPLAINT: "complaint", TENDENCY: "tendency"}
#: A note's text is at most this long (characters, once trimmed).
TEXT_LIMIT = 2000


@dataclass(frozen=True)
class NoteAsked:
    """What a collector asks to record, as parsed (the time is never theirs)."""

    party: str
    direction: str
    outcome: str
    purpose: str | None
    flags: tuple[str, ...]
    call_id: str | None
    corrects: str | None


@dataclass(frozen=True)
class CallSeen:
    """What the note's checks need of its call record."""

    id: str
    direction: str
    debtor_id: str | None
    party: str | None
    noted: bool  # a note that corrects nothing already records it
    answered: bool  # the telephone system reports it answered: a conversation took place
    account_id: str | None  # the collector who made or took it, where known
    party_number: bool  # its number is one of the note's party's numbers


@dataclass(frozen=True)
class Noter:
    """Who writes the note: their account, and whether they may correct another's call note
    (CORRECTORS)."""

    account_id: str | None
    corrector: bool


def check_note(asked: NoteAsked, party_count: int) -> None:
    """The note is whole before anything is looked up: party, call or no call, purpose, flags.

    Raises BadRequest `note.party_unknown`, `note.call_required`, `note.call_not_expected`,
    `note.outcome_direction`, `note.third_party_purpose` (R-CON-3), `note.purpose_party`,
    `note.do_not_call_debtor`, `note.flag_needs_conversation`.
    """
    check_party(asked.party, party_count)
    _check_call_fields(asked)
    check_purpose(asked.party, asked.purpose)
    if DO_NOT_CALL in asked.flags and asked.party == DEBTOR:
        raise BadRequest(
            "note.do_not_call_debtor",
            "R-CON-4 blocks a third party for good; a debtor's objection is a complaint "
            "(complaint or complaint_tendency), which a supervisor or the desk handles.",
        )
    if asked.flags and asked.outcome not in ("connected", NO_CALL):
        raise BadRequest(
            "note.flag_needs_conversation",
            "Only a conversation (or a note of no call) can record "
            f"{', '.join(asked.flags)}: the outcome is {asked.outcome}.",
        )


def check_party(party: str, party_count: int) -> None:
    """`debtor`, or `contact:<n>` for one of the debtor's `party_count` emergency contacts.

    Raises BadRequest `note.party_unknown`."""
    number = 0 if party == DEBTOR else int(party.split(":")[1]) if PARTY.match(party) else -1
    if number < 0 or number > party_count:
        raise BadRequest(
            "note.party_unknown",
            f"{party!r} is not a party of this debtor: 'debtor' or 'contact:1'.."
            f"'contact:{party_count}'.",
        )


def _check_call_fields(asked: NoteAsked) -> None:
    if asked.direction == NO_CALL:
        if asked.call_id is not None or asked.outcome != NO_CALL:
            raise BadRequest(
                "note.call_not_expected",
                "A note with direction 'none' records no call: no call_id, outcome 'none'.",
            )
        return
    if asked.call_id is None:
        raise BadRequest("note.call_required", "A call note names its call (call_id).")
    if asked.outcome == NO_CALL:
        raise BadRequest("note.outcome_direction", "A call note says what became of the call.")


def check_purpose(party: str, purpose: str | None) -> None:
    """R-CON-3: a third party is never asked to pay; only a third party offers to pay.

    Raises BadRequest `note.third_party_purpose`, `note.purpose_party`."""
    if party != DEBTOR and purpose not in THIRD_PARTY_PURPOSES:
        raise BadRequest(
            "note.third_party_purpose",
            "R-CON-3: an emergency contact is never asked to pay; the purpose of their note "
            f"is one of {', '.join(THIRD_PARTY_PURPOSES)}.",
            rule="R-CON-3",
        )
    if party == DEBTOR and purpose == OFFERS_TO_PAY:
        raise BadRequest("note.purpose_party", "Only a third party offers to pay for the debtor.")


def check_call(asked: NoteAsked, debtor_id: str, call: CallSeen, noter: Noter) -> None:
    """The call is this note's: same direction, this debtor and party where the call knows
    them and else a call with one of the party's numbers, an outcome it had, the noter's own
    call (or a correction by a supervisor or head), not already noted (a correction may
    name a noted call).

    Raises BadRequest `note.call_direction`, `note.call_other_debtor`,
    `note.call_other_party`, `note.call_other_number`, `note.outcome_call`; Forbidden
    `note.call_other_collector`; Conflict `note.call_noted`.
    """
    if call.direction != asked.direction:
        raise BadRequest("note.call_direction", f"Call {call.id} was {call.direction}.")
    _check_call_party(asked, debtor_id, call)
    if (asked.outcome == CONNECTED) != call.answered:
        said = "was answered" if call.answered else "was never answered"
        raise BadRequest("note.outcome_call", f"Call {call.id} {said}: outcome {asked.outcome}.")
    if call.account_id not in (None, noter.account_id) and not (
        asked.corrects is not None and noter.corrector
    ):
        raise Forbidden(
            "note.call_other_collector",
            f"Call {call.id} is another collector's: they note it (their supervisor or head "
            "may correct their note).",
        )
    if call.noted and asked.corrects is None:
        raise Conflict(
            "note.call_noted",
            f"Call {call.id} has its note: correct it with a new note naming it (corrects).",
        )


def _check_call_party(asked: NoteAsked, debtor_id: str, call: CallSeen) -> None:
    """The call's debtor and party are the note's; a call that names no party was with one of
    the note's party's numbers."""
    if call.debtor_id is not None and call.debtor_id != debtor_id:
        raise BadRequest("note.call_other_debtor", f"Call {call.id} is not with this debtor.")
    if call.party is not None and call.party != asked.party:
        raise BadRequest("note.call_other_party", f"Call {call.id} was with {call.party}.")
    if call.party is None and not call.party_number:
        raise BadRequest(
            "note.call_other_number",
            f"Call {call.id} was not with a number of {asked.party} of this debtor.",
        )


def check_correction(asked: NoteAsked, corrected_call_id: str | None) -> None:
    """A correction records the same call as the note it corrects (or, like it, none).

    Raises BadRequest `note.corrects_other_call`."""
    if asked.call_id != corrected_call_id:
        raise BadRequest(
            "note.corrects_other_call",
            f"The note corrected records call {corrected_call_id or 'none'}: name the same.",
        )


def note_due(started_at: datetime, zone: ZoneInfo, due: time) -> datetime:
    """When a call's note is due (R-NTE-1): `due` o'clock company time on the day of the
    call, or the next day's if the call began at or after it."""
    local = started_at.astimezone(zone)
    deadline = datetime.combine(local.date(), due, zone)
    if local >= deadline:
        deadline = datetime.combine(local.date() + timedelta(days=1), due, zone)
    return deadline.astimezone(UTC)


@dataclass(frozen=True)
class Watch:
    """Whose unnoted calls a watcher is shown (R-NTE-1): a department head their department's
    collectors'; a supervisor their project group's collectors' and the calls no collector is
    known for with their group's debtors; IT every call no collector is known for."""

    department: str | None = None
    project_group: str | None = None
    unattributed: bool = False


def watch(roles: frozenset[str], department: str, project_group: str | None) -> Watch:
    """What a person in `roles` watches (Watch); nothing for anyone else."""
    return Watch(
        department if DEPARTMENT_HEAD in roles else None,
        project_group if SUPERVISOR in roles else None,
        IT in roles,
    )


def last_due(now: datetime, zone: ZoneInfo, due: time) -> datetime:
    """The latest due instant at or before `now`: every call started before it is overdue
    unless noted (`note_due` is the first due instant after the call's start)."""
    local = now.astimezone(zone)
    today = datetime.combine(local.date(), due, zone)
    latest = (
        today if local >= today else datetime.combine(local.date() - timedelta(days=1), due, zone)
    )
    return latest.astimezone(UTC)


def complaint_deadline(opened_at: datetime, days: int) -> datetime:
    """A complaint case is handled within `days` calendar days of its opening."""
    return opened_at + timedelta(days=days)
