"""Collection-note use cases (R-NTE-1, R-CON-3, R-CON-4, R-CON-5): add a note, read a
debtor's notes, the debtor's parties, which debtors a complaint stops.

A note is reached through the access door (`debtors.service.decide_debtor`): only a caller
who reaches the debtor adds or reads its notes. Its time comes from its call or the server
clock, never from the client; its text is sealed. Adding a note, the block or complaint case
it sets, and their audit events are one transaction; a read is audited durably before any
note leaves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from govern.actor import Actor
from govern.contact.models import Call, ComplaintCase, ContactBlock
from govern.contact.parties import blocked_digest, number_variants, party_numbers
from govern.contact.repository import locked_debtor
from govern.debtors.models import Debtor
from govern.debtors.service import Gate, decide_debtor
from govern.errors import BadRequest, NotFound
from govern.ids import new_id
from govern.notes import repository as repo
from govern.notes.language import language_check, refusal
from govern.notes.models import Note
from govern.notes.rules import (
    CASE_KINDS,
    CORRECTORS,
    DEBTOR,
    DO_NOT_CALL,
    CallSeen,
    NoteAsked,
    Noter,
    check_call,
    check_correction,
    check_note,
    complaint_deadline,
)

AMOUNT = "amount_owed"
CONTACTS = "emergency_contacts"


@dataclass(frozen=True)
class NoteShown:
    """A note as it leaves the server: its text opened."""

    note: Note
    text: str

    @property
    def flags(self) -> list[str]:
        return self.note.flags.split()


# ---- adding ----------------------------------------------------------------------------------


def add_note(
    db: Session, gate: Gate, actor: Actor, debtor_id: str, asked: NoteAsked, text: str
) -> Note:
    """Record a note of a debtor the caller reaches, with the block (R-CON-4) or complaint
    case (R-CON-5) it sets, in one transaction with their events.

    Raises what `decide_debtor`, `rules.check_note` and `rules.check_call` raise (a call
    another collector made is theirs to note: only a supervisor's or head's correction may
    name it); NotFound `call.unknown`; BadRequest `note.corrects_unknown`,
    `note.corrects_other_call`, `note.forbidden_language` (R-NTE-3); Conflict `note.call_noted`.
    """
    debtor, _ = decide_debtor(db, gate, actor, debtor_id)
    check_note(asked, len(_contacts(gate, debtor)))
    check_language(gate.ctx.settings.policies_dir, text)
    if DO_NOT_CALL in asked.flags:
        # Two notes blocking one party: one makes the block, the other finds it. Locked before
        # the note is inserted, whose key share on the debtor row would deadlock the two.
        locked_debtor(db, debtor.id)
    occurred_at = _checked_time(db, gate, _noter(actor), debtor, asked)
    note = _new_note(gate, actor.account_id, debtor, asked, text, occurred_at)
    db.add(note)
    db.flush()  # the note exists before the block and case that point at it
    gate.ctx.trail.record(db, "note.added", actor.account_id, debtor.id, **_added(note))
    _set_in_motion(db, gate, actor.account_id, note)
    db.commit()
    return note


def check_language(policies_dir: Path, text: str) -> None:
    """R-NTE-3: a note names no police, court or lawyer, threatens nothing, promises no
    reduction or instalments (policies/contact/forbidden_terms.toml, govern/notes/language.py).

    Raises BadRequest `note.forbidden_language` naming each term found and its rule.
    """
    hits = language_check(policies_dir).hits(text)
    if hits:
        raise refusal(hits, "note.forbidden_language")


def _noter(actor: Actor) -> Noter:
    return Noter(actor.account_id, bool(CORRECTORS & actor.staff.roles))


def _checked_time(
    db: Session, gate: Gate, noter: Noter, debtor: Debtor, asked: NoteAsked
) -> datetime:
    """The note's time once its call and the note it corrects are checked: the call's start,
    the corrected note's time, or now; never the client's."""
    corrected = _corrected(db, debtor.id, asked.corrects)
    if corrected is not None:
        check_correction(asked, corrected.call_id)
    if asked.call_id is not None:
        call = repo.call(db, asked.call_id, lock=True)
        if call is None:
            raise NotFound("call.unknown", f"No call {asked.call_id}.")
        check_call(asked, debtor.id, _seen(db, gate, call, debtor, asked.party), noter)
        return call.started_at
    return corrected.occurred_at if corrected is not None else gate.ctx.clock.now()


def _seen(db: Session, gate: Gate, call: Call, debtor: Debtor, party: str) -> CallSeen:
    """What the checks need of the call; whether its number is one of the party's is asked
    only of a call that names no party (through the numbers' keyed digests, under every
    lookup key that remains)."""
    vault = gate.ctx.vault
    numbers = party_numbers(vault, debtor, party) if call.party is None else []
    party_number = call.number_digest in number_variants(vault, numbers, debtor.lookup_key_id)
    return CallSeen(
        call.id,
        call.direction,
        call.debtor_id,
        call.party,
        repo.call_noted(db, call.id),
        call.answered_at is not None,
        call.account_id,
        party_number,
    )


def _corrected(db: Session, debtor_id: str, note_id: str | None) -> Note | None:
    """The note a correction points at: one of this debtor's.
    Raises BadRequest `note.corrects_unknown`."""
    if note_id is None:
        return None
    found = repo.note(db, note_id)
    if found is None or found.debtor_id != debtor_id:
        raise BadRequest("note.corrects_unknown", f"This debtor has no note {note_id}.")
    return found


def _new_note(
    gate: Gate, account_id: str, debtor: Debtor, asked: NoteAsked, text: str, occurred_at: datetime
) -> Note:
    """The note, its text sealed under the key of the debtor's creditor (destroyed with it at
    its contract's end) or the current key."""
    note_id, debtor_id = new_id("NT"), debtor.id
    key_id = gate.ctx.vault.key_for(debtor.client)
    return Note(
        id=note_id,
        debtor_id=debtor_id,
        party=asked.party,
        direction=asked.direction,
        outcome=asked.outcome,
        purpose=asked.purpose,
        flags=" ".join(sorted(set(asked.flags))),
        call_id=asked.call_id,
        corrects=asked.corrects,
        text=gate.ctx.vault.seal(text, _place(debtor_id, note_id), key_id),
        key_id=key_id,
        account_id=account_id,
        occurred_at=occurred_at,
        recorded_at=gate.ctx.clock.now(),
    )


def _place(debtor_id: str, note_id: str) -> str:
    return f"{debtor_id}/notes/{note_id}"


def _added(note: Note) -> dict[str, Any]:
    """The note's event: ids and codes, never its text."""
    return {
        "note": note.id,
        "party": note.party,
        "direction": note.direction,
        "outcome": note.outcome,
        "purpose": note.purpose,
        "flags": note.flags.split(),
        "call": note.call_id,
        "corrects": note.corrects,
    }


def _set_in_motion(db: Session, gate: Gate, account_id: str, note: Note) -> None:
    """A do-not-call block for the party and its number, whoever else lists it (R-CON-4); a
    complaint case (R-CON-5)."""
    flags = note.flags.split()
    if DO_NOT_CALL in flags and repo.block(db, note.debtor_id, note.party) is None:
        debtor = db.get_one(Debtor, note.debtor_id)  # the door loaded it: no query
        block = ContactBlock(
            id=new_id("BK"),
            debtor_id=note.debtor_id,
            party=note.party,
            number_digest=blocked_digest(gate.ctx.vault, debtor, note.party),
            reason=DO_NOT_CALL,
            note_id=note.id,
            blocked_at=note.recorded_at,
            blocked_by=account_id,
        )
        db.add(block)
        details = {"party": note.party, "note": note.id, "block": block.id}
        gate.ctx.trail.record(db, "contact.blocked", account_id, note.debtor_id, **details)
    for flag in (f for f in flags if f in CASE_KINDS):
        _open_case(db, gate, account_id, note, CASE_KINDS[flag])


def _open_case(db: Session, gate: Gate, account_id: str, note: Note, kind: str) -> None:
    case = ComplaintCase(
        id=new_id("CP"),
        debtor_id=note.debtor_id,
        kind=kind,
        note_id=note.id,
        opened_at=note.recorded_at,
        opened_by=account_id,
        deadline=complaint_deadline(note.recorded_at, gate.ctx.settings.complaint_days),
        state=repo.OPEN,
    )
    db.add(case)
    deadline = case.deadline.isoformat()
    details = {"case": case.id, "kind": kind, "note": note.id, "deadline": deadline}
    gate.ctx.trail.record(db, "complaint.opened", account_id, note.debtor_id, **details)


# ---- reading ---------------------------------------------------------------------------------


def read_notes(db: Session, gate: Gate, actor: Actor, debtor_id: str) -> list[NoteShown]:
    """A debtor's notes, oldest first, their texts opened; one `notes.viewed` event made
    durable before they are returned (R-ACS-3).

    Raises what `decide_debtor` raises; AuditNotWritten (503) when the view cannot be recorded.
    """
    debtor, decision = decide_debtor(db, gate, actor, debtor_id)
    notes = repo.notes_of(db, debtor.id)
    shown = [NoteShown(n, gate.ctx.vault.open(n.text, _place(debtor.id, n.id))) for n in notes]
    db.commit()  # the read ends here; its event is made durable after
    details = {"notes": [n.id for n in notes], "reach": decision.reach.way}
    gate.ctx.trail.record_now(db, "notes.viewed", actor.account_id, debtor.id, **details)
    return shown


@dataclass(frozen=True)
class PartyShown:
    """One of a debtor's parties as a collector sees it before or during a call."""

    party: str
    relation: str | None
    blocked: bool
    amount_owed: str | None
    withheld: dict[str, str]


def parties(db: Session, gate: Gate, actor: Actor, debtor_id: str) -> list[PartyShown]:
    """The debtor and each emergency contact: blocked or not, and the amount owed only where
    the caller's field decision allows it and, for a third party, only once a note records
    their offer to pay (R-CON-3). One `parties.viewed` event, durable before they are returned.
    """
    debtor, decision = decide_debtor(db, gate, actor, debtor_id)
    amount = decision.field(AMOUNT)
    contacts = decision.field(CONTACTS)
    blocked, offering = repo.blocked_parties(db, debtor.id), repo.parties_offering(db, debtor.id)
    shown = [_party(DEBTOR, None, blocked, amount.reason, str(debtor.amount_owed))]
    for number, contact in enumerate(_contacts(gate, debtor), start=1):
        party = f"contact:{number}"
        reason = amount.reason or (None if party in offering else "third_party.no_offer_to_pay")
        relation = contact.get("relation") if contacts.reason is None else None
        shown.append(_party(party, relation, blocked, reason, str(debtor.amount_owed)))
    db.commit()  # the read ends here; its event is made durable after
    gate.ctx.trail.record_now(
        db, "parties.viewed", actor.account_id, debtor.id, **_parties_seen(shown, contacts.reason)
    )
    return shown


def _party(
    party: str, relation: str | None, blocked: set[str], reason: str | None, amount: str
) -> PartyShown:
    withheld = {AMOUNT: reason} if reason else {}
    shown_amount = None if reason else amount
    return PartyShown(party, relation, party in blocked, shown_amount, withheld)


def _parties_seen(shown: list[PartyShown], contacts_reason: str | None) -> dict[str, Any]:
    return {
        "amount_owed_shown_for": [p.party for p in shown if p.amount_owed is not None],
        "relations": "withheld" if contacts_reason else "shown",
        "parties": len(shown),
    }


def _contacts(gate: Gate, debtor: Debtor) -> list[dict[str, Any]]:
    """The debtor's emergency contacts (sealed), to resolve `contact:<n>`; nothing leaves."""
    return json.loads(gate.ctx.vault.open(debtor.emergency_contacts, f"{debtor.id}/{CONTACTS}"))


def stopped_debtors(db: Session, debtor_ids: Sequence[str]) -> frozenset[str]:
    """Those of `debtor_ids` under a complaint stop (R-CON-5): handed to the debtor reads at
    start-up, so the caseload shows it without debtors importing notes."""
    return repo.stopped(db, debtor_ids)


def stop_column(debtor_id: ColumnElement[str]) -> ColumnElement[bool]:
    """`stopped_debtors` for one debtor as a column of the debtor's own read (R-CON-5):
    handed to the debtor reads at start-up, so a record view reads it with the row."""
    return repo.stop_of(debtor_id)
