"""After the sessions: attendance with unexcused absences (旷工) marked, and the feedback forms
heads return when a plan has ended (R-TRN-6, R-TRN-7). Heads see their own department."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from govern.console import asked_over, page, page_caller, paged
from govern.errors import BadRequest, GovernError, Unprocessable
from govern.training import attendance, feedback
from govern.training.pages.shared import STATUS_LABELS, bp, today
from govern.training.schemas import AttendanceQuerySchema, FeedbackInSchema
from govern.web import context, db, services


class FeedbackForm(FlaskForm):
    assessment = TextAreaField(_l("Assessment"), validators=[DataRequired(), Length(max=10_000)])


@bp.get("/attendance")
@page("training", "view_attendance")
def attendance_report() -> Any:
    """Attendance of a range (?from=&to=, default the last 30 days, a field left empty too),
    旷工 marked; heads see their own department. A range that cannot be asked for keeps the
    form, naming the problem (400)."""
    last = today()
    asked = asked_over({"from": str(last - timedelta(days=30)), "to": str(last)})
    try:
        query = AttendanceQuerySchema().load(asked)
    except ValidationError:
        refused = BadRequest("range.invalid", "Ask for days as 2026-12-04, from before to.")
        return _attendance_page([], asked, refused), refused.status
    lines = attendance.attendance_report(
        db(), context(), page_caller().staff, query["start"], query["end"], query.get("department")
    )
    return _attendance_page(lines, asked)


def _attendance_page(
    lines: list[Any], query: dict[str, str], error: GovernError | None = None
) -> str:
    shown = paged(lines)
    return render_template(
        "training/attendance.html",
        lines=shown.rows,
        page=shown.number,
        more=shown.more,
        query=query,
        error=error,
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
