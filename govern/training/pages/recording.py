"""Recording a session: each participant's attendance and exam score in one form, recorded as
the API's two routes record them (R-TRN-5, R-TRN-6). A refusal is shown against the person it
concerns; the others are recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from govern.console import language, page, page_caller
from govern.errors import Conflict, Forbidden, GovernError, Unprocessable
from govern.training import attendance, exams, plans
from govern.training.pages.shared import STATUS_LABELS, book, bp, form_refusal, today
from govern.training.schemas import AttendanceInSchema, ResultInSchema
from govern.web import context, db, services


class RecordForm(FlaskForm):
    course = SelectField(_l("Exam course"), validate_choice=False)


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
    """Each participant's attendance and exam score, line by line."""
    form = RecordForm()
    form.course.choices = _exam_courses()
    session = plans.find_session(db(), context(), session_id)
    people = attendance.participants(db(), context(), page_caller().staff, session)
    if not form.validate_on_submit():
        return _record_page(session, [Line(p) for p in people], form, form_refusal(form)), 400
    lines = [_record_one(session, form.course.data or "", p) for p in people]
    refusals = [error for line in lines for error in line.errors]
    if refusals:
        return _record_page(session, lines, form), refusals[0].status
    recorded = sum(len(line.done) for line in lines)
    flash(ngettext("Recorded: %(num)d entry.", "Recorded: %(num)d entries.", recorded))
    return redirect(url_for(".record_form", session_id=session.id))


def _record_one(session: Any, course: str, participant: attendance.Participant) -> Line:
    """One person's line of the form: checked whole first, so a refused line records nothing."""
    account_id = participant.account_id
    status = request.form.get(f"status-{account_id}", "").strip()
    score = request.form.get(f"score-{account_id}", "").strip()
    try:
        checked = _checked_line(session, course, account_id, status, score)
    except GovernError as error:
        return Line(participant, status, score, (), (error,))
    done: list[str] = []
    try:
        if status:
            done.append(_record_attendance(session, account_id, status))
        if checked is not None:
            done.append(_record_result(course, account_id, checked))
    except GovernError as error:
        return Line(participant, status, score, tuple(done), (error,))
    return Line(participant, status, score, tuple(done))


def _record_attendance(session: Any, account_id: str, status: str) -> str:
    """Record one attendance; what was recorded, in words."""
    actor = page_caller().actor
    attendance.record_attendance(db(), context(), actor, session, account_id, status)
    return str(STATUS_LABELS[status])


def _record_result(course: str, account_id: str, score: int) -> str:
    """Record one exam result; its outcome, in words."""
    recorded = exams.record_result(db(), context(), page_caller().actor, course, account_id, score)
    return _outcome_words(recorded)


def _checked_line(
    session: Any, course: str, account_id: str, status: str, score: str
) -> int | None:
    """The line's score (None: none given), once everything on the line is known good.
    A score once a result of the course is recorded since the session began (or today, for a
    session ahead) is refused: a resubmitted form is not a retake.

    Raises Unprocessable `request.invalid`, Forbidden `role.action_denied`, Conflict
    `exam.recorded_at_session`."""
    try:
        if status:
            AttendanceInSchema().load({"account_id": account_id, "status": status})
    except ValidationError:
        raise Unprocessable("request.invalid", gettext("Choose an attendance.")) from None
    if not score:
        return None
    if not _may_record_exams():
        raise Forbidden("role.action_denied", "Your role may not record exams.")
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
    return datetime.combine(today(), time(), services().settings.timezone)


def _may_record_exams() -> bool:
    """The role × action table's `exam.record`, as the exam results route asks it."""
    return services().allows(page_caller().staff.roles, "exam", "record")


def _whole(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _outcome_words(recorded: exams.RecordedResult) -> str:
    score = recorded.result.score
    words = {
        "passed": gettext("Score %(score)s: passed", score=score),
        "retake_required": gettext("Score %(score)s: failed, a retake is required", score=score),
        "hr_case_open": gettext("Score %(score)s: the retake failed, handed to HR", score=score),
    }
    step = recorded.outcome.next_step
    return words.get(step, step)


def _exam_courses() -> list[SelectChoice]:
    courses = book().courses.values()
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
        may_exam=_may_record_exams(),
    )
