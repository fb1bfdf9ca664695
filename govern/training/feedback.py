"""Feedback forms (R-TRN-7): when an approved plan has ended, each participant's form is due
to their department head within three months; returned forms are recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from govern.actor import Actor, Staff
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import Conflict, NotFound
from govern.training import repository as repo
from govern.training.models import APPROVED, Attendance, FeedbackForm, TrainingPlan
from govern.training.people import check_superior
from govern.training.rules import (
    LEFT_EARLY,
    PRESENT,
    department_in_view,
    feedback_due,
    feedback_kind,
    feedback_state,
)

#: A plan's last Friday session may move this far past its end (a holiday week).
_MOVED_SESSIONS = timedelta(days=14)


@dataclass(frozen=True)
class FeedbackItem:
    plan: TrainingPlan
    person: Identity
    account_id: str
    kind: str  # probation (试用期) or regular (正式)
    due: date
    state: str  # due, overdue or returned
    form: FeedbackForm | None


def feedback_forms(
    db: Session, ctx: Context, viewer: Staff, department: str | None
) -> list[FeedbackItem]:
    """The forms of every ended approved plan: one per participant, due to their head
    (the training readers of policies/roles.toml see every department's:
    `department_in_view`).

    Raises Forbidden `account.department_not_visible`.
    """
    readers = ctx.roles.training_readers
    return _forms(db, ctx, department_in_view(viewer, department, readers))


def return_feedback(
    db: Session,
    ctx: Context,
    head: Actor,
    plan_id: str,
    account_id: str,
    assessment: str,
) -> FeedbackItem:
    """The participant's department head (the general manager for heads) returns the form.

    Raises NotFound `feedback.unknown`, Forbidden `feedback.self_approval` /
    `feedback.not_department_head` / `feedback.not_general_manager`, Conflict
    `feedback.returned`.
    """
    item = _item(db, ctx, plan_id, account_id)
    check_superior(db, ctx, head.staff, item.person, "feedback")
    form = FeedbackForm(
        plan_id=plan_id,
        account_id=account_id,
        kind=item.kind,
        assessment=assessment.strip(),
        returned_by=head.label,
        returned_at=ctx.clock.now(),
    )
    if item.form is not None or not repo.added_once(db, form):
        raise Conflict("feedback.returned", "This form was already returned.")
    ctx.trail.record(
        db, "training.feedback.returned", head.label, account_id, plan=plan_id, kind=item.kind
    )
    db.commit()
    return _item(db, ctx, plan_id, account_id)


def _item(db: Session, ctx: Context, plan_id: str, account_id: str) -> FeedbackItem:
    for item in _forms(db, ctx, None, plan_id):
        if item.account_id == account_id:
            return item
    raise NotFound("feedback.unknown", "No feedback form is due for this plan and person.")


def _forms(
    db: Session, ctx: Context, department: str | None, plan_id: str | None = None
) -> list[FeedbackItem]:
    """The forms of the ended approved plans (or of `plan_id`), read in three statements
    however many plans there are."""
    settings = ctx.settings
    today = ctx.clock.now().astimezone(settings.timezone).date()
    ended = [
        plan
        for plan in repo.plans(db)
        if plan.state == APPROVED and plan.ends < today and plan_id in (None, plan.id)
    ]
    if not ended:
        return []
    returned = repo.feedback_forms(db, [plan.id for plan in ended])
    attended = _attendance(db, ended, department)
    items = []
    for plan in ended:
        due = feedback_due(plan.ends, settings.feedback_months)
        for account_id, person in _participants(plan, attended).items():
            form = returned.get((plan.id, account_id))
            state = feedback_state(form is not None, today, due)
            kind = feedback_kind(person.hire_date, plan.ends, settings.probation_months)
            items.append(FeedbackItem(plan, person, account_id, kind, due, state, form))
    return items


def _attendance(
    db: Session, plans: list[TrainingPlan], department: str | None
) -> list[tuple[Attendance, Identity]]:
    """Attendance of the sessions `plans` may have produced, in one read."""
    start = min(plan.starts for plan in plans)
    end = max(plan.ends for plan in plans) + _MOVED_SESSIONS
    rows = repo.attendance_between(db, start, end, department)
    return [(record, person) for record, person, _ in rows]


def _participants(
    plan: TrainingPlan, attended: list[tuple[Attendance, Identity]]
) -> dict[str, Identity]:
    """Who took part: present at, or leaving early from, a session the plan produced."""
    window_end = plan.ends + _MOVED_SESSIONS
    return {
        record.account_id: person
        for record, person in attended
        if record.status in (PRESENT, LEFT_EARLY)
        and plan.id in record.plans
        and plan.starts <= record.session_day <= window_end
    }
