"""HR's cases after a failed retake: the open ones (or all), each decided with a note: allow
a retake, or no further retake (R-TRN-5)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from govern.console import choices, page, page_caller, paged
from govern.errors import GovernError
from govern.training import exams
from govern.training.pages.shared import bp
from govern.training.rules import ALLOW_RETAKE, NO_RETAKE
from govern.web import context, db

DECISION_LABELS = {ALLOW_RETAKE: _l("Allow a retake"), NO_RETAKE: _l("No further retake")}


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=choices(DECISION_LABELS))
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    confirm = BooleanField(_l("I confirm this decision"), validators=[DataRequired()])


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
    decision, note = form.decision.data or "", form.note.data or ""
    try:
        exams.decide_case(db(), context(), page_caller().actor, case_id, decision, note)
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
