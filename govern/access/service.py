"""Access use cases: the current field table (rebuilt when the stored policy version moves),
the viewer as they stand at this request, policy changes and explaining a decision."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govern.access import repository as repo
from govern.access.door import DebtorRef, Door
from govern.access.models import BreakGlassGrant
from govern.access.policy import AccessPolicy, access_policy, casbin_enforcer, default_lines
from govern.access.rules import COLLECTOR, Entrustment, Viewer, data_roles
from govern.access.table import FieldTable, PolicyLines, build_table, parse_lines
from govern.accounts.models import ACTIVE, Account
from govern.accounts.repository import staff_of
from govern.actor import Actor
from govern.clock import Clock
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import BadRequest, Conflict, Forbidden, NotFound
from govern.ids import new_id
from govern.justification import justification
from govern.training.certifications import TrainingRecords, held, holding

MAX_LINES_PER_CHANGE = 1000
POLICY_VALUE = re.compile(r"^[A-Za-z0-9_.*-]{1,64}$")


class PolicyCache:
    """The field table of the stored policy version, shared by a process's threads.

    Every request reads the version (one small query); only a new version rebuilds the
    table, so a change made through any instance reaches all of them at their next request.
    It only reads: the first policy is stored by `store_default_policy`, a use case of its own.
    """

    def __init__(self, policies_dir: Path) -> None:
        self.policies_dir = policies_dir
        self._lock = threading.Lock()
        self._cached: tuple[int, FieldTable] = (0, FieldTable({}, {}))  # swapped whole
        #: Whether this process has seen a policy stored (a store is never emptied again).
        self.stored = False
        #: The viewers' training records, checked with the version (`reading_rules`).
        self.records = TrainingRecords()

    def table(self, db: Session) -> tuple[int, FieldTable]:
        """The version and its table. Raises PolicyNotStored before `store_default_policy`."""
        return self.table_at(db, repo.version(db))

    def table_at(self, db: Session, current: int | None) -> tuple[int, FieldTable]:
        """The table of version `current`, just read (None: no policy stored). Raises
        PolicyNotStored before `store_default_policy`."""
        if current is None:
            raise PolicyNotStored("store_default_policy comes before the first read")
        self.stored = True
        cached = self._cached
        if current == cached[0]:
            return cached
        with self._lock:
            if self._cached[0] != current:
                self._cached = self._rebuild(db, current)
            return self._cached

    @staticmethod
    def _rebuild(db: Session, version: int) -> tuple[int, FieldTable]:
        """The table of the lines stored at `version`: read again if a change came between."""
        while True:
            lines = repo.lines(db)
            now = repo.version(db)
            if now == version:
                return version, build_table(parse_lines(lines))
            version = now  # type: ignore[assignment]


class PolicyNotStored(RuntimeError):
    """The policy was read before any was stored (a bug: `store_default_policy` first)."""


def store_default_policy(db: Session, clock: Clock, cache: PolicyCache) -> None:
    """An empty store takes the default policy (policies/access/policy.csv), once across
    instances, in a transaction of its own committed here: the web layer asks it the first
    time a process needs the policy, before the read that needs it begins."""
    if repo.version(db) is None:
        try:
            repo.store_first(db, default_lines(cache.policies_dir), "policy:default", clock.now())
            db.commit()
        except IntegrityError:  # another instance stored it first
            db.rollback()
    cache.stored = True


def ready_policy(db: Session, clock: Clock, cache: PolicyCache) -> PolicyCache:
    """`cache`, its store holding a policy: the first time a process needs it, an empty store
    takes the default (`store_default_policy`, committed before the read begins). The one way
    to the cache from a request, so no read meets an empty policy store."""
    if not cache.stored:
        store_default_policy(db, clock, cache)
    return cache


#: A debtor's project group (db, debtor id), asked of the debtors capability above.
DebtorGroup = Callable[[Session, str], str]
#: A debtor's creditor's contract (None where its client is no creditor Govern knows).
DebtorEntrustment = Callable[[Session, str], Entrustment | None]


def no_entrustment(_db: Session, _debtor_id: str) -> Entrustment | None:
    return None


@dataclass(frozen=True)
class AccessWiring:
    """What start-up (govern/app.py) hands the access blueprint: the policy's cache, shared
    with the debtor reads, and the way to a debtor's project group (debtors sit above)."""

    policy: PolicyCache
    debtor_group: DebtorGroup
    entrustment: DebtorEntrustment = no_entrustment


def viewer_of(db: Session, ctx: Context, account_id: str) -> Viewer:
    """Any account as it stands now (for explaining a decision about it).

    Raises NotFound `account.unknown`, Forbidden `account.<state>` when not active.
    """
    row = db.execute(
        select(Account, Identity)
        .join(Identity, Identity.employee_number == Account.employee_number)
        .where(Account.id == account_id)
    ).first()
    if row is None:
        raise NotFound("account.unknown", f"No account {account_id}.")
    account, person = row
    if account.state != ACTIVE:
        raise Forbidden(f"account.{account.state}", f"Account {account_id} is {account.state}.")
    return viewer(db, ctx, Actor(staff_of(person), account_id, account_id, person.project_group))


def viewer(db: Session, ctx: Context, actor: Actor) -> Viewer:
    """The viewer an actor is to the access decisions: their account, data roles, project
    group and department, with the certifications that hold now (read fresh). The one place a
    `Viewer` is made of who acts.

    Raises Forbidden `debtor.no_account` for an actor without an account (the console).
    """
    account_id = account_of(actor)
    return _viewer(actor, account_id, holding(db, ctx, account_id))


@dataclass(frozen=True)
class ReadingRules:
    """What a debtor read is decided by, as it stands at the request: the viewer, the stored
    policy's version and table, and the version of the creditors' contracts (a debtor's
    creditor's contract kept by a process is read again when it moved)."""

    viewer: Viewer
    table: tuple[int, FieldTable]
    contracts: int


def reading_rules(db: Session, ctx: Context, cache: PolicyCache, actor: Actor) -> ReadingRules:
    """`viewer`, the stored policy's version and table (`PolicyCache.table`) and the
    contracts' version, as a debtor read needs them: the versions and the size of the
    viewer's training record are read in one round trip, the record itself only when it has
    grown since this process last read it (`TrainingRecords`); what holds is decided from it
    now, so a lapse counts at once.

    Raises Forbidden `debtor.no_account`, PolicyNotStored before `store_default_policy`.
    """
    return rules_at(db, ctx, cache, actor, repo.versions(db, account_of(actor)))


def rules_at(
    db: Session, ctx: Context, cache: PolicyCache, actor: Actor, found: repo.Versions | None
) -> ReadingRules:
    """`reading_rules` at the versions a debtor read has just read with its own row
    (`repository.versions_read`; None: no policy stored).

    Raises Forbidden `debtor.no_account`, PolicyNotStored before `store_default_policy`.
    """
    account_id = account_of(actor)
    if found is None:
        raise PolicyNotStored("store_default_policy comes before the first read")
    table = cache.table_at(db, found.policy)
    record = cache.records.record(db, account_id, found.training_entries)
    return ReadingRules(_viewer(actor, account_id, held(ctx, record)), table, found.contracts)


def account_of(actor: Actor) -> str:
    """The actor's account. Raises Forbidden `debtor.no_account` (the console)."""
    if actor.account_id is None:
        raise Forbidden("debtor.no_account", "Only a personal account reads debtor data.")
    return actor.account_id


def _viewer(actor: Actor, account_id: str, holding: frozenset[str]) -> Viewer:
    staff = actor.staff
    return Viewer(
        account_id, data_roles(staff.roles), actor.project_group, staff.department, holding
    )


# ---- policy changes (policy admins) -------------------------------------------------------------


def change_policy(
    db: Session,
    ctx: Context,
    admin: str,
    added: list[list[str]],
    removed: list[list[str]],
) -> int:
    """Add and remove policy lines in one transaction with the version bump and its audit
    event. Returns the new version.

    Raises BadRequest `policy.line_invalid` / `policy.field_unknown`, Conflict
    `policy.line_missing` (a line to remove is not stored) — and then nothing changes.
    """
    rules, roles = access_policy(ctx.settings.policies_dir), known_roles(ctx.settings.role_groups)
    add, drop = _checked(added, rules, roles), _checked(removed, rules, roles)
    row = repo.lock_version(db)  # one change at a time, each checked against what it changes
    stored = set(repo.lines(db))
    missing = [line for line in drop if line not in stored]
    if missing:
        raise Conflict("policy.line_missing", f"Not in the policy: {', '.join(missing[0])}.")
    future = [line for line in stored if line not in drop] + add
    casbin_enforcer(ctx.settings.policies_dir, future)  # casbin must accept the result
    version = repo.change(db, row, add, drop, admin, ctx.clock.now())
    ctx.trail.record(
        db,
        "policy.changed",
        admin,
        f"policy:v{version}",
        added=[list(line) for line in add],
        removed=[list(line) for line in drop],
    )
    db.commit()
    return version


def _checked(
    lines: list[list[str]], rules: AccessPolicy, roles: frozenset[str]
) -> list[tuple[str, ...]]:
    """Lines as casbin and the table read them alike: plain names, fields of `rules` and
    `roles` known, and no role inheriting an auditor's lines (auditors see debtors only
    through investigations)."""
    if len(lines) > MAX_LINES_PER_CHANGE:
        raise BadRequest("policy.too_many", f"At most {MAX_LINES_PER_CHANGE} lines at once.")
    if any(not POLICY_VALUE.match(value) for line in lines for value in line[1:]):
        raise BadRequest("policy.line_invalid", "Names are letters, digits and _ . - or *.")
    try:
        parsed = parse_lines(lines)
    except ValueError as error:
        raise BadRequest("policy.line_invalid", str(error)) from None
    unknown = [name for _, _, name, _ in parsed.grants if name not in rules.fields]
    if unknown:
        raise BadRequest("policy.field_unknown", f"No debtor field called {unknown[0]}.")
    strangers = [r for r in _roles_named(parsed) if r not in roles]
    if strangers:
        raise BadRequest("policy.role_unknown", f"No role called {strangers[0]}.")
    if any(rules.reach.get(parent) == "investigation" for _, parent, _ in parsed.links):
        raise BadRequest("policy.inherits_auditor", "No role may inherit an auditor's lines.")
    return [tuple(line) for line in lines]


def known_roles(role_groups: Mapping[str, str]) -> frozenset[str]:
    """The roles of `policies/roles.toml` (role → directory group), and collector (staff in
    no role group)."""
    return frozenset(role_groups) | {COLLECTOR}


def _roles_named(lines: PolicyLines) -> set[str]:
    return {g[0] for g in lines.grants} | {r for link in lines.links for r in link[:2]}


def policy_lines(db: Session, cache: PolicyCache) -> tuple[int, list[tuple[str, ...]]]:
    version, _ = cache.table(db)
    return version, repo.lines(db)


# ---- break glass ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRequest:
    account_id: str
    debtor_id: str | None
    project_group: str | None  # the debtor's, when a debtor is named
    hours: float
    justification: str


def grant_break_glass(
    db: Session, ctx: Context, grantor: Actor, asked: GrantRequest
) -> BreakGlassGrant:
    """A supervisor's or head's time-boxed access for one of their department's staff to one
    debtor or project group the grantor reaches, with a written justification; it expires by
    itself and every use is flagged to auditors.

    Raises Forbidden `break_glass.not_grantor` / `break_glass.own` /
    `break_glass.other_department` / `break_glass.auditor` / `break_glass.outside_your_reach`,
    NotFound `account.unknown`, and only once those are passed, Unprocessable
    `justification.too_short` (fewer than GOVERN_JUSTIFICATION_MIN_CHARS characters once
    trimmed) and BadRequest `break_glass.too_long`: a refusal of who may grant what is a denial,
    audited (R-AUD-1), whatever the justification.
    """
    clock, settings = ctx.clock, ctx.settings
    rules = access_policy(settings.policies_dir)
    if not grantor.staff.roles & rules.grantors:
        raise Forbidden("break_glass.not_grantor", "Only supervisors and heads grant break glass.")
    _check_grantee(db, settings.policies_dir, grantor, asked.account_id)
    _check_grantor_reaches(Door(db, clock, settings.policies_dir), grantor, asked.project_group)
    # after who may grant what: a refused grantor is a denial (403, audited), whatever they wrote
    why = justification(asked.justification, settings.justification_min_chars)
    asked = replace(asked, justification=why)
    if asked.hours > rules.break_glass_hours:
        raise BadRequest("break_glass.too_long", f"At most {rules.break_glass_hours} hours.")
    grant = _granted(clock, grantor.label, asked)
    db.add(grant)
    ctx.trail.record(
        db,
        "access.break_glass.granted",
        grantor.label,
        asked.account_id,
        grant=grant.id,
        debtor=asked.debtor_id,
        project_group=asked.project_group,
        minutes=round(asked.hours * 60),
    )
    db.commit()
    return grant


def _check_grantee(db: Session, policies_dir: Path, grantor: Actor, account_id: str) -> None:
    """A grantee is someone else in the grantor's department, active, and no auditor."""
    if account_id == grantor.account_id:
        raise Forbidden("break_glass.own", "Nobody grants break glass to themselves.")
    row = db.execute(
        select(Account, Identity)
        .join(Identity, Identity.employee_number == Account.employee_number)
        .where(Account.id == account_id, Account.state == ACTIVE)
    ).first()
    if row is None:
        raise NotFound("account.unknown", f"No active account {account_id}.")
    person = row[1]
    if person.department != grantor.staff.department:
        raise Forbidden("break_glass.other_department", "Grant only your own department's staff.")
    reach_rules = access_policy(policies_dir).reach
    if any(reach_rules.get(role) == "investigation" for role in person.roles):
        raise Forbidden("break_glass.auditor", "Auditors reach debtors through investigations.")


def _check_grantor_reaches(door: Door, grantor: Actor, group: str | None) -> None:
    """The grantor must reach the debtor or group themselves, through the door with no grant
    of their own: break glass lends, never widens."""
    staff = grantor.staff
    who = Viewer(grantor.label, staff.roles, grantor.project_group, staff.department, frozenset())
    try:
        door.reach(who, DebtorRef(None, group or ""), lent=False)
    except Forbidden:
        raise Forbidden(
            "break_glass.outside_your_reach", f"You do not reach project group {group} yourself."
        ) from None


def _granted(clock: Clock, grantor: str, asked: GrantRequest) -> BreakGlassGrant:
    now = clock.now()
    return BreakGlassGrant(
        id=new_id("BG"),
        account_id=asked.account_id,
        debtor_id=asked.debtor_id,
        project_group=None if asked.debtor_id else asked.project_group,
        justification=asked.justification,
        granted_by=grantor,
        granted_at=now,
        expires_at=now + timedelta(hours=asked.hours),
    )


# ---- explain (R-ACS-4) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """Explain: may this account get this field of this debtor?"""

    account_id: str
    debtor_id: str
    debtor_group: str
    field: str
    entrustment: Entrustment | None = None  # its creditor's contract, as the door holds it


def explain(db: Session, ctx: Context, cache: PolicyCache, asked: Question) -> dict[str, Any]:
    """The whole path of one decision: account, reach, role and policy lines, training.

    Raises BadRequest `field.unknown`.
    """
    clock, settings = ctx.clock, ctx.settings
    rule = access_policy(settings.policies_dir).fields.get(asked.field)
    if rule is None:
        raise BadRequest("field.unknown", f"No debtor field called {asked.field}.")
    steps: list[dict[str, Any]] = []
    door = Door(db, clock, settings.policies_dir, cache)
    try:
        who = viewer_of(db, ctx, asked.account_id)
        steps.append({"step": "account", "outcome": "active", "roles": sorted(who.roles)})
        decided = door.decide(
            who, DebtorRef(asked.debtor_id, asked.debtor_group, asked.entrustment)
        )
    except Forbidden as refused:
        return _explained(steps, "account" if not steps else "reach", refused.code, None)
    way, decision = decided.reach, decided.field(asked.field)
    steps.append({"step": "reach", "outcome": way.way, "grant": way.grant})
    steps.append(
        {
            "step": "policy",
            "policy_version": decided.policy_version,
            "roles": sorted(way.roles),
            "level": door.table[1].level(way.roles, asked.debtor_group, asked.field),
            "lines": _lines_for(repo.lines(db), way.roles, asked.field),
        }
    )
    steps.append(
        {"step": "training", "requires": list(rule.requires), "holding": sorted(who.holding)}
    )
    return _explained(steps, "decision", decision.reason, decision.level)


def _explained(
    steps: list[dict[str, Any]], last: str, reason: str | None, level: str | None
) -> dict[str, Any]:
    if reason is not None:
        steps.append({"step": last, "outcome": "denied", "reason": reason})
    return {"allowed": reason is None, "level": level, "reason": reason, "path": steps}


def _lines_for(stored: list[tuple[str, ...]], roles: frozenset[str], field: str) -> list[list[str]]:
    """The stored lines that bear on `field` for these roles (grants and role links)."""
    return [
        list(line)
        for line in stored
        if (line[0] == "p" and line[3] == field) or (line[0] == "g" and line[1] in roles)
    ]
