"""The contact check a collector asks before dialling (R-CON-1, R-CON-2, R-CON-4, R-CON-5): may
this party of this debtor be called on this number now, and if not, why and from when.

Only who reaches the debtor and sees the field holding the party's numbers may ask (the access
door decides, as for a read). The answer is the contact profile's (govern/contact/rules.py),
chosen by the debtor's project group, over the party's calls within the profile's lookback.
Check and count are one: the debtor's row is locked while its history is read, and an allow
is recorded as a permit that counts as an unanswered outbound attempt until its call is
reported or it expires, so two collectors asking at once cannot both take the last call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from govern.access.actions import role_actions
from govern.actor import Actor
from govern.contact import repository as repo
from govern.contact.models import ContactPermit
from govern.contact.parties import check_party, number_digest, party_field, party_numbers
from govern.contact.profiles import contact_profiles
from govern.contact.rules import Attempt, Profile, Question, Verdict, judge
from govern.debtors.models import Debtor
from govern.debtors.service import DEBTOR_ID, Gate, decide_debtor
from govern.errors import BadRequest, Forbidden, NotFound
from govern.ids import new_id

#: The role × action table's entry naming who still calls a debtor under complaint stop.
PASS_STOP = ("contact", "pass_complaint_stop")


@dataclass(frozen=True)
class Ask:
    """A collector's question: may `party` of the debtor be called on `phone` now?"""

    debtor_id: str
    party: str
    phone: str


@dataclass(frozen=True)
class Checked:
    """The guard's answer, and the permit an allow took (None for a deny)."""

    debtor_id: str
    party: str
    profile: str
    verdict: Verdict
    permit: ContactPermit | None


def check_contact(db: Session, gate: Gate, actor: Actor, ask: Ask) -> Checked:
    """Judge a call before it is dialled; an allow takes a permit. Either way one
    `contact.checked` event (debtor, party, verdict; never the number), committed together.

    Raises BadRequest `contact.party_malformed` / `debtor.id_malformed` /
    `contact.not_party_number`, NotFound `debtor.unknown` / `contact.party_unknown`, Forbidden
    with the door's reason code (`debtor.not_assigned`, `training.<certification>.missing`,
    ...), AuditNotWritten.
    """
    party = check_party(ask.party)
    debtor = _locked(db, ask.debtor_id)
    _door(db, gate, actor, debtor, party)
    profile = contact_profiles(gate.ctx.settings.policies_dir).for_group(debtor.project_group)
    question = _question(db, gate, actor, debtor, Ask(debtor.id, party, ask.phone), profile)
    verdict = judge(profile, question, gate.ctx.settings.timezone)
    permit = _permit(db, gate, actor, debtor.id, question) if verdict.allowed else None
    checked = Checked(debtor.id, party, profile.name, verdict, permit)
    gate.ctx.trail.record(db, "contact.checked", actor.account_id, debtor.id, **_details(checked))
    db.commit()
    return checked


def _question(
    db: Session, gate: Gate, actor: Actor, debtor: Debtor, ask: Ask, profile: Profile
) -> Question:
    """What the profile is asked: the number dialled (the party's, or BadRequest), the
    party's record over the profile's lookback, its block, the debtor's complaint stop and
    whether the caller's roles pass it, the debtor's own zone."""
    dialled, digests = _numbers(gate, debtor, ask.party, ask.phone)
    now = gate.ctx.clock.now()
    history, on_number = _histories(
        db, (debtor.id, ask.party), digests, dialled, now - profile.lookback, now
    )
    do_not_call, complaint_stop = repo.stops(db, debtor.id, ask.party)
    return Question(
        now=now,
        party=ask.party,
        number_digest=dialled,
        history=history,
        do_not_call=do_not_call,
        complaint_stop=complaint_stop,
        may_pass_stop=role_actions(gate.ctx.settings.policies_dir).allows(
            actor.staff.roles, *PASS_STOP
        ),
        debtor_zone=ZoneInfo(debtor.time_zone) if debtor.time_zone else None,
        number_history=on_number,
    )


def _locked(db: Session, debtor_id: str) -> Debtor:
    """The debtor, locked until the check commits. Raises BadRequest `debtor.id_malformed`,
    NotFound `debtor.unknown`."""
    if not DEBTOR_ID.match(debtor_id):
        raise BadRequest("debtor.id_malformed", "A debtor id looks like DB-7K3M-9Q2X.")
    debtor = repo.locked_debtor(db, debtor_id)
    if debtor is None:
        raise NotFound("debtor.unknown", f"No debtor {debtor_id}.")
    return debtor


def _door(db: Session, gate: Gate, actor: Actor, debtor: Debtor, party: str) -> None:
    """The access door, as for a read: the caller reaches the debtor and is given the field
    holding the party's numbers (a caller who may not see a number may not dial it, nor
    learn from the guard whose it is). Raises Forbidden with the door's reason code."""
    _, decision = decide_debtor(db, gate, actor, debtor.id)
    field = decision.field(party_field(party))
    if field.reason is not None:
        message = f"You may not see this debtor's {field.field}, so you may not call them."
        raise Forbidden(field.reason, message, object=debtor.id)


def _numbers(gate: Gate, debtor: Debtor, party: str, phone: str) -> tuple[bytes, set[bytes]]:
    """The digest of the number asked for and of every number of the party.

    Raises NotFound `contact.party_unknown`, BadRequest `contact.not_party_number`."""
    vault = gate.ctx.vault
    digests = {number_digest(vault, n) for n in party_numbers(vault, debtor, party)}
    dialled = number_digest(vault, phone)
    if dialled not in digests:
        raise BadRequest(
            "contact.not_party_number", f"This number is not one of {party}'s numbers."
        )
    return dialled, digests


def _histories(
    db: Session,
    whose: tuple[str, str],
    digests: set[bytes],
    dialled: bytes,
    since: datetime,
    now: datetime,
) -> tuple[tuple[Attempt, ...], tuple[Attempt, ...]]:
    """The party's attempts since `since` on every one of its numbers (calls both ways, and
    live permits as outbound attempts not answered yet), and every attempt on the number
    dialled whoever it was for. A number two parties share (a family line) counts for the
    party a call or permit names, and for each of them when a call names none."""
    theirs, on_number = [], []
    for at, outbound, connected, digest, debtor_id, party in sorted(
        repo.attempts_on(db, digests, since, now), key=lambda row: row[0]
    ):
        attempt = Attempt(at=at, outbound=outbound, connected=connected, number_digest=digest)
        if party is None or (debtor_id, party) == whose:
            theirs.append(attempt)
        if digest == dialled:
            on_number.append(attempt)
    return tuple(theirs), tuple(on_number)


def _permit(
    db: Session, gate: Gate, actor: Actor, debtor_id: str, question: Question
) -> ContactPermit:
    permit = ContactPermit(
        id=new_id("CP"),
        debtor_id=debtor_id,
        party=question.party,
        number_digest=question.number_digest,
        account_id=actor.account_id,
        issued_at=question.now,
        expires_at=question.now + timedelta(minutes=gate.ctx.settings.contact_permit_minutes),
    )
    repo.add_permit(db, permit)
    return permit


def _details(checked: Checked) -> dict[str, object]:
    verdict = checked.verdict
    return {
        "party": checked.party,
        "allowed": verdict.allowed,
        "reason": verdict.reason,
        "rule": verdict.rule,
        "profile": checked.profile,
        "permit": checked.permit.id if checked.permit else None,
    }
