"""Leave and attendance (R-TRN-6): leave excuses an absence only when asked half a day ahead
and approved by the person's head before the session; otherwise it is unexcused (旷工)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from govern.actor import Actor, Staff
from govern.bounds import LARGEST_ROW_ID
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import Conflict, Forbidden, NotFound
from govern.training import repository as repo
from govern.training.models import Attendance, LeaveRequest
from govern.training.people import account_of, check_superior, superior_of, visible_account
from govern.training.rules import (
    PRESENT,
    Leave,
    attendance_verdict,
    department_in_view,
    leave_problem,
)
from govern.training.timetable import TrainingSession


@dataclass(frozen=True)
class LeaveView:
    leave: LeaveRequest
    problem: str | None  # why it does not excuse an absence, as it stands


@dataclass(frozen=True)
class AttendanceLine:
    record: Attendance
    person: Identity
    verdict: str
    leave_problem: str | None


def request_leave(
    db: Session,
    ctx: Context,
    account_id: str,
    session: TrainingSession,
) -> LeaveView:
    """Ask for leave from a session. Accepted even when late, but then it excuses nothing.

    Raises Forbidden `session.not_participant`, Conflict `session.started` / `leave.requested`.
    """
    _, person = account_of(db, account_id)
    _expect_participant(session, person)
    if ctx.clock.now() >= session.starts:
        raise Conflict("session.started", "Leave is asked before the session starts.")
    leave = LeaveRequest(
        account_id=account_id,
        session_id=session.id,
        session_day=session.day,
        session_starts=session.starts,
        submitted_at=ctx.clock.now(),
    )
    if not repo.added_once(db, leave):
        raise Conflict("leave.requested", "You already asked for leave from this session.")
    ctx.trail.record(db, "training.leave.requested", account_id, session.id, leave=leave.id)
    db.commit()
    return LeaveView(leave, _problem(leave, leave.session_starts, ctx.settings.leave_notice_hours))


def approve_leave(
    db: Session,
    ctx: Context,
    approver: Actor,
    leave_id: int,
) -> LeaveView:
    """The person's department head (the general manager for heads) approves, before the
    session starts (§14.1). Idempotent.

    Raises NotFound `leave.unknown`, Forbidden `leave.self_approval` /
    `leave.not_department_head` / `leave.not_general_manager`, Conflict `session.started`.
    """
    leave = db.get(LeaveRequest, leave_id) if 0 < leave_id <= LARGEST_ROW_ID else None
    if leave is None:
        raise NotFound("leave.unknown", f"No leave request {leave_id}.")
    _, person = account_of(db, leave.account_id)
    check_superior(db, ctx, approver.staff, person, "leave")
    if ctx.clock.now() >= leave.session_starts:
        raise Conflict(
            "session.started", "The session has started; leave can no longer be approved."
        )
    if leave.approved_at is None:
        leave.approved_by, leave.approved_at = approver.label, ctx.clock.now()
        ctx.trail.record(
            db, "training.leave.approved", approver.label, leave.account_id, leave=leave.id
        )
        db.commit()
    return LeaveView(leave, _problem(leave, leave.session_starts, ctx.settings.leave_notice_hours))


@dataclass(frozen=True)
class LeaveLine:
    view: LeaveView
    person: Identity


@dataclass(frozen=True)
class Participant:
    account_id: str
    person: Identity
    recorded: str | None  # the attendance status recorded for the session, if any


def leave_asked(
    db: Session, ctx: Context, account_id: str, session_ids: list[str]
) -> dict[str, LeaveView]:
    """session id → the leave `account_id` asked from it, with why it would not excuse an
    absence, of the sessions `session_ids` (those without leave left out)."""
    notice = ctx.settings.leave_notice_hours
    return {
        leave.session_id: LeaveView(leave, _problem(leave, leave.session_starts, notice))
        for leave in repo.leave_from(db, account_id, session_ids)
    }


def leave_to_approve(db: Session, ctx: Context, approver: Staff) -> list[LeaveLine]:
    """Leave not yet approved for sessions still ahead, of the people `approver` answers for
    (`check_superior`: their head, the general manager for heads), soonest first."""
    notice = ctx.settings.leave_notice_hours
    answers_for = superior_of(db, ctx, approver)
    return [
        LeaveLine(LeaveView(leave, _problem(leave, leave.session_starts, notice)), person)
        for leave, person in repo.pending_leave(db, ctx.clock.now())
        if answers_for(person)
    ]


def participants(
    db: Session, ctx: Context, viewer: Staff, session: TrainingSession
) -> list[Participant]:
    """The active accounts expected at `session` whose training `viewer` sees (a head's own
    department, everyone for the training readers of policies/roles.toml: `department_in_view`),
    with the attendance already recorded.

    Raises Forbidden `account.department_not_visible`.
    """
    department = department_in_view(viewer, None, ctx.roles.training_readers)
    recorded = repo.attendance_at(db, session.id)
    return [
        Participant(account_id, person, recorded.get(account_id))
        for account_id, person in repo.active_people(db, department)
        if session.is_for(person.track, person.hire_date)
    ]


def record_attendance(
    db: Session,
    ctx: Context,
    recorder: Actor,
    session: TrainingSession,
    account_id: str,
    status: str,
) -> Attendance:
    """Record whether someone attended, was absent or left early. Once per person and session.
    A recorder records only for people whose training they see (the training readers of
    policies/roles.toml: `visible_account`).

    Raises Forbidden `attendance.own` / `training.not_visible` / `session.not_participant`,
    Conflict `session.not_started` / `attendance.recorded`.
    """
    _check_recordable(db, ctx, recorder.staff, session, account_id)
    record = Attendance(
        session_id=session.id,
        session_day=session.day,
        session_starts=session.starts,
        plans=list(session.plans),
        account_id=account_id,
        status=status,
        recorded_by=recorder.label,
        recorded_at=ctx.clock.now(),
    )
    if not repo.added_once(db, record):
        raise Conflict("attendance.recorded", "Attendance for this person is already recorded.")
    ctx.trail.record(
        db,
        "training.attendance.recorded",
        recorder.label,
        account_id,
        session=session.id,
        status=status,
    )
    db.commit()
    return record


def _check_recordable(
    db: Session, ctx: Context, recorder: Staff, session: TrainingSession, account_id: str
) -> None:
    """`recorder` may record `account_id`'s attendance at `session` now (see
    `record_attendance`, which names what this raises)."""
    _, person = visible_account(db, recorder, account_id, ctx.roles.training_readers)
    if person.employee_number == recorder.employee_number:
        raise Forbidden("attendance.own", "Nobody records their own attendance.")
    _expect_participant(session, person)
    if ctx.clock.now() < session.starts:
        raise Conflict("session.not_started", "Attendance is recorded once the session starts.")


def attendance_report(
    db: Session,
    ctx: Context,
    viewer: Staff,
    start: date,
    end: date,
    department: str | None,
) -> list[AttendanceLine]:
    """Attendance with each absence judged excused or unexcused, against the session as it
    was when recorded; heads see their own department, the training readers of
    policies/roles.toml any (`department_in_view`).

    Raises Forbidden `account.department_not_visible`.
    """
    in_view = department_in_view(viewer, department, ctx.roles.training_readers)
    lines = []
    for record, person, leave in repo.attendance_between(db, start, end, in_view):
        problem = None
        if record.status != PRESENT:
            problem = _problem(leave, record.session_starts, ctx.settings.leave_notice_hours)
        lines.append(
            AttendanceLine(record, person, attendance_verdict(record.status, problem), problem)
        )
    return lines


def _problem(leave: LeaveRequest | None, starts: datetime, notice_hours: float) -> str | None:
    """Why `leave` does not excuse an absence from a session starting at `starts`, asked
    `notice_hours` (GOVERN_LEAVE_NOTICE_HOURS) ahead; None when it does."""
    facts = None if leave is None else Leave(leave.submitted_at, leave.approved_at)
    return leave_problem(facts, starts, timedelta(hours=notice_hours))


def _expect_participant(session: TrainingSession, person: Identity) -> None:
    if not session.is_for(person.track, person.hire_date):
        raise Forbidden(
            "session.not_participant", f"{person.employee_number} is not expected at {session.id}."
        )
