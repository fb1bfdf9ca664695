"""The policy admins' page of separation of duties: the conflicts the directory sync found and
the exceptions accepted; accepting one (a reason and an end date) and ending one.

The same service functions as /api/v1/duties; a refusal of 403 or 409 goes to the error page
and is recorded as a denial, as for the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from govern.console import choices, in_govern_years, language, page, page_caller
from govern.directory import separation
from govern.directory.duties import role_rules
from govern.errors import GovernError
from govern.web import context, db, services

bp = Blueprint("duties_pages", __name__, url_prefix="/duties")

STATES = {
    "withheld": _l("role withheld"),
    "held": _l("both held"),
    "excepted": _l("held under an exception"),
    "active": _l("active"),
    "lapsed": _l("lapsed"),
    "ended": _l("ended"),
}


class AcceptForm(FlaskForm):
    employee_number = StringField(
        _l("Employee number"), validators=[DataRequired(), Length(max=64)]
    )
    rule = SelectField(_l("Rule"), validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    ends_on = DateField(_l("Ends on (inclusive)"), validators=[DataRequired(), in_govern_years])


class EndForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


@bp.get("/")
@page("duties", "view")
def index() -> tuple[str, int]:
    """The current conflicts and every exception, with the form to accept one (filled in from
    a conflict's "accept" link: ?employee_number=…&rule=…)."""
    asked = {name: request.args.get(name, "")[:64] for name in ("employee_number", "rule")}
    return _page(AcceptForm(**asked))


def _page(
    form: AcceptForm,
    error: GovernError | None = None,
    status: int = 200,
    end_form: EndForm | None = None,
) -> tuple[str, int]:
    ctx = context()
    rules = separation.rules_of(ctx)
    form.rule.choices = choices({r.id: r.label(language()) for r in role_rules(rules)})
    html = render_template(
        "duties/index.html",
        conflicts=separation.conflicts(db(), ctx),
        exceptions=separation.exceptions(db(), ctx),
        labels={rule.id: rule.label(language()) for rule in rules},
        states=STATES,
        form=form,
        end_form=end_form or EndForm(formdata=None),
        error=error,
        can_manage=services().allows(page_caller().staff.roles, "duties", "manage"),
    )
    return html, status


@bp.post("/exceptions")
@page("duties", "manage")
def accept() -> Any:
    """Accept a conflict until the end of a day, as POST /api/v1/duties/exceptions."""
    form = AcceptForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    asked = separation.Acceptance(
        form.employee_number.data or "",
        form.rule.data or "",
        form.reason.data or "",
        form.ends_on.data,
    )
    try:
        separation.accept_exception(db(), context(), page_caller().actor, asked)
    except GovernError as error:
        if error.status in (403, 409):
            raise  # the error page, and the denial recorded as for the API
        return _page(form, error, error.status)
    flash(_("Exception accepted for %(number)s.", number=asked.employee_number))
    return redirect(url_for(".index"))


@bp.post("/exceptions/<int:exception_id>/end")
@page("duties", "manage")
def end(exception_id: int) -> Any:
    """End an exception now, as POST /api/v1/duties/exceptions/<id>/end."""
    form = EndForm()
    if not form.validate_on_submit():
        return _page(AcceptForm(formdata=None), status=400, end_form=form)
    try:
        separation.end_exception(
            db(), context(), page_caller().actor, exception_id, form.reason.data or ""
        )
    except GovernError as error:
        if error.status in (403, 409):
            raise
        return _page(AcceptForm(formdata=None), error, error.status)
    flash(_("Exception %(id)s ended.", id=exception_id))
    return redirect(url_for(".index"))
