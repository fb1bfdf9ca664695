"""Complaint-case use cases (R-CON-5): the open cases and their deadlines, resuming collection
with a reason, the cases to report to the client (甲方) and marking them reported; and the
calls left without a note (R-NTE-1) for supervisors and department heads.

A case is opened by the note that records the complaint (govern/notes/service.py); while any
case of a debtor is open, collection on it is stopped. Supervisors and the complaint desk
resume it (`@requires("complaint", "resume")`), each change audited in its transaction.
Each sees and acts on the cases of the debtors the access door lets them reach: a supervisor
their project group's (and a break-glass grant's), the complaint desk the company's
(policies/access/fields.toml [reach]).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from govern.access.door import DebtorRef, Door
from govern.access.service import viewer
from govern.actor import Actor
from govern.contact.models import Call, ComplaintCase
from govern.context import Context
from govern.debtors.service import Gate, debtor_group, decide_debtor
from govern.errors import Conflict, Forbidden, NotFound
from govern.justification import justification
from govern.notes import repository as repo
from govern.notes.rules import last_due, note_due, watch

RESUMED = "resumed"
#: How many unnoted calls one answer lists at most (the oldest first).
UNNOTED_LIMIT = 500


@dataclass(frozen=True)
class Case:
    """A complaint case as listed: whether it is past its deadline and still open."""

    case: ComplaintCase
    overdue: bool


def open_cases(db: Session, gate: Gate, actor: Actor) -> list[Case]:
    """The open cases of the debtors the caller reaches, the nearest deadline first."""
    reaches = _reaches(db, gate, actor)
    found = [case for case, group in repo.open_cases(db) if reaches(case.debtor_id, group)]
    return [_listed(gate.ctx, case) for case in found]


def cases_to_report(db: Session, gate: Gate, actor: Actor) -> list[Case]:
    """Cases of the debtors the caller reaches not yet reported to the client, open or
    resumed, oldest first."""
    reaches = _reaches(db, gate, actor)
    found = [case for case, group in repo.unreported_cases(db) if reaches(case.debtor_id, group)]
    return [_listed(gate.ctx, case) for case in found]


def _reaches(db: Session, gate: Gate, actor: Actor) -> Callable[[str, str], bool]:
    """Whether the caller reaches a debtor (id, project group), asked of the access door's
    reach rule without deciding any field: a list of cases opens no debtor data."""
    door = Door(db, gate.ctx.clock, gate.ctx.settings.policies_dir)
    who = viewer(db, gate.ctx, actor)

    def reaches(debtor_id: str, project_group: str) -> bool:
        try:
            door.reach(who, DebtorRef(debtor_id, project_group))
        except Forbidden:
            return False
        return True

    return reaches


def _listed(ctx: Context, case: ComplaintCase) -> Case:
    return Case(case, case.state == repo.OPEN and case.deadline <= ctx.clock.now())


def resume(db: Session, gate: Gate, actor: Actor, case_id: str, reason: str) -> Case:
    """Close an open case of a debtor the caller reaches and, if no other case of the debtor
    is open, let collection resume.

    Raises Unprocessable `justification.too_short`, NotFound `complaint.unknown`, what
    `decide_debtor` raises (Forbidden `debtor.not_assigned`, `creditor.contract_ended`: no
    collection to resume once the creditor's contract has ended), Conflict
    `complaint.not_open`.
    """
    ctx = gate.ctx
    reason = justification(reason, ctx.settings.justification_min_chars, "reason")
    case = _case(db, gate, actor, case_id)
    decide_debtor(db, gate, actor, case.debtor_id)
    if case.state != repo.OPEN:
        raise Conflict("complaint.not_open", f"Case {case.id} was resumed already.")
    case.state, case.resumed_at = RESUMED, ctx.clock.now()
    case.resumed_by, case.resume_reason = actor.label, reason
    ctx.trail.record(
        db, "complaint.resumed", actor.label, case.debtor_id, case=case.id, kind=case.kind
    )
    db.commit()
    return _listed(ctx, case)


def mark_reported(db: Session, gate: Gate, actor: Actor, case_id: str) -> Case:
    """Record that a case of a debtor the caller reaches was reported to the client (once):
    also once the creditor's contract has ended and the debtor's data is destroyed (the report
    names ids, dates and the state, no personal value).

    Raises NotFound `complaint.unknown`, Forbidden `debtor.not_assigned`, Conflict
    `complaint.reported`.
    """
    ctx = gate.ctx
    case = _case(db, gate, actor, case_id)
    if case.reported_at is not None:
        raise Conflict("complaint.reported", f"Case {case.id} was reported already.")
    case.reported_at = ctx.clock.now()
    ctx.trail.record(
        db, "complaint.reported", actor.label, case.debtor_id, case=case.id, kind=case.kind
    )
    db.commit()
    return _listed(ctx, case)


def _case(db: Session, gate: Gate, actor: Actor, case_id: str) -> ComplaintCase:
    """The case, locked, once the door's reach rule lets the caller reach its debtor (as a list
    of cases asks it: the case opens no debtor data). Raises NotFound `complaint.unknown`,
    Forbidden `debtor.not_assigned`."""
    found = repo.case(db, case_id, lock=True)
    if found is None:
        raise NotFound("complaint.unknown", f"No complaint case {case_id}.")
    door = Door(db, gate.ctx.clock, gate.ctx.settings.policies_dir)
    door.reach(
        viewer(db, gate.ctx, actor), DebtorRef(found.debtor_id, debtor_group(db, found.debtor_id))
    )
    return found


@dataclass(frozen=True)
class Unnoted:
    """A call no note records past its due time, with the collector who made or took it
    (None when the telephone system could not say)."""

    call: Call
    collector: str | None  # the account
    collector_name: str | None
    department: str | None
    project_group: str | None
    due: datetime


def unnoted_calls(db: Session, ctx: Context, actor: Actor) -> list[Unnoted]:
    """Calls whose note is overdue (R-NTE-1: due at GOVERN_NOTE_DUE_TIME company time on the
    day of the call) that the caller watches (`rules.watch`); oldest first, at most
    UNNOTED_LIMIT, counted among the watched calls only."""
    now, settings = ctx.clock.now(), ctx.settings
    staff = actor.staff
    watched = watch(staff.roles, staff.department, actor.project_group)
    overdue = last_due(now, settings.timezone, settings.note_due_time)
    found = []
    for call, who in repo.unnoted_calls(db, overdue, watched, UNNOTED_LIMIT):
        due = note_due(call.started_at, settings.timezone, settings.note_due_time)
        name, department, group = (
            (who.name, who.department, who.project_group) if who else (None,) * 3
        )
        found.append(Unnoted(call, call.account_id, name, department, group, due))
    return found


@dataclass(frozen=True)
class OwnCall:
    """One of the caller's own calls, for them to find its id and note it."""

    call: Call
    noted: bool


def own_calls(
    db: Session, ctx: Context, actor: Actor, since: datetime | None, limit: int
) -> list[OwnCall]:
    """The calls the caller made or took, newest first, from `since` (by default the start of
    yesterday, company time: a call after the due time is noted the next day), each with
    whether a note records it. Shows ids, never a number.

    Raises Forbidden `call.no_account` for an actor without an account (the console).
    """
    if actor.account_id is None:
        raise Forbidden("call.no_account", "Only a personal account has calls of its own.")
    start = since or _yesterday(ctx)
    return [OwnCall(*row) for row in repo.own_calls(db, actor.account_id, start, limit)]


def _yesterday(ctx: Context) -> datetime:
    """The start of yesterday, company time."""
    today = ctx.clock.now().astimezone(ctx.settings.timezone).date()
    return datetime.combine(today - timedelta(days=1), time(), ctx.settings.timezone)
