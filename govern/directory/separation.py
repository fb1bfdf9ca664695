"""Separation of duties in use: what a directory sync grants under the rules of `duties.py`
(`separate_people`, `record_conflicts`, in the sync's transaction), the conflicts found, and
the exceptions policy admins accept and end (use cases that own their transaction).

A withheld role is never stored in `identities.roles`, which is where every decision reads a
person's roles (`accounts.repository.staff_of`), so it gives no access anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from govern import signals
from govern.actor import Actor
from govern.bounds import LARGEST_ROW_ID
from govern.context import Context
from govern.directory.duties import (
    COLLECTOR,
    HELD,
    WITHHELD,
    DutyRule,
    Separation,
    Standing,
    collecting_roles,
    duties,
    duty_rules,
    max_exception_days,
    role_rules,
    separate,
)
from govern.directory.models import SYNC_LOCK, DutyConflict, DutyException, Identity
from govern.directory.person import DirectoryPerson
from govern.errors import BadRequest, Conflict, Forbidden, NotFound
from govern.justification import justification

log = logging.getLogger(__name__)


def today(ctx: Context) -> date:
    """The company's day now."""
    return ctx.clock.now().astimezone(ctx.settings.timezone).date()


def rules_of(ctx: Context) -> tuple[DutyRule, ...]:
    """The rules of `policies/separation_of_duties.toml`."""
    return duty_rules(ctx.settings.policies_dir)


def separate_people(
    db: Session, ctx: Context, stored: dict[str, Identity], people: Sequence[DirectoryPerson]
) -> tuple[list[DirectoryPerson], dict[str, Separation]]:
    """The people as the sync will store them (withheld roles taken out), and each person's
    separation where a rule applies. Reads, changes nothing."""
    rules = role_rules(rules_of(ctx))
    collecting = collecting_roles(ctx.settings.policies_dir)
    earlier = _earlier(db)
    excepted = _excepted(db, today(ctx))
    out, found = [], {}
    for person in people:
        identity = stored.get(person.employee_number)
        had = (
            duties(identity.roles, identity.project_group, collecting) if identity else frozenset()
        )
        standing = Standing(
            had=had,
            given=duties(person.roles, person.project_group, collecting),
            given_roles=frozenset(person.roles),
            excepted=excepted.get(person.employee_number, frozenset()),
            earlier=earlier.get(person.employee_number, {}),
            collecting=collecting,
        )
        separation = separate(rules, standing)
        if separation.conflicts:
            found[person.employee_number] = separation
            person = replace(person, roles=separation.roles)
        out.append(person)
    return out, found


def _earlier(db: Session) -> dict[str, dict[str, str | None]]:
    earlier: dict[str, dict[str, str | None]] = {}
    for row in db.scalars(select(DutyConflict).where(DutyConflict.role.is_not(None))):
        earlier.setdefault(row.employee_number, {})[row.rule_id] = row.role
    return earlier


def _excepted(db: Session, day: date) -> dict[str, frozenset[str]]:
    covered: dict[str, set[str]] = {}
    for row in db.scalars(_active(day)):
        covered.setdefault(row.employee_number, set()).add(row.rule_id)
    return {number: frozenset(rules) for number, rules in covered.items()}


def _active(day: date) -> Select[tuple[DutyException]]:
    return select(DutyException).where(
        DutyException.ended_at.is_(None), DutyException.ends_on >= day
    )


@dataclass(frozen=True)
class Noticed:
    """A conflict a sync found or changed, as its log line and metric name it (ids only)."""

    employee_number: str
    rule_id: str
    state: str
    role: str | None
    run: str


def record_conflicts(
    db: Session, ctx: Context, run: str, found: dict[str, Separation], now: datetime
) -> list[Noticed]:
    """Store the conflicts this sync found, in its transaction: a new one, or one whose state
    changed, recorded in the trail and returned (for `tell`, once committed); those gone
    deleted, with the exceptions that covered them closed; exceptions past their end date
    closed as lapsed (as `lapse_exceptions`, should the watch not have run)."""
    for late in list(db.scalars(_open().where(DutyException.ends_on < today(ctx)))):
        _lapse(db, ctx, late)
    current = {(c.employee_number, c.rule_id): c for c in db.scalars(select(DutyConflict))}
    noticed = []
    for number, separation in found.items():
        for rule_id, (state, role) in separation.conflicts.items():
            row = current.pop((number, rule_id), None)
            if row is not None and (row.state, row.role) == (state, role):
                continue
            if row is None:
                row = DutyConflict(employee_number=number, rule_id=rule_id, since=now)
                db.add(row)
            row.state, row.role, row.sync_run = state, role, run
            ctx.trail.record(
                db, "duties.conflict", None, number, rule=rule_id, state=state, role=role, run=run
            )
            noticed.append(Noticed(number, rule_id, state, role, run))
    for (number, rule_id), row in current.items():
        db.delete(row)
        ctx.trail.record(db, "duties.conflict.resolved", None, number, rule=rule_id, run=run)
        for exception in list(db.scalars(_open().where(*_of(number, rule_id)))):
            _close(db, ctx, exception, run)
    return noticed


def tell(noticed: list[Noticed]) -> None:
    """The conflicts a committed sync found or changed: a log line of ids only each, and the
    metric."""
    for found in noticed:
        log.warning(
            "separation of duties: %s under rule %s for employee %s (role %s, sync %s)",
            found.state,
            found.rule_id,
            found.employee_number,
            found.role,
            found.run,
        )
        signals.duty_conflict.send(found.rule_id, state=found.state)


@dataclass(frozen=True)
class ConflictLine:
    """A conflict as the report shows it: the row, the person, the rule."""

    conflict: DutyConflict
    person: Identity
    rule: DutyRule | None

    @property
    def needs_action(self) -> bool:
        """Whether both duties are held with nothing withheld and no exception: no sync ends
        it; a policy admin accepts an exception, or the directory entry is mended."""
        return self.conflict.state == HELD


def conflicts(db: Session, ctx: Context) -> list[ConflictLine]:
    """Every current conflict, by employee number and rule."""
    rules = {rule.id: rule for rule in rules_of(ctx)}
    rows = db.execute(
        select(DutyConflict, Identity)
        .join(Identity, Identity.employee_number == DutyConflict.employee_number)
        .order_by(DutyConflict.employee_number, DutyConflict.rule_id)
    )
    return [ConflictLine(c, person, rules.get(c.rule_id)) for c, person in rows]


@dataclass(frozen=True)
class ExceptionLine:
    """An exception and its state on the company's day: active, lapsed or ended."""

    exception: DutyException
    state: str


def exceptions(db: Session, ctx: Context) -> list[ExceptionLine]:
    """Every exception, newest first, with its state today."""
    day = today(ctx)
    rows = db.scalars(select(DutyException).order_by(DutyException.id.desc()))
    return [ExceptionLine(row, _state(row, day)) for row in rows]


def _state(row: DutyException, day: date) -> str:
    if row.ended_by is not None:
        return "ended"
    return "active" if row.ends_on >= day and row.ended_at is None else "lapsed"


def _open() -> Select[tuple[DutyException]]:
    """The exceptions nobody and nothing has closed yet (active, or lapsed and not yet seen)."""
    return select(DutyException).where(DutyException.ended_at.is_(None))


def _close(db: Session, ctx: Context, row: DutyException, run: str) -> None:
    """Close an exception whose conflict a sync found gone, in its transaction: one past its
    end date lapses; one still active is ended by the sync (`sync:<run>`), so that the pair,
    given again later, is withheld again rather than silently excepted."""
    if row.ends_on < today(ctx):
        _lapse(db, ctx, row)
        return
    row.ended_by, row.ended_at = f"sync:{run}", ctx.clock.now()
    ctx.trail.record(
        db,
        "duties.exception.resolved",
        None,
        row.employee_number,
        exception=row.id,
        rule=row.rule_id,
        role=row.role,
        run=run,
    )


def _lapse(db: Session, ctx: Context, row: DutyException) -> None:
    """Mark an exception past its end date as seen lapsed, with its event."""
    row.ended_at = ctx.clock.now()
    ctx.trail.record(
        db,
        "duties.exception.lapsed",
        None,
        row.employee_number,
        exception=row.id,
        rule=row.rule_id,
        role=row.role,
    )


def lapse_exceptions(db: Session, ctx: Context) -> list[int]:
    """Close every exception past its end date (company time) that is not closed yet, as
    ending it would: the role it let through is withheld at once, the event
    `duties.exception.lapsed` recorded. Run by the scheduler's watch every minute, so that no
    sync need run; idempotent (a lapsed exception is closed once). Returns the ids closed."""
    late = _open().where(DutyException.ends_on < today(ctx)).order_by(DutyException.id)
    if db.scalars(late).first() is None:
        return []  # the common minute: no lock taken, no sync kept waiting
    _after_any_sync(db)
    rows = list(db.scalars(late.with_for_update()))
    for row in rows:
        _lapse(db, ctx, row)
    for number in sorted({row.employee_number for row in rows}):
        _settle(db, ctx, number)
    db.commit()
    if rows:
        log.info("separation of duties: exceptions lapsed: %s", [row.id for row in rows])
    return [row.id for row in rows]


def _after_any_sync(db: Session) -> None:
    """Wait for a directory sync under way, and keep the next from starting until this
    transaction ends (PostgreSQL; SQLite's one writer serialises them already): a sync decides
    from conflicts and exceptions it read at its start, and must not write over a change."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK)))


def _settle(db: Session, ctx: Context, number: str) -> None:
    """Hold one person's roles to the rules again, as a sync that found the directory
    unchanged would (`separate`, with the exceptions active now): after an exception is
    accepted, ended or lapsed. In the caller's transaction."""
    db.flush()
    person = db.get(Identity, number)
    if person is None:
        return
    rows = {
        row.rule_id: row
        for row in db.scalars(select(DutyConflict).where(DutyConflict.employee_number == number))
    }
    excepted = _excepted(db, today(ctx)).get(number, frozenset())
    separation = separate(rules_of(ctx), _standing_now(ctx, person, rows, excepted))
    person.roles = list(separation.roles)
    for rule_id, (state, role) in separation.conflicts.items():
        if rule_id in rows:
            rows[rule_id].state, rows[rule_id].role = state, role


def _standing_now(
    ctx: Context, person: Identity, rows: dict[str, DutyConflict], excepted: frozenset[str]
) -> Standing:
    """A person's standing as the last sync left it: the roles the directory gave are those
    stored and those withheld (the collector role stands in only when nothing else is)."""
    collecting = collecting_roles(ctx.settings.policies_dir)
    given = set(person.roles) | {r.role for r in rows.values() if r.state == WITHHELD and r.role}
    given_roles = frozenset(given - {COLLECTOR} if len(given) > 1 else given)
    return Standing(
        had=duties(person.roles, person.project_group, collecting),
        given=duties(given_roles, person.project_group, collecting),
        given_roles=given_roles,
        excepted=excepted,
        earlier={rule_id: row.role for rule_id, row in rows.items() if row.role},
        collecting=collecting,
    )


@dataclass(frozen=True)
class Acceptance:
    """What a policy admin accepts: whose conflict, under which rule, why, until when."""

    employee_number: str
    rule_id: str
    reason: str
    ends_on: date


def accept_exception(db: Session, ctx: Context, admin: Actor, asked: Acceptance) -> ExceptionLine:
    """Accept a current conflict until the end of `ends_on`: the person's roles are held to the
    rules again with the exception (a withheld role is granted at once, unless another rule
    still withholds it).

    Raises NotFound `sod.conflict_unknown`, Forbidden `sod.own_exception`, BadRequest
    `sod.end_not_future` or `sod.end_too_far`, Conflict `sod.exception_active`, Unprocessable
    `justification.too_short`.
    """
    _after_any_sync(db)
    conflict, reason = _acceptable(db, ctx, admin, asked)
    row = DutyException(
        employee_number=asked.employee_number,
        rule_id=asked.rule_id,
        role=conflict.role,
        reason=reason,
        ends_on=asked.ends_on,
        accepted_by=admin.label,
        accepted_at=ctx.clock.now(),
    )
    db.add(row)
    _settle(db, ctx, asked.employee_number)
    ctx.trail.record(
        db,
        "duties.exception.accepted",
        admin.label,
        asked.employee_number,
        exception=row.id,
        rule=asked.rule_id,
        role=row.role,
        ends_on=asked.ends_on.isoformat(),
    )
    db.commit()
    return ExceptionLine(row, "active")


def _acceptable(
    db: Session, ctx: Context, admin: Actor, asked: Acceptance
) -> tuple[DutyConflict, str]:
    """The conflict `asked` names, and its trimmed reason, if it may be accepted."""
    key = (asked.employee_number, asked.rule_id)
    conflict = db.get(DutyConflict, key, with_for_update=True) if all(key) else None
    if conflict is None:
        raise NotFound("sod.conflict_unknown", "No such conflict: see the current conflicts.")
    if admin.staff.employee_number == asked.employee_number:
        raise Forbidden("sod.own_exception", "Nobody accepts an exception for themselves.")
    reason = justification(asked.reason, ctx.settings.justification_min_chars, "reason")
    if asked.ends_on < today(ctx):
        raise BadRequest("sod.end_not_future", "An exception ends today or later.")
    longest = max_exception_days(ctx.settings.policies_dir)
    if asked.ends_on > today(ctx) + timedelta(days=longest):
        raise BadRequest("sod.end_too_far", f"An exception ends within {longest} days.")
    if db.scalars(_active(today(ctx)).where(*_of(asked.employee_number, asked.rule_id))).first():
        raise Conflict("sod.exception_active", "An exception already covers this conflict.")
    return conflict, reason


def _of(employee_number: str, rule_id: str) -> tuple[ColumnElement[bool], ...]:
    return (
        DutyException.employee_number == employee_number,
        DutyException.rule_id == rule_id,
    )


def end_exception(
    db: Session, ctx: Context, admin: Actor, exception_id: int, reason: str
) -> ExceptionLine:
    """End an exception now: the role it let through is withheld at once.

    Raises NotFound `sod.exception_unknown`, Conflict `sod.exception_over`, Unprocessable
    `justification.too_short`.
    """
    _after_any_sync(db)
    found = 0 < exception_id <= LARGEST_ROW_ID
    row = db.get(DutyException, exception_id, with_for_update=True) if found else None
    if row is None:
        raise NotFound("sod.exception_unknown", f"No exception {exception_id}.")
    reason = justification(reason, ctx.settings.justification_min_chars, "reason")
    if _state(row, today(ctx)) != "active":
        raise Conflict("sod.exception_over", "This exception has already lapsed or ended.")
    row.ended_by, row.ended_at, row.end_reason = admin.label, ctx.clock.now(), reason
    _settle(db, ctx, row.employee_number)
    ctx.trail.record(
        db,
        "duties.exception.ended",
        admin.label,
        row.employee_number,
        exception=row.id,
        rule=row.rule_id,
        role=row.role,
    )
    db.commit()
    return ExceptionLine(row, "ended")
