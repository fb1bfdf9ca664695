"""HTTP: training plans and sessions, exams and HR cases, agreements, leave, attendance,
feedback forms and certifications (R-STF-3, R-TRN-1..8)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from govern.training import attendance, certifications, exams, feedback, plans
from govern.training.calendar_export import sessions_ics
from govern.training.catalogue import load_catalogue
from govern.training.schemas import (
    AgreementSchema,
    AttendanceInSchema,
    AttendanceListSchema,
    AttendanceQuerySchema,
    CaseListSchema,
    CaseQuerySchema,
    CaseSchema,
    DecisionSchema,
    FeedbackInSchema,
    FeedbackListSchema,
    FeedbackQuerySchema,
    FeedbackSchema,
    InductionOwedListSchema,
    LeaveSchema,
    PlanInSchema,
    PlanListSchema,
    PlanSchema,
    RangeSchema,
    RecordedResultSchema,
    ResultInSchema,
    ResultListSchema,
    ResultSchema,
    SessionListSchema,
    SignatureSchema,
    SignInSchema,
    TrainingStatusSchema,
)
from govern.training.timetable import TrainingSession
from govern.web import context, current_caller, db, documents_refusals, requires, services

blp = Blueprint(
    "training",
    __name__,
    url_prefix="/api/v1",
    description="Training: plans, sessions, exams, HR cases, agreements, attendance (R-TRN-1..8).",
)

SESSION_ID = "<string:session_id>"


# ---- catalogue, plans, sessions ---------------------------------------------------------------


@blp.route("/training/catalogue", methods=["GET"])
@requires("training", "view")
@blp.response(200, description="Tracks, courses, certifications and session kinds (R-TRN-4)")
@documents_refusals(blp, 401)
def catalogue() -> dict[str, Any]:
    """The training catalogue as the policies folder defines it."""
    book = load_catalogue(services().settings.policies_dir)
    return {
        "tracks": {n: vars(t) for n, t in book.tracks.items()},
        "courses": {c: vars(course) for c, course in book.courses.items()},
        "certifications": {n: vars(c) for n, c in book.certifications.items()},
        "agreements": {
            n: {"title": a.title, "current": a.current} for n, a in book.agreements.items()
        },
        "sessions": {
            k: {**vars(s), "starts": str(s.starts), "ends": str(s.ends)}
            for k, s in book.sessions.items()
        },
    }


@blp.route("/training/plans", methods=["POST"])
@requires("training", "draft_plan")
@blp.arguments(PlanInSchema)
@blp.response(201, PlanSchema)
@documents_refusals(blp, 400, 401, 403)
def draft_plan(body: dict[str, Any]) -> Any:
    """The office drafts a short- or long-term plan; it needs the GM's approval (R-STF-3)."""
    draft = plans.PlanDraft(**body)
    return plans.draft_plan(db(), context(), current_caller().account_id, draft)


@blp.route("/training/plans", methods=["GET"])
@requires("training", "view")
@blp.response(200, PlanListSchema)
@documents_refusals(blp, 401)
def show_plans() -> dict[str, Any]:
    return {"plans": plans.list_plans(db())}


@blp.route("/training/plans/<string:plan_id>/approval", methods=["POST"])
@requires("training", "approve_plan")
@blp.response(200, PlanSchema)
@documents_refusals(blp, 401, 403, 404)
def approve_plan(plan_id: str) -> Any:
    """The general manager approves; only approved plans produce sessions."""
    return plans.approve_plan(db(), context(), current_caller().account_id, plan_id)


@blp.route("/training/sessions", methods=["GET"])
@requires("training", "view")
@blp.arguments(RangeSchema, location="query")
@blp.response(200, SessionListSchema)
@documents_refusals(blp, 400, 401, 422)
def sessions(query: dict[str, Any]) -> dict[str, Any]:
    """Sessions of approved plans in a date range (R-TRN-2, R-TRN-3)."""
    return {"sessions": [describe_session(s) for s in _sessions(query)]}


@blp.route("/training/sessions.ics", methods=["GET"])
@requires("training", "view")
@blp.arguments(RangeSchema, location="query")
@blp.response(200, description="text/calendar (RFC 5545)")
@documents_refusals(blp, 400, 401, 422)
def sessions_calendar(query: dict[str, Any]) -> Response:
    """The same sessions as an iCalendar file to add to a calendar."""
    body = sessions_ics(_sessions(query), services().clock.now())
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": "attachment; filename=training.ics"},
    )


@blp.route("/training/induction/unscheduled", methods=["GET"])
@requires("training", "view_induction_owed")
@blp.arguments(RangeSchema, location="query")
@blp.response(200, InductionOwedListSchema)
@documents_refusals(blp, 400, 401, 403)
def unscheduled_induction(query: dict[str, Any]) -> dict[str, Any]:
    """New staff hired in the range whose induction on the hire date no approved plan
    schedules (R-TRN-3, §10): for the office and HR to plan before it is missed."""
    people = plans.unscheduled_inductions(
        db(), context(), query["start"], query["end"], query.get("track")
    )
    return {"unscheduled": people}


def _sessions(query: dict[str, Any]) -> list[TrainingSession]:
    return plans.list_sessions(db(), context(), query["start"], query["end"], query.get("track"))


def describe_session(session: TrainingSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "kind": session.kind.kind,
        "title": session.kind.title,
        "section": session.kind.section,
        "day": session.day,
        "starts": session.starts,
        "ends": session.ends,
        "tracks": list(session.tracks),
        "host": session.kind.host,
        "plans": list(session.plans),
    }


# ---- exams and HR cases --------------------------------------------------------------------------


@blp.route("/exams/<string:course>/results", methods=["POST"])
@requires("exam", "record")
@blp.arguments(ResultInSchema)
@blp.response(201, RecordedResultSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def record_result(body: dict[str, Any], course: str) -> dict[str, Any]:
    """A trainer records a result; below the pass mark a retake, a failed retake an HR case."""
    caller = current_caller()
    recorded = exams.record_result(
        db(),
        context(),
        caller.actor,
        course,
        body["account_id"],
        body["score"],
    )
    return {
        **{name: getattr(recorded.result, name) for name in ResultSchema().fields},
        "next_step": recorded.outcome.next_step,
        "hr_case": recorded.hr_case.id if recorded.hr_case else None,
    }


@blp.route("/accounts/<string:account_id>/exam-results", methods=["GET"])
@requires("training", "view")
@blp.response(200, ResultListSchema)
@documents_refusals(blp, 401, 403, 404)
def results(account_id: str) -> dict[str, Any]:
    """Someone's archived results, oldest first; nothing is ever overwritten."""
    readers = services().roles.training_readers
    return {"results": exams.results_of(db(), current_caller().staff, account_id, readers)}


@blp.route("/hr/cases", methods=["GET"])
@requires("hr", "view_cases")
@blp.arguments(CaseQuerySchema, location="query")
@blp.response(200, CaseListSchema)
@documents_refusals(blp, 401, 403)
def cases(query: dict[str, str]) -> dict[str, Any]:
    """People who failed a retake, for HR (§15.1)."""
    return {"cases": exams.list_cases(db(), query["state"] == "open")}


@blp.route("/hr/cases/<string:case_id>/decision", methods=["POST"])
@requires("hr", "decide")
@blp.arguments(DecisionSchema)
@blp.response(200, CaseSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def decide(body: dict[str, str], case_id: str) -> Any:
    caller = current_caller()
    return exams.decide_case(
        db(),
        context(),
        caller.actor,
        case_id,
        body["decision"],
        body["note"],
    )


# ---- agreements ----------------------------------------------------------------------------------


@blp.route("/agreements/<string:name>", methods=["GET"])
@requires("agreement", "view")
@blp.response(200, AgreementSchema)
@documents_refusals(blp, 401, 404)
def agreement(name: str) -> dict[str, Any]:
    """The current text to read before signing, and when you signed it."""
    caller, s = current_caller(), services()
    current = load_catalogue(s.settings.policies_dir).agreement(name)
    signed = certifications.signed_current(db(), s.settings.policies_dir, caller.account_id, name)
    return {
        "name": name,
        "title": current.title,
        "version": current.current,
        "text": current.text,
        "signed_at": signed,
    }


@blp.route("/agreements/<string:name>/signatures", methods=["POST"])
@requires("agreement", "sign")
@blp.arguments(SignInSchema)
@blp.response(201, SignatureSchema)
@blp.alt_response(200, schema=SignatureSchema, description="Already signed; unchanged.")
@documents_refusals(blp, 401, 404, 409)
def sign(body: dict[str, str], name: str) -> tuple[Any, int]:
    """Sign the version you read (R-TRN-8); an outdated version is refused."""
    signature, new = certifications.sign_agreement(
        db(), context(), current_caller().account_id, name, body["version"]
    )
    return signature, 201 if new else 200


# ---- leave and attendance ------------------------------------------------------------------------


@blp.route(f"/training/sessions/{SESSION_ID}/leave", methods=["POST"])
@requires("training", "request_leave")
@blp.response(201, LeaveSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def request_leave(session_id: str) -> dict[str, Any]:
    """Ask your head for leave; it excuses only if asked 12 h ahead and approved in time."""
    session = plans.find_session(db(), context(), session_id)
    view = attendance.request_leave(db(), context(), current_caller().account_id, session)
    return describe_leave(view)


@blp.route("/training/leave/<int:leave_id>/approval", methods=["POST"])
@requires("training", "approve_leave")
@blp.response(200, LeaveSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def approve_leave(leave_id: int) -> dict[str, Any]:
    caller = current_caller()
    view = attendance.approve_leave(db(), context(), caller.actor, leave_id)
    return describe_leave(view)


@blp.route(f"/training/sessions/{SESSION_ID}/attendance", methods=["POST"])
@requires("training", "record_attendance")
@blp.arguments(AttendanceInSchema)
@blp.response(201, description="Recorded.")
@documents_refusals(blp, 401, 403, 404, 409)
def record_attendance(body: dict[str, str], session_id: str) -> tuple[dict[str, Any], int]:
    caller = current_caller()
    session = plans.find_session(db(), context(), session_id)
    attendance.record_attendance(
        db(),
        context(),
        caller.actor,
        session,
        body["account_id"],
        body["status"],
    )
    return {"session_id": session.id, **body}, 201


@blp.route("/training/attendance", methods=["GET"])
@requires("training", "view_attendance")
@blp.arguments(AttendanceQuerySchema, location="query")
@blp.response(200, AttendanceListSchema)
@documents_refusals(blp, 401, 403)
def show_attendance(query: dict[str, Any]) -> dict[str, Any]:
    """Attendance with unexcused absences (旷工) marked; heads see their department."""
    lines = attendance.attendance_report(
        db(),
        context(),
        current_caller().staff,
        query["start"],
        query["end"],
        query.get("department"),
    )
    return {"attendance": [describe_attendance(line) for line in lines]}


def describe_leave(view: attendance.LeaveView) -> dict[str, Any]:
    leave = view.leave
    return {
        "id": leave.id,
        "account_id": leave.account_id,
        "session_id": leave.session_id,
        "session_starts": leave.session_starts,
        "submitted_at": leave.submitted_at,
        "approved_by": leave.approved_by,
        "approved_at": leave.approved_at,
        "excuses": view.problem is None,
        "problem": view.problem,
    }


def describe_attendance(line: attendance.AttendanceLine) -> dict[str, Any]:
    record, person = line.record, line.person
    return {
        "session_id": record.session_id,
        "day": record.session_day,
        "account_id": record.account_id,
        "employee_number": person.employee_number,
        "name": person.name,
        "department": person.department,
        "status": record.status,
        "verdict": line.verdict,
        "leave_problem": line.leave_problem,
        "recorded_by": record.recorded_by,
        "recorded_at": record.recorded_at,
    }


# ---- feedback forms and certifications -----------------------------------------------------------


@blp.route("/training/feedback", methods=["GET"])
@requires("training", "feedback")
@blp.arguments(FeedbackQuerySchema, location="query")
@blp.response(200, FeedbackListSchema)
@documents_refusals(blp, 401, 403)
def show_feedback(query: dict[str, str]) -> dict[str, Any]:
    """Feedback forms of ended plans: due, overdue or returned (R-TRN-7)."""
    items = feedback.feedback_forms(
        db(), context(), current_caller().staff, query.get("department")
    )
    wanted = query.get("state")
    return {"forms": [describe_feedback(i) for i in items if wanted in (None, i.state)]}


@blp.route("/training/feedback", methods=["POST"])
@requires("training", "return_feedback")
@blp.arguments(FeedbackInSchema)
@blp.response(201, FeedbackSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def return_feedback(body: dict[str, str]) -> dict[str, Any]:
    caller = current_caller()
    returned = feedback.return_feedback(
        db(),
        context(),
        caller.actor,
        body["plan_id"],
        body["account_id"],
        body["assessment"],
    )
    return describe_feedback(returned)


def describe_feedback(item: feedback.FeedbackItem) -> dict[str, Any]:
    return {
        "plan_id": item.plan.id,
        "account_id": item.account_id,
        "employee_number": item.person.employee_number,
        "name": item.person.name,
        "department": item.person.department,
        "kind": item.kind,
        "due": item.due,
        "state": item.state,
        "returned_at": item.form.returned_at if item.form else None,
    }


@blp.route("/accounts/<string:account_id>/certifications", methods=["GET"])
@requires("training", "view")
@blp.response(200, TrainingStatusSchema)
@documents_refusals(blp, 401, 403, 404)
def show_certifications(account_id: str) -> Any:
    """Per certification: holds, since, until, what is missing; and whether in training."""
    return certifications.certifications_of(db(), context(), current_caller().staff, account_id)
