"""Training plans, the sessions approved plans produce, and the induction they leave out
(R-STF-3, R-TRN-2, R-TRN-3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from govern.accounts.repository import is_present
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import BadRequest, NotFound
from govern.ids import new_id
from govern.training import repository as repo
from govern.training.catalogue import load_catalogue
from govern.training.models import APPROVED, DRAFT, TrainingPlan
from govern.training.rules import check_range, induction_unscheduled
from govern.training.schedule import INDUCTION
from govern.training.timetable import Calendar, TrainingSession, session_by_id, sessions_between
from govern.training.workdays import working_days


@dataclass(frozen=True)
class PlanDraft:
    """A plan as the office drafts it (the blueprint's `PlanInSchema`)."""

    title: str
    term: str  # short or long
    tracks: list[str]
    starts: date
    ends: date


def draft_plan(db: Session, ctx: Context, office: str, draft: PlanDraft) -> TrainingPlan:
    """The office drafts a plan; it produces no session until approved.

    Raises BadRequest `plan.dates` when it ends before it starts.
    """
    if draft.ends < draft.starts:
        raise BadRequest("plan.dates", "A plan cannot end before it starts.")
    plan = TrainingPlan(
        id=new_id("TP"),
        title=draft.title.strip(),
        term=draft.term,
        tracks=sorted(set(draft.tracks)),
        starts=draft.starts,
        ends=draft.ends,
        state=DRAFT,
        drafted_by=office,
        drafted_at=ctx.clock.now(),
    )
    db.add(plan)
    db.flush()
    ctx.trail.record(db, "training.plan.drafted", office, plan.id, tracks=plan.tracks)
    db.commit()
    return plan


def approve_plan(db: Session, ctx: Context, manager: str, plan_id: str) -> TrainingPlan:
    """The general manager approves a plan (R-STF-3). Idempotent.

    Raises NotFound `plan.unknown`.
    """
    plan = db.get(TrainingPlan, plan_id)
    if plan is None:
        raise NotFound("plan.unknown", f"No training plan {plan_id}.")
    if plan.state != APPROVED:
        plan.state, plan.approved_by, plan.approved_at = APPROVED, manager, ctx.clock.now()
        ctx.trail.record(db, "training.plan.approved", manager, plan.id)
        db.commit()
    return plan


def list_plans(db: Session) -> list[TrainingPlan]:
    return repo.plans(db)


def list_sessions(
    db: Session, ctx: Context, start: date, end: date, track: str | None = None
) -> list[TrainingSession]:
    """Sessions of approved plans between two days, optionally for one track.

    Raises BadRequest `range.invalid`, Unprocessable `calendar.year_unknown`.
    """
    check_range(start, end)
    found = sessions_between(
        calendar(ctx), repo.approved_plans(db), repo.hire_dates(db, start, end), start, end
    )
    return [s for s in found if track is None or track in s.tracks]


def unscheduled_inductions(
    db: Session, ctx: Context, start: date, end: date, track: str | None = None
) -> list[Identity]:
    """New staff hired between two days whose induction on the hire date (§10, R-TRN-3) no
    approved plan schedules, for the office and HR to plan; people who have left are not
    listed. Optionally for one track.

    Raises BadRequest `range.invalid`.
    """
    check_range(start, end)
    hired = [p for p in repo.hired_between(db, start, end) if track in (None, p.track)]
    hire_dates = [p.hire_date for p in hired if p.hire_date is not None]
    sessions = sessions_between(
        calendar(ctx), repo.approved_plans(db), hire_dates, start, end, kinds={INDUCTION}
    )
    scheduled = {s.day for s in sessions}
    now, departures = ctx.clock.now(), ctx.settings.departures
    return [
        p
        for p in hired
        if p.hire_date is not None
        and induction_unscheduled(p.hire_date, is_present(p, now, departures), scheduled)
    ]


def find_session(db: Session, ctx: Context, session_id: str) -> TrainingSession:
    """The session of an approved plan called `session_id` (e.g. `weekly-2026-12-04`).

    Raises NotFound `session.unknown`, Unprocessable `calendar.year_unknown`.
    """
    try:
        day = date.fromisoformat(session_id.partition("-")[2])
    except ValueError:
        raise NotFound("session.unknown", f"No training session {session_id}.") from None
    plans, hire_dates = repo.approved_plans(db), repo.hire_dates(db, day, day)
    return session_by_id(calendar(ctx), plans, hire_dates, session_id)


def calendar(ctx: Context) -> Calendar:
    """The catalogue and working days of the policies folder, in the company's zone."""
    policies_dir = ctx.settings.policies_dir
    return Calendar(load_catalogue(policies_dir), working_days(policies_dir), ctx.settings.timezone)
