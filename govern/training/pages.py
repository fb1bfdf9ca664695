"""Training in a browser: everyone's own training (certifications, what each debtor field waits
for, sessions, results, the agreement, leave), the sessions calendar, plans, recording a
session's attendance and exam results, leave to approve and HR's cases (R-TRN-1..8, R-STF-3).

Each page calls the same use case as its API route (govern/training/views.py)."""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from govern.console import at_least_one, choices, language, page, page_caller, paged
from govern.errors import BadRequest, Conflict, Forbidden, GovernError, Unprocessable
from govern.training import attendance, certifications, exams, feedback, plans
from govern.training.calendar_export import sessions_ics
from govern.training.catalogue import load_catalogue
from govern.training.overview import DebtorFields, own_overview
from govern.training.rules import ABSENT, ALLOW_RETAKE, LEFT_EARLY, NO_RETAKE, PRESENT
from govern.training.schemas import (
    AttendanceInSchema,
    AttendanceQuerySchema,
    FeedbackInSchema,
    RangeSchema,
    ResultInSchema,
)
from govern.web import context, db, services

#: The key under which start-up hands in the debtor fields (govern/app.py `_hand_in`).
WIRING = "govern.training.fields"

bp = Blueprint("training_pages", __name__, url_prefix="/training")

TRACK_LABELS = {
    "intern": _l("Intern"),
    "ordinary": _l("Ordinary staff"),
    "management": _l("Management"),
}
TERM_LABELS = {"short": _l("Short term"), "long": _l("Long term")}
STATUS_LABELS = {PRESENT: _l("Present"), ABSENT: _l("Absent"), LEFT_EARLY: _l("Left early")}
DECISION_LABELS = {ALLOW_RETAKE: _l("Allow a retake"), NO_RETAKE: _l("No further retake")}


class ConfirmForm(FlaskForm):
    """A destructive or binding action: the person ticks the box first."""

    confirm = BooleanField(_l("I confirm"), validators=[DataRequired()])


class PlainForm(FlaskForm):
    """A button (CSRF only)."""


class SignForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    confirm = BooleanField(_l("I have read the text above and agree to it"), [DataRequired()])


class PlanForm(FlaskForm):
    title = StringField(_l("Plan title"), validators=[DataRequired(), Length(max=200)])
    term = SelectField(_l("Term"), choices=choices(TERM_LABELS))
    tracks = SelectMultipleField(
        _l("Tracks"),
        choices=choices(TRACK_LABELS),
        validators=[at_least_one],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    starts = DateField(_l("Starts"), validators=[InputRequired()])
    ends = DateField(_l("Ends"), validators=[InputRequired()])


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=choices(DECISION_LABELS))
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    confirm = BooleanField(_l("I confirm this decision"), validators=[DataRequired()])


class FeedbackForm(FlaskForm):
    assessment = TextAreaField(_l("Assessment"), validators=[DataRequired(), Length(max=10_000)])


class RecordForm(FlaskForm):
    course = SelectField(_l("Exam course"), validate_choice=False)


# ---- everyone's own training -----------------------------------------------------------------


@bp.get("/me")
@page("training", "view")
def me() -> str:
    """Track, certifications, what each debtor field waits for, sessions, results, agreements."""
    caller, fields = page_caller(), _fields()
    overview = own_overview(db(), context(), caller.staff, caller.account_id or "", fields.needs)
    return render_template(
        "training/me.html",
        overview=overview,
        labels=fields.labels,
        book=_book(),
        tracks=TRACK_LABELS,
        sign_form=SignForm(),
        leave_form=PlainForm(),
    )


@bp.post("/agreements/<string:name>/signature")
@page("agreement", "sign")
def sign(name: str) -> BaseResponse:
    """Sign the version read (R-TRN-8)."""
    form = SignForm()
    if not form.validate_on_submit():
        flash(gettext("Tick the box to confirm you read the agreement."), "error")
        return redirect(url_for(".me"))
    version = form.version.data or ""
    certifications.sign_agreement(db(), context(), page_caller().account_id or "", name, version)
    flash(gettext("You signed the agreement."))
    return redirect(url_for(".me"))


@bp.post("/sessions/<string:session_id>/leave")
@page("training", "request_leave")
def ask_leave(session_id: str) -> BaseResponse:
    """Ask your head for leave from a session (R-TRN-6)."""
    if not PlainForm().validate_on_submit():
        raise BadRequest("csrf.invalid", gettext("The form expired; reload the page."))
    session = plans.find_session(db(), context(), session_id)
    view = attendance.request_leave(db(), context(), page_caller().account_id or "", session)
    if view.problem == "leave.too_late":
        flash(gettext("Leave asked, but too late to excuse an absence."), "error")
    else:
        flash(gettext("Leave asked; your head approves it before the session."))
    return redirect(url_for(".me"))


@bp.get("/sessions.ics")
@page("training", "view")
def calendar_file() -> Response:
    """The sessions of a range (?from=&to=, default the coming two months) as a calendar file."""
    today = _today()
    asked = {"from": str(today), "to": str(today + timedelta(days=62)), **request.args}
    try:
        query = RangeSchema().load(asked)
    except ValidationError:
        raise BadRequest("range.invalid", "Ask for at most two years, from before to.") from None
    found = plans.list_sessions(db(), context(), query["start"], query["end"], query.get("track"))
    return Response(
        sessions_ics(found, services().clock.now()),
        mimetype="text/calendar",
        headers={"Content-Disposition": "attachment; filename=training.ics"},
    )


# ---- the sessions calendar -------------------------------------------------------------------


@bp.get("/sessions")
@page("training", "view")
def calendar() -> str:
    """One month's sessions (?month=2026-12) as a calendar."""
    first = _month(request.args.get("month"))
    last = first.replace(day=months.monthrange(first.year, first.month)[1])
    found = plans.list_sessions(db(), context(), first, last)
    by_day: dict[date, list[Any]] = {}
    for session in found:
        by_day.setdefault(session.day, []).append(session)
    caller = page_caller()
    return render_template(
        "training/calendar.html",
        first=first,
        weeks=months.Calendar(0).monthdatescalendar(first.year, first.month),
        by_day=by_day,
        previous=(first - timedelta(days=1)).strftime("%Y-%m"),
        following=(last + timedelta(days=1)).strftime("%Y-%m"),
        today=_today(),
        may_record=services().allows(caller.staff.roles, "training", "record_attendance"),
        ics={"from": str(first), "to": str(last)},
    )


# ---- plans (R-STF-3) -------------------------------------------------------------------------


@bp.get("/plans")
@page("training", "view")
def plan_list() -> str:
    return _plans_page(PlanForm(formdata=None))


@bp.post("/plans")
@page("training", "draft_plan")
def draft() -> BaseResponse | tuple[str, int]:
    """The office drafts a plan; it waits for the general manager's approval."""
    form = PlanForm()
    if not form.validate_on_submit():
        return _plans_page(form), 400
    drafted = plans.PlanDraft(
        title=form.title.data or "",
        term=form.term.data or "",
        tracks=list(form.tracks.data or []),
        starts=form.starts.data,  # type: ignore[arg-type]  # validated above
        ends=form.ends.data,  # type: ignore[arg-type]
    )
    try:
        plan = plans.draft_plan(db(), context(), page_caller().account_id or "", drafted)
    except GovernError as error:
        return _plans_page(form, error), error.status
    flash(gettext("Plan %(id)s drafted; it waits for the general manager.", id=plan.id))
    return redirect(url_for(".plan_list"))


@bp.post("/plans/<string:plan_id>/approval")
@page("training", "approve_plan")
def approve_plan(plan_id: str) -> BaseResponse | tuple[str, int]:
    """The general manager approves; only approved plans produce sessions."""
    if not ConfirmForm().validate_on_submit():
        refused = BadRequest("confirm.missing", gettext("Tick the box to confirm first."))
        return _plans_page(PlanForm(formdata=None), refused), 400
    plans.approve_plan(db(), context(), page_caller().account_id or "", plan_id)
    flash(gettext("Plan %(id)s approved.", id=plan_id))
    return redirect(url_for(".plan_list"))


def _plans_page(form: PlanForm, error: GovernError | None = None) -> str:
    shown = paged(plans.list_plans(db()))
    roles = page_caller().staff.roles
    return render_template(
        "training/plans.html",
        plans=shown.rows,
        page=shown.number,
        more=shown.more,
        form=form,
        confirm_form=ConfirmForm(formdata=None),
        error=error,
        tracks=TRACK_LABELS,
        may_draft=services().allows(roles, "training", "draft_plan"),
        may_approve=services().allows(roles, "training", "approve_plan"),
    )


# ---- recording a session: attendance and exam results in one form (R-TRN-5, R-TRN-6) ---------


@dataclass(frozen=True)
class Line:
    """One participant's row of the record form, with what came of it."""

    participant: attendance.Participant
    status: str = ""
    score: str = ""
    done: tuple[str, ...] = ()
    errors: tuple[GovernError, ...] = ()


@bp.get("/sessions/<string:session_id>/record")
@page("training", "record_attendance")
def record_form(session_id: str) -> str:
    session = plans.find_session(db(), context(), session_id)
    people = attendance.participants(db(), context(), page_caller().staff, session)
    return _record_page(session, [Line(p) for p in people], RecordForm(formdata=None))


@bp.post("/sessions/<string:session_id>/record")
@page("training", "record_attendance")
def record(session_id: str) -> BaseResponse | tuple[str, int]:
    """Each participant's attendance and exam score, recorded as the API's two routes do;
    a refusal is shown against the person it concerns, the others are recorded."""
    form = _record_form()
    session = plans.find_session(db(), context(), session_id)
    people = attendance.participants(db(), context(), page_caller().staff, session)
    if not form.validate_on_submit():
        return _record_page(session, [Line(p) for p in people], form, _form_refusal(form)), 400
    lines = [_record_one(session, form.course.data or "", p) for p in people]
    refusals = [error for line in lines for error in line.errors]
    if refusals:
        return _record_page(session, lines, form), refusals[0].status
    recorded = sum(len(line.done) for line in lines)
    flash(gettext("Recorded: %(count)s entries.", count=recorded))
    return redirect(url_for(".record_form", session_id=session.id))


def _record_one(session: Any, course: str, participant: attendance.Participant) -> Line:
    """One person's line of the form: checked whole first, so a refused line records nothing;
    a score once a result of the course is recorded since the session began (or today, for a
    session ahead) is refused: a resubmitted form is not a retake."""
    account_id = participant.account_id
    status = request.form.get(f"status-{account_id}", "").strip()
    score = request.form.get(f"score-{account_id}", "").strip()
    try:
        checked = _checked_line(session, course, account_id, status, score)
    except GovernError as error:
        return Line(participant, status, score, (), (error,))
    done: list[str] = []
    errors: list[GovernError] = []
    actor = page_caller().actor
    try:
        if status:
            attendance.record_attendance(db(), context(), actor, session, account_id, status)
            done.append(str(STATUS_LABELS[status]))
        if checked is not None:
            result = exams.record_result(db(), context(), actor, course, account_id, checked)
            done.append(_outcome_words(result))
    except GovernError as error:
        errors.append(error)
    return Line(participant, status, score, tuple(done), tuple(errors))


def _checked_line(
    session: Any, course: str, account_id: str, status: str, score: str
) -> int | None:
    """The line's score (None: none given), once everything on the line is known good.
    Raises Unprocessable `request.invalid`, Forbidden `role.action_denied`, Conflict
    `exam.recorded_at_session`."""
    try:
        if status:
            AttendanceInSchema().load({"account_id": account_id, "status": status})
    except ValidationError:
        raise Unprocessable("request.invalid", gettext("Choose an attendance.")) from None
    if not score:
        return None
    _may_record_exams()
    try:
        checked = ResultInSchema().load({"account_id": account_id, "score": _whole(score)})
    except ValidationError:
        problem = gettext("A score is a whole number from 0 to 100.")
        raise Unprocessable("request.invalid", problem) from None
    since = min(session.starts, _company_day_start())
    if exams.recorded_since(db(), account_id, course, since):
        message = gettext("A result of this course is recorded for this person at this session.")
        raise Conflict("exam.recorded_at_session", message)
    return int(checked["score"])


def _company_day_start() -> datetime:
    """The start of today in company time (a result recorded today for a session still ahead
    is this session's too)."""
    zone = services().settings.timezone
    return datetime.combine(_today(), time(), zone)


def _may_record_exams() -> None:
    """The role × action table's `exam.record`, as the exam results route asks it."""
    if not services().allows(page_caller().staff.roles, "exam", "record"):
        raise Forbidden("role.action_denied", "Your role may not record exams.")


def _whole(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _outcome_words(recorded: exams.RecordedResult) -> str:
    step = recorded.outcome.next_step
    words = {
        "passed": gettext("Score %(score)s: passed", score=recorded.result.score),
        "retake_required": gettext(
            "Score %(score)s: failed, a retake is required", score=recorded.result.score
        ),
        "hr_case_open": gettext(
            "Score %(score)s: the retake failed, handed to HR", score=recorded.result.score
        ),
    }
    return words.get(step, step)


def _record_form() -> RecordForm:
    form = RecordForm()
    form.course.choices = _exam_courses()
    return form


def _exam_courses() -> list[SelectChoice]:
    courses = _book().courses.values()
    return [SelectChoice(c.code, f"{c.code} {c.title_in(language())}") for c in courses if c.exam]


def _record_page(
    session: Any, lines: list[Line], form: RecordForm, error: GovernError | None = None
) -> str:
    form.course.choices = _exam_courses()
    return render_template(
        "training/record.html",
        session=session,
        lines=lines,
        form=form,
        error=error,
        statuses=STATUS_LABELS,
        may_exam=services().allows(page_caller().staff.roles, "exam", "record"),
    )


# ---- leave to approve (R-TRN-6) ---------------------------------------------------------------


@bp.get("/leave")
@page("training", "approve_leave")
def leave() -> str:
    return _leave_page()


@bp.post("/leave/<int:leave_id>/approval")
@page("training", "approve_leave")
def approve_leave(leave_id: int) -> BaseResponse | tuple[str, int]:
    if not PlainForm().validate_on_submit():
        refused = BadRequest("csrf.invalid", gettext("The form expired; reload the page."))
        return _leave_page(refused), 400
    try:
        attendance.approve_leave(db(), context(), page_caller().actor, leave_id)
    except GovernError as error:
        return _leave_page(error), error.status
    flash(gettext("Leave approved."))
    return redirect(url_for(".leave"))


def _leave_page(error: GovernError | None = None) -> str:
    shown = paged(attendance.leave_to_approve(db(), context(), page_caller().staff))
    return render_template(
        "training/leave.html",
        lines=shown.rows,
        page=shown.number,
        more=shown.more,
        form=PlainForm(formdata=None),
        error=error,
    )


# ---- attendance with unexcused absences, feedback forms (R-TRN-6, R-TRN-7) ----------------------


@bp.get("/attendance")
@page("training", "view_attendance")
def attendance_report() -> str:
    """Attendance of a range (?from=&to=, default the last 30 days), 旷工 marked; heads see
    their own department."""
    today = _today()
    asked = {"from": str(today - timedelta(days=30)), "to": str(today), **request.args}
    asked = {key: value for key, value in asked.items() if key != "page" and value}
    try:
        query = AttendanceQuerySchema().load(asked)
    except ValidationError:
        raise BadRequest("range.invalid", "Ask for days as 2026-12-04, from before to.") from None
    lines = attendance.attendance_report(
        db(), context(), page_caller().staff, query["start"], query["end"], query.get("department")
    )
    shown = paged(lines)
    return render_template(
        "training/attendance.html",
        lines=shown.rows,
        page=shown.number,
        more=shown.more,
        query=query,
        unexcused=sum(line.verdict == "unexcused" for line in lines),
        statuses=STATUS_LABELS,
    )


@bp.get("/feedback")
@page("training", "feedback")
def feedback_list() -> str:
    return _feedback_page(FeedbackForm(formdata=None))


@bp.post("/feedback/<string:plan_id>/<string:account_id>")
@page("training", "return_feedback")
def return_feedback(plan_id: str, account_id: str) -> BaseResponse | tuple[str, int]:
    """The head returns a participant's feedback form (R-TRN-7)."""
    form = FeedbackForm()
    at = (plan_id, account_id)
    if not form.validate_on_submit():
        return _feedback_page(form, at=at), 400
    body = {"plan_id": plan_id, "account_id": account_id, "assessment": form.assessment.data}
    try:
        checked = FeedbackInSchema().load(body)
        feedback.return_feedback(
            db(), context(), page_caller().actor, plan_id, account_id, checked["assessment"]
        )
    except ValidationError:
        refused = Unprocessable("request.invalid", gettext("Write the assessment first."))
        return _feedback_page(form, refused, at), 422
    except GovernError as error:
        return _feedback_page(form, error, at), error.status
    flash(gettext("Feedback form returned."))
    return redirect(url_for(".feedback_list"))


def _feedback_page(
    form: FeedbackForm, error: GovernError | None = None, at: tuple[str, str] = ("", "")
) -> str:
    state = request.args.get("state", "")
    items = feedback.feedback_forms(db(), context(), page_caller().staff, None)
    shown = paged([i for i in items if state in ("", i.state)])
    return render_template(
        "training/feedback.html",
        items=shown.rows,
        page=shown.number,
        more=shown.more,
        state=state,
        form=form,
        error=error,
        at=at,
        may_return=services().allows(page_caller().staff.roles, "training", "return_feedback"),
    )


# ---- HR's cases after a failed retake (R-TRN-5) -----------------------------------------------


@bp.get("/hr")
@page("hr", "view_cases")
def hr() -> str:
    return _hr_page(DecisionForm(formdata=None))


@bp.post("/hr/<string:case_id>/decision")
@page("hr", "decide")
def decide(case_id: str) -> BaseResponse | tuple[str, int]:
    form = DecisionForm()
    if not form.validate_on_submit():
        return _hr_page(form, case_id=case_id), 400
    try:
        exams.decide_case(
            db(),
            context(),
            page_caller().actor,
            case_id,
            form.decision.data or "",
            form.note.data or "",
        )
    except GovernError as error:
        return _hr_page(form, error, case_id), error.status
    flash(gettext("Case %(id)s decided.", id=case_id))
    return redirect(url_for(".hr"))


def _hr_page(form: DecisionForm, error: GovernError | None = None, case_id: str = "") -> str:
    state = "all" if request.args.get("state") == "all" else "open"
    shown = paged(exams.cases_with_people(db(), state == "open"))
    return render_template(
        "training/hr.html",
        cases=shown.rows,
        page=shown.number,
        more=shown.more,
        state=state,
        form=form,
        error=error,
        case_id=case_id,
        decisions=DECISION_LABELS,
    )


# ---- helpers ----------------------------------------------------------------------------------


def _fields() -> DebtorFields:
    fields: DebtorFields = current_app.extensions[WIRING]
    return fields


def _book() -> Any:
    return load_catalogue(services().settings.policies_dir)


def _today() -> date:
    settings = services().settings
    return services().clock.now().astimezone(settings.timezone).date()


def _form_refusal(form: FlaskForm) -> GovernError:
    """Why a form was refused: expired (its CSRF token), else a field's problem, in words."""
    if "csrf_token" in form.errors:
        return BadRequest("csrf.invalid", gettext("The form expired; reload the page."))
    problems = "; ".join(str(p) for errors in form.errors.values() for p in errors)
    return Unprocessable("request.invalid", problems or gettext("Fill in the form again."))


def _month(text: str | None) -> date:
    """The first day of `text` (2026-12), this month when not given. Raises BadRequest."""
    if not text:
        return _today().replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise BadRequest("month.invalid", gettext("Ask for a month as 2026-12.")) from None
