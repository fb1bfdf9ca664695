"""Debtor use cases: view, reveal, caseload, search (import and key rotation: sealing.py).

Every read decides each field (govern/access/rules.py), opens only what will be shown, and
returns only after its audit event is durable (R-ACS-3): if the trail cannot take it, the
caller gets 503 and nothing of the debtor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from govern.access.door import DebtorRef, Decision, Door, Opening
from govern.access.policy import access_policy, check_fields
from govern.access.rules import (
    FULL,
    MASKED,
    ON_PURPOSE,
    Entrustment,
    FieldDecision,
    Reach,
    Viewer,
    shown_level,
)
from govern.access.service import (
    PolicyCache,
    ReadingRules,
    account_of,
    reading_rules,
    rules_at,
)
from govern.actor import Actor
from govern.context import Context, Sealer
from govern.debtors import repository as repo
from govern.debtors.masking import mask
from govern.debtors.models import PERSONAL_FIELDS, Debtor
from govern.debtors.repository import DebtorRead, StopColumn
from govern.debtors.vault import KeysDestroyed
from govern.errors import BadRequest, Forbidden, NotFound
from govern.justification import justification

#: Where start-up keeps the blueprints' DebtorWiring (`app.extensions`).
WIRING = "govern.debtors"
LIST, RECORD, REVEAL = "list", "record", "reveal"
LOOKUP_KINDS = ("phone", "id_number")
DEBTOR_ID = re.compile(r"^DB-[0-9A-Z]{4}-[0-9A-Z]{4}$")
_LISTS = ("phones", "family", "emergency_contacts")


#: Asks the investigations capability whether an approved investigation opens a debtor to
#: its viewer now: (db, investigation id, viewer's account id, debtor id) → the opening.
#: Raises Forbidden `investigation.*` naming the debtor.
Opener = Callable[[Session, str, str, str], Opening]

#: Asks the notes capability which of these debtors are under a complaint stop (R-CON-5), for
#: the caseload and the record to show it (handed in at start-up: notes sit above debtors).
Stops = Callable[[Session, Sequence[str]], frozenset[str]]


#: Asks the creditors capability for the contracts of these clients (甲方), for the door to
#: hold each debtor to its creditor's (handed in at start-up: creditors sit above debtors):
#: (db, clients, the contracts' version read for the request, or None to read them afresh).
Entrustments = Callable[[Session, Sequence[str], int | None], Mapping[str, Entrustment]]


def no_stops(_db: Session, _debtor_ids: Sequence[str]) -> frozenset[str]:
    """Where no capability above says otherwise: no debtor is stopped."""
    return frozenset()


def no_entrustments(
    _db: Session, _clients: Sequence[str], _version: int | None
) -> Mapping[str, Entrustment]:
    """Where no capability above says otherwise: no client is a creditor with a contract."""
    return {}


#: What a capability above keeps of a debtor's numbers under its lookup key (contact's calls,
#: permits and blocks), moved with it from one lookup key to another: (db, vault, debtor,
#: from, to), the ids as `Debtor.lookup_key_id` holds them (handed in: contact sits above).
Rekeyed = Callable[[Session, Sealer, Debtor, str | None, str | None], None]


def no_rekeyed(
    _db: Session, _vault: Sealer, _debtor: Debtor, _from: str | None, _to: str | None
) -> None:
    """Where no capability above keeps digests of a debtor's numbers."""


@dataclass(frozen=True)
class DebtorWiring:
    """What start-up (govern/app.py) hands the debtor blueprint for its `Gate`: the access
    policy's cache, the investigations' opener and the notes' complaint stops (capabilities it
    may not build); and `govern keys rotate` contact's re-keying of a debtor's numbers."""

    policy: PolicyCache
    opening: Opener
    stops: Stops = no_stops
    entrustments: Entrustments = no_entrustments
    rekeyed: Rekeyed = no_rekeyed
    stop: StopColumn | None = None  # `stops` for a record view, read with the debtor's row


@dataclass(frozen=True)
class Gate:
    """What reading debtor data needs: the request's context (time, settings, the trail, the
    keys), the policy, and the way to ask for an investigation's opening (handed in at
    start-up: investigations sit above debtors)."""

    ctx: Context
    policy: PolicyCache
    opening: Opener
    stops: Stops = no_stops
    entrustments: Entrustments = no_entrustments
    stop: StopColumn | None = None  # `stops` for a record view, read with the debtor's row


@dataclass(frozen=True)
class Shown:
    """One debtor as it left the server: values at their shown level, withheld fields with
    their reason codes, and how the viewer reached the debtor."""

    debtor: Debtor
    values: dict[str, Any]
    levels: dict[str, str]
    withheld: dict[str, str]
    reach: Reach
    purpose: str | None = None
    stopped: bool | None = None  # under a complaint stop (R-CON-5); None: not asked


@dataclass(frozen=True)
class Showing:
    """How a debtor is to be shown: in a list, as a record (through an investigation, when
    one is named) or revealed (the fields asked for, for a purpose)."""

    mode: str  # LIST, RECORD or REVEAL
    investigation: str | None = None
    wanted: frozenset[str] | None = None  # a reveal answers only these fields
    purpose: str | None = None


LISTED = Showing(LIST)


# ---- reading -------------------------------------------------------------------------------


def view_debtor(
    db: Session, gate: Gate, actor: Actor, debtor_id: str, investigation: str | None = None
) -> Shown:
    """One debtor record: each field at its decided level, `on_purpose` fields masked.

    Raises NotFound `debtor.unknown`, Forbidden `debtor.not_assigned` /
    `audit.investigation_required` / `investigation.*` (`_investigation`) /
    `creditor.contract_not_started` / `creditor.contract_ended`, AuditNotWritten.
    """
    reading, read = _reading_one(db, gate, actor, debtor_id, gate.stop)
    shown = _show(db, gate, reading, read.debtor, Showing(RECORD, investigation=investigation))
    if read.stopped is None:
        shown = _with_stops(db, gate, [shown])[0]
    else:
        shown = replace(shown, stopped=read.stopped)
    db.commit()  # the read ends here; its events are made durable after
    _audit(db, gate, reading, [shown], "debtor.viewed")
    return shown


def reveal_fields(
    db: Session, gate: Gate, actor: Actor, debtor_id: str, fields: list[str], purpose: str
) -> Shown:
    """`on_purpose` fields in full for a stated purpose (e.g. the phone number to dial): one of
    the policy's purpose codes, trimmed like every justification.

    Raises Unprocessable `justification.too_short` (only spaces), BadRequest `purpose.unknown`
    / `field.unknown`, and what `view_debtor` raises.
    """
    purpose = justification(purpose, 1, "purpose")  # a code from the list, not free text
    rules = access_policy(gate.ctx.settings.policies_dir)
    if purpose not in rules.purposes:
        raise BadRequest("purpose.unknown", f"Say why with one of: {', '.join(rules.purposes)}.")
    check_fields(gate.ctx.settings.policies_dir, fields)
    reading, read = _reading_one(db, gate, actor, debtor_id)
    asked = Showing(REVEAL, wanted=frozenset(fields), purpose=purpose)
    shown = _show(db, gate, reading, read.debtor, asked)
    db.commit()  # the read ends here; its events are made durable after
    _audit(db, gate, reading, [shown], "debtor.revealed")
    return shown


def caseload(db: Session, gate: Gate, actor: Actor, after: str, limit: int) -> list[Shown]:
    """A page of the debtors the caller reaches through their own project group, masked: up to
    `limit` of those whose creditor's contract runs (has started, has not ended), after the id
    `after`."""
    reading = _reading(db, gate, actor)
    group = reading.viewer.project_group
    groups = frozenset({group} if group else ())
    shown: list[Shown] = []
    while len(shown) < limit:  # the debtors of ended contracts left out, the page filled
        wanted = limit - len(shown)
        page = repo.caseload(db, groups, after, wanted)
        shown += [
            _show(db, gate, reading, debtor, LISTED)
            for debtor in page
            if _current(db, gate, reading, debtor)
        ]
        if len(page) < wanted:
            break
        after = page[-1].id
    shown = _with_stops(db, gate, shown)
    db.commit()  # the read ends here; its events are made durable after
    _audit(db, gate, reading, shown, "debtor.listed")
    return shown


def _current(db: Session, gate: Gate, reading: Reading, debtor: Debtor) -> bool:
    """Whether the debtor's creditor's contract runs (has started, has not ended) and its keys
    remain (a caseload leaves the others out: an end a crash cut short fails no list)."""
    entrustment = reading.entrustment(db, gate, debtor.client)
    running = entrustment is None or entrustment.runs(gate.ctx.clock.now())
    try:
        return running and bool(gate.ctx.vault.key_for(debtor.client))
    except KeysDestroyed:
        return False


def _with_stops(db: Session, gate: Gate, shown: list[Shown]) -> list[Shown]:
    """Each debtor shown with whether collection on it is stopped (R-CON-5)."""
    stopped = gate.stops(db, [item.debtor.id for item in shown])
    return [replace(item, stopped=item.debtor.id in stopped) for item in shown]


def decide_debtor(db: Session, gate: Gate, actor: Actor, debtor_id: str) -> tuple[Debtor, Decision]:
    """The debtor and the door's decision for the caller (its reach, each field's level or
    reason code), for the capabilities above that act on a debtor (notes, contact). Opens
    nothing and audits nothing: what the caller then shows, it audits.

    Raises BadRequest `debtor.id_malformed`, NotFound `debtor.unknown`, Forbidden
    `debtor.not_assigned` / `audit.investigation_required` / `creditor.contract_not_started` /
    `creditor.contract_ended` (naming the debtor).
    """
    reading, read = _reading_one(db, gate, actor, debtor_id)
    debtor = read.debtor
    return debtor, reading.door.decide(reading.viewer, reading.ref(db, gate, debtor))


def search(db: Session, gate: Gate, actor: Actor, kind: str, value: str) -> list[Shown]:
    """Debtors by phone or identity number (through their keyed digests), masked; only
    those the caller reaches. The search itself is one `debtor.searched` event (the kind and
    how many matched or were out of reach, never the number). Raises BadRequest `search.kind`."""
    if kind not in LOOKUP_KINDS:
        raise BadRequest("search.kind", "Search by phone or id_number.")
    reading = _reading(db, gate, actor)
    found, refused = [], 0
    digests = gate.ctx.vault.digests(kind, lookup_form(kind, value))  # under every creditor's
    for debtor in repo.by_digest(db, kind, digests):
        try:
            found.append(_show(db, gate, reading, debtor, LISTED))
        except Forbidden:
            refused += 1  # out of reach: not even its existence is shown
    searched = (
        "debtor.searched",
        reading.viewer.account_id,
        None,
        _search_details(kind, found, refused),
    )
    db.commit()  # the read ends here; its events are made durable after
    gate.ctx.trail.record_all_now(db, [searched, *_events(reading, found, "debtor.found")])
    return found


def lookup_form(kind: str, value: str) -> str:
    """A phone or identity number as its digest is kept: no spaces or hyphens, upper case."""
    return re.sub(r"[\s-]", "", value).upper()


def _search_details(kind: str, found: list[Shown], refused: int) -> dict[str, Any]:
    return {"kind": kind, "shown": len(found), "out_of_reach": refused}


@dataclass(frozen=True)
class Reading:
    """One request's view of the rules: the viewer (certifications as their training record
    stands now), the door that decides every debtor of the request with the policy version
    read with it, once, at the request's start (`reading_rules`), and the contracts' version
    read with them."""

    viewer: Viewer
    door: Door
    contracts: int | None = None
    creditors: dict[str, Entrustment | None] = field(default_factory=dict)  # by client

    @property
    def policy_version(self) -> int:
        """The version of the policy that decided this request's debtors."""
        return self.door.table[0]

    def entrustment(self, db: Session, gate: Gate, client: str) -> Entrustment | None:
        """The contract of the debtor's creditor, asked once per client and request (at the
        contracts' version read for the request: a process may keep it)."""
        if client not in self.creditors:
            found = gate.entrustments(db, [client], self.contracts)
            self.creditors[client] = found.get(client)
        return self.creditors[client]

    def ref(self, db: Session, gate: Gate, debtor: Debtor) -> DebtorRef:
        """What the door is told of the debtor: its id, group and creditor's contract."""
        return DebtorRef(debtor.id, debtor.project_group, self.entrustment(db, gate, debtor.client))


def _reading(db: Session, gate: Gate, actor: Actor) -> Reading:
    return _reading_by(db, gate, reading_rules(db, gate.ctx, gate.policy, actor))


def _reading_one(
    db: Session, gate: Gate, actor: Actor, debtor_id: str, stop: StopColumn | None = None
) -> tuple[Reading, DebtorRead]:
    """The reading of a request about one debtor, and the debtor, read with the versions the
    reading is decided at (and its complaint stop, when `stop` is given) in one round trip.

    Raises Forbidden `debtor.no_account`, BadRequest `debtor.id_malformed`, NotFound
    `debtor.unknown`.
    """
    account_id = account_of(actor)
    read = repo.debtor_with_versions(db, _checked_id(debtor_id), account_id, stop)
    if read is None:
        raise NotFound("debtor.unknown", f"No debtor {debtor_id}.")
    rules = rules_at(db, gate.ctx, gate.policy, actor, read.versions)
    return _reading_by(db, gate, rules), read


def _reading_by(db: Session, gate: Gate, rules: ReadingRules) -> Reading:
    door = Door(db, gate.ctx.clock, gate.ctx.settings.policies_dir, gate.policy, rules.table)
    return Reading(rules.viewer, door, rules.contracts)


def _show(db: Session, gate: Gate, reading: Reading, debtor: Debtor, asked: Showing) -> Shown:
    opening = _opening(db, gate, reading.viewer, asked.investigation, debtor.id)
    decided = reading.door.decide(
        reading.viewer, reading.ref(db, gate, debtor), opening, asked.purpose
    )
    levels, withheld = _levels(decided.fields, asked.mode, asked.wanted)
    rules = access_policy(gate.ctx.settings.policies_dir).fields
    values = {
        name: _value(gate.ctx.vault, debtor, name, level, rules[name].mask)
        for name, level in levels.items()
    }
    return Shown(debtor, values, levels, withheld, decided.reach, asked.purpose)


def _opening(
    db: Session, gate: Gate, viewer: Viewer, investigation_id: str | None, debtor_id: str
) -> Opening | None:
    """The approved investigation named by its requester, if it covers the debtor and has
    not expired (govern/investigations/rules.py), as the door's reach grant.

    Raises Forbidden `investigation.not_covering` / `investigation.query_only` /
    `investigation.not_approved` / `investigation.not_yours` / `investigation.expired`.
    """
    if investigation_id is None:
        return None
    return gate.opening(db, investigation_id, viewer.account_id, debtor_id)


def _levels(
    decisions: list[FieldDecision], mode: str, wanted: frozenset[str] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """What each field is shown at in this mode, and why the others are withheld."""
    levels, withheld = {}, {}
    for decision in decisions:
        if wanted is not None and decision.field not in wanted:
            continue  # a reveal answers only the fields asked for
        if decision.reason is not None:
            withheld[decision.field] = decision.reason
        elif mode == REVEAL and decision.level not in (FULL, ON_PURPOSE):
            withheld[decision.field] = "role.field.masked_only"
        elif mode == LIST:
            levels[decision.field] = MASKED if decision.level != FULL else _list_level(decision)
        else:
            levels[decision.field] = shown_level(decision, revealing=mode == REVEAL)  # type: ignore[assignment]
    return levels, withheld


def _list_level(decision: FieldDecision) -> str:
    """Lists are masked by default: personal fields masked, case fields (no mask) as they are."""
    return MASKED if decision.field in PERSONAL_FIELDS else FULL


def _value(vault: Sealer, debtor: Debtor, name: str, level: str, mask_kind: str) -> Any:
    if name not in PERSONAL_FIELDS:
        value = getattr(debtor, name)
        return str(value) if name == "amount_owed" else value
    plain = vault.open(getattr(debtor, name), f"{debtor.id}/{name}")
    value = json.loads(plain) if name in _LISTS else plain
    return value if level == FULL else mask(mask_kind, value)


def _audit(db: Session, gate: Gate, reading: Reading, shown: list[Shown], action: str) -> None:
    """One event per debtor shown, durable before anything is returned."""
    events = _events(reading, shown, action)
    if events:
        gate.ctx.trail.record_all_now(db, events)


def _events(reading: Reading, shown: list[Shown], action: str) -> list[tuple]:
    viewer = reading.viewer
    return [(action, viewer.account_id, item.debtor.id, _details(reading, item)) for item in shown]


def _details(reading: Reading, item: Shown) -> dict[str, Any]:
    details: dict[str, Any] = {
        "fields": {**item.levels, **item.withheld},
        "viewer_group": reading.viewer.project_group,
        "object_group": item.debtor.project_group,
        "reach": item.reach.way,
        "policy_version": reading.policy_version,
    }
    for name, value in (
        ("break_glass", item.reach.grant),
        ("investigation", item.reach.investigation),
        ("purpose", item.purpose),
    ):
        if value is not None:
            details[name] = value
    return details


def debtor_entrustment(
    entrustments: Entrustments,
) -> Callable[[Session, str], Entrustment | None]:
    """A debtor's creditor's contract, by the debtor's id (explain asks the door with it)."""

    def entrustment(db: Session, debtor_id: str) -> Entrustment | None:
        client = _debtor(db, debtor_id).client
        return entrustments(db, [client], None).get(client)

    return entrustment


def debtor_group(db: Session, debtor_id: str) -> str:
    """The project group a debtor is assigned to.

    Raises BadRequest `debtor.id_malformed`, NotFound `debtor.unknown`.
    """
    return _debtor(db, debtor_id).project_group


def _debtor(db: Session, debtor_id: str) -> Debtor:
    found = repo.debtor(db, _checked_id(debtor_id))
    if found is None:
        raise NotFound("debtor.unknown", f"No debtor {debtor_id}.")
    return found


def _checked_id(debtor_id: str) -> str:
    """Raises BadRequest `debtor.id_malformed` unless `debtor_id` looks like a debtor's id."""
    if not DEBTOR_ID.match(debtor_id):
        raise BadRequest("debtor.id_malformed", "A debtor id looks like DB-7K3M-9Q2X.")
    return debtor_id
