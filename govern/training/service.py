"""Training use cases. Each owns its transaction and appends its audit event inside it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govern.accounts.models import REVOKED, Account
from govern.accounts.repository import staff_of
from govern.accounts.rules import DEPARTMENT_HEAD, Staff, may_view_account, may_view_department
from govern.auditing.trail import Trail
from govern.clock import Clock
from govern.config import Settings
from govern.directory.models import Identity
from govern.errors import BadRequest, Conflict, Forbidden, NotFound
from govern.training import repository as repo
from govern.training.catalogue import Catalogue, load_catalogue
from govern.training.models import (
    APPROVED,
    DRAFT,
    AgreementSignature,
    Attendance,
    ExamResult,
    FeedbackForm,
    HrCase,
    LeaveRequest,
    TrainingPlan,
)
from govern.training.rules import (
    LEFT_EARLY,
    PRESENT,
    CertificationStatus,
    Leave,
    Outcome,
    attendance_verdict,
    certification_status,
    exam_standing,
    feedback_due,
    feedback_kind,
    grade,
    in_training,
    leave_problem,
)
from govern.training.timetable import TrainingSession, session_by_id, sessions_between
from govern.training.workdays import WorkingDays

#: Roles that may see anyone's training records (besides heads, for their department).
TRAINING_READERS = frozenset({"office", "trainer", "hr", "general_manager", "auditor"})


def catalogue(settings: Settings) -> Catalogue:
    return load_catalogue(settings.policies_dir)


@cache
def working_days(policies_dir: Path) -> WorkingDays:
    """The working-day calendar with the policies' extra years, read once per process."""
    return WorkingDays.from_policies(policies_dir)


def check_policies(policies_dir: Path) -> None:
    """Read the catalogue and the holidays now, so a mistake stops the service at start-up.

    Raises ConfigError `training.catalogue` / `calendar.bad_data`.
    """
    load_catalogue(policies_dir)
    working_days(policies_dir)


# ---- plans and sessions (R-STF-3, R-TRN-2, R-TRN-3) ----------------------------------------------


def draft_plan(
    db: Session,
    clock: Clock,
    trail: Trail,
    office: str,
    title: str,
    term: str,
    tracks: list[str],
    starts: date,
    ends: date,
) -> TrainingPlan:
    """The office drafts a plan; it produces no session until approved. Raises BadRequest
    `plan.dates` when it ends before it starts."""
    if ends < starts:
        raise BadRequest("plan.dates", "A plan cannot end before it starts.")
    plan = TrainingPlan(
        id=_new_id("TP"),
        title=title.strip(),
        term=term,
        tracks=sorted(set(tracks)),
        starts=starts,
        ends=ends,
        state=DRAFT,
        drafted_by=office,
        drafted_at=clock.now(),
    )
    db.add(plan)
    db.flush()
    trail.record(db, "training.plan.drafted", office, plan.id, tracks=plan.tracks)
    db.commit()
    return plan


def approve_plan(
    db: Session, clock: Clock, trail: Trail, manager: str, plan_id: str
) -> TrainingPlan:
    """The general manager approves a plan (R-STF-3). Idempotent. Raises NotFound `plan.unknown`."""
    plan = _plan(db, plan_id)
    if plan.state != APPROVED:
        plan.state, plan.approved_by, plan.approved_at = APPROVED, manager, clock.now()
        trail.record(db, "training.plan.approved", manager, plan.id)
        db.commit()
    return plan


def list_plans(db: Session) -> list[TrainingPlan]:
    return repo.plans(db)


def list_sessions(
    db: Session, settings: Settings, start: date, end: date, track: str | None
) -> list[TrainingSession]:
    """Sessions of approved plans between two days, optionally for one track.

    Raises BadRequest `range.invalid`, Unprocessable `calendar.year_unknown`.
    """
    if end < start or end - start > timedelta(days=731):
        raise BadRequest("range.invalid", "Ask for at most two years, `from` before `to`.")
    found = sessions_between(
        catalogue(settings),
        working_days(settings.policies_dir),
        settings.timezone,
        repo.approved_plans(db),
        repo.hire_dates(db, start, end),
        start,
        end,
    )
    return [s for s in found if track is None or track in s.tracks]


def find_session(db: Session, settings: Settings, session_id: str) -> TrainingSession:
    """Raises NotFound `session.unknown`."""
    return session_by_id(
        catalogue(settings),
        working_days(settings.policies_dir),
        settings.timezone,
        repo.approved_plans(db),
        _hire_dates_near(db, session_id),
        session_id,
    )


def _hire_dates_near(db: Session, session_id: str) -> list[date]:
    try:
        day = date.fromisoformat(session_id.partition("-")[2])
    except ValueError:
        return []
    return repo.hire_dates(db, day, day)


# ---- exams and HR cases (R-TRN-5) ---------------------------------------------------------------


@dataclass(frozen=True)
class RecordedResult:
    result: ExamResult
    outcome: Outcome
    hr_case: HrCase | None


def record_result(
    db: Session,
    clock: Clock,
    settings: Settings,
    trail: Trail,
    trainer: Staff,
    trainer_account: str,
    course: str,
    account_id: str,
    score: int,
) -> RecordedResult:
    """Archive one exam result; a failed retake opens an HR case in the same transaction.

    Raises NotFound `course.unknown` / `account.unknown`, Forbidden `exam.own_result`,
    Conflict `account.revoked`, `exam.hr_case_open`, `exam.hr_no_retake`.
    """
    catalogue(settings).exam_course(course)
    account, person = _account_of(db, account_id)
    if person.employee_number == trainer.employee_number:
        raise Forbidden("exam.own_result", "Nobody records their own exam result.")
    if account.state == REVOKED:
        raise Conflict("account.revoked", f"{account_id} is revoked; its record is closed.")
    repo.lock_account(db, account_id)  # two trainers at once must not both see "first attempt"
    standing = exam_standing(repo.exam_history(db, account_id, course))
    outcome = grade(
        standing, len(repo.results(db, account_id, course)), score, settings.exam_pass_mark
    )
    result = ExamResult(
        account_id=account_id,
        course=course,
        score=score,
        passed=outcome.passed,
        attempt=outcome.attempt,
        recorded_by=trainer_account,
        recorded_at=clock.now(),
    )
    db.add(result)
    db.flush()
    trail.record(
        db,
        "exam.result.recorded",
        trainer_account,
        account_id,
        course=course,
        result=result.id,
        passed=outcome.passed,
        attempt=outcome.attempt,
    )
    case = _open_case(db, clock, trail, account_id, course) if outcome.opens_hr_case else None
    db.commit()
    return RecordedResult(result, outcome, case)


def _open_case(db: Session, clock: Clock, trail: Trail, account_id: str, course: str) -> HrCase:
    case = HrCase(id=_new_id("HR"), account_id=account_id, course=course, opened_at=clock.now())
    db.add(case)
    trail.record(db, "hr.case.opened", None, account_id, case=case.id, course=course)
    return case


def list_cases(db: Session, open_only: bool) -> list[HrCase]:
    return repo.cases(db, open_only=open_only)


def decide_case(
    db: Session, clock: Clock, trail: Trail, hr: str, case_id: str, decision: str, note: str
) -> HrCase:
    """HR closes a case: `allow_retake` lets results in again, `no_retake` keeps them out.

    Raises NotFound `hr_case.unknown`, Conflict `hr_case.decided`.
    """
    case = db.get(HrCase, case_id)
    if case is None:
        raise NotFound("hr_case.unknown", f"No HR case {case_id}.")
    if case.decision is not None:
        raise Conflict("hr_case.decided", f"{case_id} was decided on {case.decided_at}.")
    case.decision, case.note = decision, note.strip() or None
    case.decided_by, case.decided_at = hr, clock.now()
    trail.record(db, "hr.case.decided", hr, case.account_id, case=case.id, decision=decision)
    db.commit()
    return case


def results_of(db: Session, viewer: Staff, account_id: str) -> list[ExamResult]:
    """Someone's archived results, oldest first.

    Raises NotFound `account.unknown`, Forbidden `training.not_visible`.
    """
    _visible_account(db, viewer, account_id)
    return repo.results(db, account_id)


# ---- agreements (R-TRN-8) ------------------------------------------------------------------------


def sign_agreement(
    db: Session,
    clock: Clock,
    settings: Settings,
    trail: Trail,
    account_id: str,
    name: str,
    version: str,
) -> tuple[AgreementSignature, bool]:
    """Sign the current version of agreement `name`. Returns (signature, newly signed).

    Raises NotFound `agreement.unknown`, Conflict `agreement.outdated` when `version` is
    not the current one (the signer read an older text).
    """
    agreement = catalogue(settings).agreement(name)
    if version != agreement.current:
        raise Conflict(
            "agreement.outdated",
            f"Version {version} is not the current one ({agreement.current}); read it again.",
        )
    for signature in repo.signatures(db, account_id, name):
        if signature.version == version:
            return signature, False
    signature = AgreementSignature(
        account_id=account_id, agreement=name, version=version, signed_at=clock.now()
    )
    if not _added_once(db, signature):  # signed a moment ago, in another request
        return sign_agreement(db, clock, settings, trail, account_id, name, version)
    trail.record(db, "agreement.signed", account_id, account_id, agreement=name, version=version)
    db.commit()
    return signature, True


def signed_current(db: Session, settings: Settings, account_id: str, name: str) -> datetime | None:
    """When `account_id` signed the current version of `name`, if they did."""
    current = catalogue(settings).agreement(name).current
    signed = {s.version: s.signed_at for s in repo.signatures(db, account_id, name)}
    return signed.get(current)


# ---- certifications (the one function access decisions call) -------------------------------------


@dataclass(frozen=True)
class TrainingStatus:
    account_id: str
    track: str | None
    in_training: bool
    certifications: list[CertificationStatus]

    def holds(self, name: str) -> bool:
        return any(c.name == name and c.holds for c in self.certifications)


def training_status(
    db: Session, clock: Clock, settings: Settings, account_id: str
) -> TrainingStatus:
    """Per certification: holds, since, until, missing; and whether the account is in training.

    Raises NotFound `account.unknown`.
    """
    _, person = _account_of(db, account_id)
    book = catalogue(settings)
    latest = repo.latest_results(db, account_id)
    statuses = []
    for certification in book.certifications.values():
        agreement = book.agreements.get(certification.agreement or "")
        signed = (
            {s.version: s.signed_at for s in repo.signatures(db, account_id, agreement.name)}
            if agreement
            else {}
        )
        statuses.append(
            certification_status(
                certification, latest, signed, agreement, clock.now(), settings.recertify_days
            )
        )
    holding = {s.name for s in statuses if s.holds}
    track = book.tracks.get(person.track or "")
    required = track.leaves_training_with if track else ()
    return TrainingStatus(
        account_id, person.track, in_training(person.track, required, holding), statuses
    )


def certifications_of(
    db: Session, clock: Clock, settings: Settings, viewer: Staff, account_id: str
) -> TrainingStatus:
    """`training_status` for someone the viewer may see. Raises Forbidden `training.not_visible`."""
    _visible_account(db, viewer, account_id)
    return training_status(db, clock, settings, account_id)


# ---- leave and attendance (R-TRN-6) --------------------------------------------------------------


@dataclass(frozen=True)
class LeaveView:
    leave: LeaveRequest
    session: TrainingSession
    problem: str | None


def request_leave(
    db: Session,
    clock: Clock,
    settings: Settings,
    trail: Trail,
    account_id: str,
    session: TrainingSession,
) -> LeaveView:
    """Ask for leave from a session. Accepted even when late, but then it excuses nothing.

    Raises Forbidden `session.not_participant`, Conflict `session.started` / `leave.requested`.
    """
    _, person = _account_of(db, account_id)
    _expect_participant(session, person)
    if clock.now() >= session.starts:
        raise Conflict("session.started", "Leave is asked before the session starts.")
    leave = LeaveRequest(
        account_id=account_id,
        session_id=session.id,
        session_day=session.day,
        submitted_at=clock.now(),
    )
    if not _added_once(db, leave):
        raise Conflict("leave.requested", "You already asked for leave from this session.")
    trail.record(db, "training.leave.requested", account_id, session.id, leave=leave.id)
    db.commit()
    return LeaveView(leave, session, _problem(leave, session, settings))


def approve_leave(
    db: Session,
    clock: Clock,
    settings: Settings,
    trail: Trail,
    head: Staff,
    head_account: str,
    leave_id: int,
) -> LeaveView:
    """The requester's department head approves, before the session starts (§14.1).

    Raises NotFound `leave.unknown`, Forbidden `leave.not_your_department`, Conflict
    `session.started`.
    """
    leave = db.get(LeaveRequest, leave_id)
    if leave is None:
        raise NotFound("leave.unknown", f"No leave request {leave_id}.")
    _, person = _account_of(db, leave.account_id)
    if DEPARTMENT_HEAD not in head.roles or head.department != person.department:
        raise Forbidden("leave.not_your_department", "Only the person's department head approves.")
    session = find_session(db, settings, leave.session_id)
    if clock.now() >= session.starts:
        raise Conflict(
            "session.started", "The session has started; leave can no longer be approved."
        )
    if leave.approved_at is None:
        leave.approved_by, leave.approved_at = head_account, clock.now()
        trail.record(db, "training.leave.approved", head_account, leave.account_id, leave=leave.id)
        db.commit()
    return LeaveView(leave, session, _problem(leave, session, settings))


def record_attendance(
    db: Session,
    clock: Clock,
    trail: Trail,
    recorder: Staff,
    recorder_account: str,
    session: TrainingSession,
    account_id: str,
    status: str,
) -> Attendance:
    """Record whether someone attended, was absent or left early. Once per person and session.

    Raises Forbidden `training.not_visible` / `session.not_participant`, Conflict
    `session.not_started` / `attendance.recorded`.
    """
    _, person = _visible_account(db, recorder, account_id)
    _expect_participant(session, person)
    if clock.now() < session.starts:
        raise Conflict("session.not_started", "Attendance is recorded once the session starts.")
    record = Attendance(
        session_id=session.id,
        session_day=session.day,
        account_id=account_id,
        status=status,
        recorded_by=recorder_account,
        recorded_at=clock.now(),
    )
    if not _added_once(db, record):
        raise Conflict("attendance.recorded", "Attendance for this person is already recorded.")
    trail.record(
        db,
        "training.attendance.recorded",
        recorder_account,
        account_id,
        session=session.id,
        status=status,
    )
    db.commit()
    return record


@dataclass(frozen=True)
class AttendanceLine:
    record: Attendance
    person: Identity
    verdict: str
    leave_problem: str | None


def attendance_report(
    db: Session, settings: Settings, viewer: Staff, start: date, end: date, department: str | None
) -> list[AttendanceLine]:
    """Attendance with each absence judged excused or unexcused; heads see their department.

    Raises Forbidden `account.department_not_visible`.
    """
    department = _department_in_view(viewer, department)
    lines = []
    for record, person in repo.attendance_between(db, start, end, department):
        problem = None
        if record.status != PRESENT:
            session = find_session(db, settings, record.session_id)
            problem = _problem(
                repo.leave_for(db, record.account_id, record.session_id), session, settings
            )
        lines.append(
            AttendanceLine(record, person, attendance_verdict(record.status, problem), problem)
        )
    return lines


def _problem(
    leave: LeaveRequest | None, session: TrainingSession, settings: Settings
) -> str | None:
    facts = None if leave is None else Leave(leave.submitted_at, leave.approved_at)
    return leave_problem(facts, session.starts, timedelta(hours=settings.leave_notice_hours))


def _expect_participant(session: TrainingSession, person: Identity) -> None:
    if not session.is_for(person.track, person.hire_date):
        raise Forbidden(
            "session.not_participant", f"{person.employee_number} is not expected at {session.id}."
        )


# ---- feedback forms (R-TRN-7) --------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackItem:
    plan: TrainingPlan
    person: Identity
    account_id: str
    kind: str
    due: date
    state: str  # due, overdue, returned
    form: FeedbackForm | None


def feedback_forms(
    db: Session, clock: Clock, settings: Settings, viewer: Staff, department: str | None
) -> list[FeedbackItem]:
    """The forms of every ended approved plan: one per participant, due to their head.

    Raises Forbidden `account.department_not_visible`.
    """
    return _forms(db, clock, settings, _department_in_view(viewer, department))


def _forms(
    db: Session, clock: Clock, settings: Settings, department: str | None
) -> list[FeedbackItem]:
    today = clock.now().astimezone(settings.timezone).date()
    items = []
    for plan in repo.plans(db):
        if plan.state != APPROVED or plan.ends >= today:
            continue
        returned = repo.feedback_forms(db, plan.id)
        for account_id, person in _participants(db, plan, department).items():
            due = feedback_due(plan.ends, settings.feedback_months)
            form = returned.get(account_id)
            state = "returned" if form else ("overdue" if today > due else "due")
            kind = feedback_kind(person.hire_date, plan.ends, settings.probation_months)
            items.append(FeedbackItem(plan, person, account_id, kind, due, state, form))
    return items


def return_feedback(
    db: Session,
    clock: Clock,
    settings: Settings,
    trail: Trail,
    head: Staff,
    head_account: str,
    plan_id: str,
    account_id: str,
    assessment: str,
) -> FeedbackForm:
    """The department head returns a participant's form. Raises NotFound `feedback.unknown`,
    Forbidden `leave.not_your_department`, Conflict `feedback.returned`."""
    item = next(
        (
            i
            for i in _forms(db, clock, settings, None)
            if i.plan.id == plan_id and i.account_id == account_id
        ),
        None,
    )
    if item is None:
        raise NotFound("feedback.unknown", "No feedback form is due for this plan and person.")
    if DEPARTMENT_HEAD not in head.roles or head.department != item.person.department:
        raise Forbidden(
            "feedback.not_your_department", "The person's department head returns the form."
        )
    if item.form is not None:
        raise Conflict("feedback.returned", "This form was already returned.")
    form = FeedbackForm(
        plan_id=plan_id,
        account_id=account_id,
        kind=item.kind,
        assessment=assessment.strip(),
        returned_by=head_account,
        returned_at=clock.now(),
    )
    if not _added_once(db, form):
        raise Conflict("feedback.returned", "This form was already returned.")
    trail.record(
        db, "training.feedback.returned", head_account, account_id, plan=plan_id, kind=item.kind
    )
    db.commit()
    return form


def _participants(db: Session, plan: TrainingPlan, department: str | None) -> dict[str, Identity]:
    """Who took part in the plan: attended (at least partly) a session within it."""
    return {
        record.account_id: person
        for record, person in repo.attendance_between(db, plan.starts, plan.ends, department)
        if record.status in (PRESENT, LEFT_EARLY) and person.track in plan.tracks
    }


# ---- shared --------------------------------------------------------------------------------------


def _plan(db: Session, plan_id: str) -> TrainingPlan:
    plan = db.get(TrainingPlan, plan_id)
    if plan is None:
        raise NotFound("plan.unknown", f"No training plan {plan_id}.")
    return plan


def _account_of(db: Session, account_id: str) -> tuple[Account, Identity]:
    found = repo.account_with_identity(db, account_id)
    if found is None:
        raise NotFound("account.unknown", f"No account {account_id}.")
    return found


def _visible_account(db: Session, viewer: Staff, account_id: str) -> tuple[Account, Identity]:
    account, person = _account_of(db, account_id)
    if not (viewer.roles & TRAINING_READERS or may_view_account(viewer, staff_of(person))):
        raise Forbidden(
            "training.not_visible", "This person's training is outside what you may see."
        )
    return account, person


def _department_in_view(viewer: Staff, department: str | None) -> str | None:
    """Heads see their own department; training readers any (None: all)."""
    if viewer.roles & TRAINING_READERS:
        return department
    department = department or viewer.department
    if not may_view_department(viewer, department):
        raise Forbidden(
            "account.department_not_visible",
            f"Department {department}'s training records are outside what you may see.",
        )
    return department


def _added_once(db: Session, row: object) -> bool:
    """Insert a row a unique constraint allows once; False (and nothing kept) if it exists."""
    try:
        db.add(row)
        db.flush()
    except IntegrityError:
        db.rollback()
        return False
    return True


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4).upper()}"
