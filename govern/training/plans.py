"""Training plans, the sessions approved plans produce, and the induction they leave out
(R-STF-3, R-TRN-2, R-TRN-3)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from govern.accounts.repository import is_present
from govern.clock import Clock
from govern.config import Settings
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import BadRequest, NotFound
from govern.ids import new_id
from govern.training import repository as repo
from govern.training.catalogue import load_catalogue
from govern.training.models import APPROVED, DRAFT, TrainingPlan
from govern.training.rules import check_range, induction_unscheduled
from govern.training.schedule import INDUCTION
from govern.training.timetable import Plan, TrainingSession, session_by_id, sessions_between
from govern.training.workdays import working_days


def draft_plan(
    db: Session,
    ctx: Context,
    office: str,
    title: str,
    term: str,
    tracks: list[str],
    starts: date,
    ends: date,
) -> TrainingPlan:
    """The office drafts a plan; it produces no session until approved.

    Raises BadRequest `plan.dates` when it ends before it starts.
    """
    if ends < starts:
        raise BadRequest("plan.dates", "A plan cannot end before it starts.")
    plan = TrainingPlan(
        id=new_id("TP"),
        title=title.strip(),
        term=term,
        tracks=sorted(set(tracks)),
        starts=starts,
        ends=ends,
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
    db: Session, settings: Settings, start: date, end: date, track: str | None = None
) -> list[TrainingSession]:
    """Sessions of approved plans between two days, optionally for one track.

    Raises BadRequest `range.invalid`, Unprocessable `calendar.year_unknown`.
    """
    check_range(start, end)
    return _sessions(db, settings, repo.approved_plans(db), start, end, track)


def unscheduled_inductions(
    db: Session, clock: Clock, settings: Settings, start: date, end: date, track: str | None = None
) -> list[Identity]:
    """New staff hired between two days whose induction on the hire date (§10, R-TRN-3) no
    approved plan schedules, for the office and HR to plan; people who have left are not
    listed. Optionally for one track.

    Raises BadRequest `range.invalid`.
    """
    check_range(start, end)
    hired = [p for p in repo.hired_between(db, start, end) if track in (None, p.track)]
    sessions = sessions_between(
        load_catalogue(settings.policies_dir),
        working_days(settings.policies_dir),
        settings.timezone,
        repo.approved_plans(db),
        [p.hire_date for p in hired if p.hire_date is not None],
        start,
        end,
        kinds={INDUCTION},
    )
    scheduled = {s.day for s in sessions}
    now = clock.now()
    return [
        p
        for p in hired
        if p.hire_date is not None
        and induction_unscheduled(p.hire_date, is_present(p, now, settings.departures), scheduled)
    ]


def find_session(db: Session, settings: Settings, session_id: str) -> TrainingSession:
    """The session of an approved plan called `session_id` (e.g. `weekly-2026-12-04`).

    Raises NotFound `session.unknown`, Unprocessable `calendar.year_unknown`.
    """
    try:
        day = date.fromisoformat(session_id.partition("-")[2])
    except ValueError:
        raise NotFound("session.unknown", f"No training session {session_id}.") from None
    return session_by_id(
        load_catalogue(settings.policies_dir),
        working_days(settings.policies_dir),
        settings.timezone,
        repo.approved_plans(db),
        repo.hire_dates(db, day, day),
        session_id,
    )


def _sessions(
    db: Session,
    settings: Settings,
    plans: list[Plan],
    start: date,
    end: date,
    track: str | None,
) -> list[TrainingSession]:
    found = sessions_between(
        load_catalogue(settings.policies_dir),
        working_days(settings.policies_dir),
        settings.timezone,
        plans,
        repo.hire_dates(db, start, end),
        start,
        end,
    )
    return [s for s in found if track is None or track in s.tracks]
