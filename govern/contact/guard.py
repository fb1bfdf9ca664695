"""The contact check a collector asks before dialling (R-CON-1, R-CON-2, R-CON-4, R-CON-5): may
this party of this debtor be called on this number now, and if not, why and from when.

Only who reaches the debtor and sees the field holding the party's numbers may ask (the access
door decides, as for a read). The answer is the contact profile's (govern/contact/rules.py),
chosen by the debtor's project group, over the party's calls within the profile's lookback.
Check and count are one: the debtor's row is locked while its history is read, and an allow
is recorded as a permit that counts as an unanswered outbound attempt until its call is
reported (or, untaken, for the rest of its company day), so two collectors asking at once
cannot both take the last call.

The lock order: the debtor's row (`repo.locked_debtor`), then the party's numbers
(`repo.locked_stops`: PostgreSQL transaction advisory locks on their digests, in sorted
order), so checks of two debtors sharing a number are serialised too. A reported call
(govern/contact/calls.py) locks its permit's row, then the permit's debtor. A check holds one
debtor and never a permit's row: no cycle.

A number that is not the party's is refused, counted and audited as a denial; too many in a
company day and the account is refused every number of that debtor until the next day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from govern.access.actions import role_actions
from govern.actor import Actor
from govern.contact import repository as repo
from govern.contact.models import ContactPermit, WrongNumber
from govern.contact.parties import (
    check_party,
    number_digest,
    number_variants,
    party_field,
    party_numbers,
)
from govern.contact.profiles import contact_profiles
from govern.contact.rules import Attempt, Profile, Question, Verdict, company_day, judge
from govern.debtors.models import Debtor
from govern.debtors.service import DEBTOR_ID, Gate, decide_debtor
from govern.errors import BadRequest, Forbidden, NotFound, TooManyRequests
from govern.ids import new_id

#: The role × action table's entry naming who still calls a debtor under complaint stop.
PASS_STOP = ("contact", "pass_complaint_stop")
#: Wrong numbers an account may name for one debtor in a company day before every number of
#: it is refused until the next (the check must not serve to guess a masked number).
WRONG_NUMBERS_A_DAY = 3
NOT_PARTY_NUMBER = "contact.not_party_number"
TOO_MANY = "contact.too_many_wrong_numbers"
DENIED = "access.denied"


@dataclass(frozen=True)
class Ask:
    """A collector's question: may `party` of the debtor be called on `phone` now?"""

    debtor_id: str
    party: str
    phone: str


@dataclass(frozen=True)
class Target:
    """The party asked about, the digest of the number asked for (one of the party's), of
    every number of the party under every lookup key (all locked) to its digest under the
    debtor's, and what stops a call on them."""

    party: str
    dialled: bytes
    variants: dict[bytes, bytes]
    stops: repo.Stops


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
    `contact.not_party_number` (audited), TooManyRequests `contact.too_many_wrong_numbers`
    (audited), NotFound `debtor.unknown` / `contact.party_unknown`, Forbidden with the door's
    reason code (`debtor.not_assigned`, `training.<certification>.missing`, ...),
    AuditNotWritten.
    """
    party = check_party(ask.party)
    debtor = _locked(db, ask.debtor_id)
    _door(db, gate, actor, debtor, party)
    target = _target(db, gate, actor, debtor, Ask(debtor.id, party, ask.phone))
    profile = contact_profiles(gate.ctx.settings.policies_dir).for_group(debtor.project_group)
    question = _question(db, gate, actor, debtor, target, profile)
    verdict = judge(profile, question, gate.ctx.settings.timezone)
    permit = _permit(db, gate, actor, debtor.id, question) if verdict.allowed else None
    checked = Checked(debtor.id, party, profile.name, verdict, permit)
    gate.ctx.trail.record(db, "contact.checked", actor.account_id, debtor.id, **_details(checked))
    db.commit()
    return checked


def _question(
    db: Session, gate: Gate, actor: Actor, debtor: Debtor, target: Target, profile: Profile
) -> Question:
    """What the profile is asked: the number dialled, the party's record over the profile's
    lookback, the blocks on the party or the number, the debtor's complaint stop and whether
    the caller's roles pass it, the debtor's own zone."""
    now = gate.ctx.clock.now()
    today, _ = company_day(now, gate.ctx.settings.timezone)
    rows = repo.attempts_on(db, target.variants.keys(), now - profile.lookback, now, today)
    history, on_number = _histories(rows, target)
    return Question(
        now=now,
        party=target.party,
        number_digest=target.dialled,
        history=history,
        do_not_call=target.stops.do_not_call,
        complaint_stop=target.stops.complaint_stop,
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


def _target(db: Session, gate: Gate, actor: Actor, debtor: Debtor, ask: Ask) -> Target:
    """The number asked for, when it is one of the party's; the party's numbers locked, then
    what stops a call read. Every refusal of a number is a durable denial (debtor, party,
    code; never the number), and an account that named WRONG_NUMBERS_A_DAY wrong numbers of a
    debtor in a company day is refused every number of it until the next, right ones too:
    the check is no way to guess a masked number.

    Raises NotFound `contact.party_unknown`, BadRequest `contact.not_party_number`,
    TooManyRequests `contact.too_many_wrong_numbers`, AuditNotWritten."""
    today, _ = company_day(gate.ctx.clock.now(), gate.ctx.settings.timezone)
    vault, lookup_id = gate.ctx.vault, debtor.lookup_key_id
    variants = number_variants(vault, party_numbers(vault, debtor, ask.party), lookup_id)
    dialled = number_digest(vault, ask.phone, lookup_id)
    on_dialled = tuple(sorted(d for d, own in variants.items() if own == dialled)) or (dialled,)
    asked = repo.Asked(debtor.id, ask.party, on_dialled, actor.account_id, today)
    if dialled not in variants:
        _within_wrong_numbers(db, gate, actor, ask, repo.stops(db, asked).wrong_numbers)
        _wrong_number(db, gate, actor, ask)
        raise BadRequest(NOT_PARTY_NUMBER, f"This number is not one of {ask.party}'s numbers.")
    stops = repo.locked_stops(db, asked, variants.keys())
    _within_wrong_numbers(db, gate, actor, ask, stops.wrong_numbers)
    return Target(ask.party, dialled, variants, stops)


def _within_wrong_numbers(db: Session, gate: Gate, actor: Actor, ask: Ask, named: int) -> None:
    """Raises TooManyRequests `contact.too_many_wrong_numbers` (audited, the check's
    transaction rolled back) when the caller named WRONG_NUMBERS_A_DAY wrong numbers today."""
    if named < WRONG_NUMBERS_A_DAY:
        return
    db.rollback()
    _denied(db, gate, actor, ask, TOO_MANY)
    _, tomorrow = company_day(gate.ctx.clock.now(), gate.ctx.settings.timezone)
    wait = math.ceil((tomorrow - gate.ctx.clock.now()).total_seconds())
    raise TooManyRequests(TOO_MANY, "Too many wrong numbers for this debtor today.", wait)


def _wrong_number(db: Session, gate: Gate, actor: Actor, ask: Ask) -> None:
    """Count the wrong number and record the denial, committed (the debtor's lock held until
    then, so two guesses at once are both counted)."""
    wrong = WrongNumber(
        id=new_id("WN"),
        account_id=actor.account_id,
        debtor_id=ask.debtor_id,
        party=ask.party,
        refused_at=gate.ctx.clock.now(),
    )
    repo.add_wrong_number(db, wrong)
    details = {"code": NOT_PARTY_NUMBER, "party": ask.party}
    gate.ctx.trail.record(db, DENIED, actor.account_id, ask.debtor_id, **details)
    db.commit()


def _denied(db: Session, gate: Gate, actor: Actor, ask: Ask, code: str) -> None:
    """A durable denial event of the check (its transaction ended first)."""
    details = {"code": code, "party": ask.party}
    gate.ctx.trail.record_now(db, DENIED, actor.account_id, ask.debtor_id, **details)


def _histories(
    rows: list[repo.Attempted], target: Target
) -> tuple[tuple[Attempt, ...], tuple[Attempt, ...]]:
    """The party's attempts: every attempt on any of its numbers (calls both ways, and
    untaken permits as outbound attempts not answered yet), whoever the call or permit names
    (the caps protect each person, and a number's attempts reach whoever answers it: under
    any creditor's lookup key, each counted as the number's digest under the debtor's); and
    those on the number dialled."""
    history = tuple(
        Attempt(at=at, outbound=outbound, connected=connected, number_digest=target.variants[d])
        for at, outbound, connected, d, _, _ in sorted(rows, key=lambda row: row[0])
    )
    return history, tuple(a for a in history if a.number_digest == target.dialled)


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
