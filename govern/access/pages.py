"""The policy admin's pages: the access policy as a grid (role × project group × field →
level), and a decision explained field by field for any account and debtor (R-ACS-2, R-ACS-4).

The same functions as GET /api/v1/access/policy and GET /api/v1/access/explain; explaining
records `access.explained` for each field, as the API does for each question.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from govern.access import service
from govern.access.policy import access_policy
from govern.access.views import explain_decision, ready_policy
from govern.console import choices, language, page, page_caller
from govern.errors import GovernError
from govern.web import db, services

bp = Blueprint("access_pages", __name__, url_prefix="/access")

EVERY_FIELD = ""


class ExplainForm(FlaskForm):
    account = StringField(_l("Account"), validators=[DataRequired(), Length(max=16)])
    debtor = StringField(_l("Debtor id"), validators=[DataRequired(), Length(max=16)])
    field = SelectField(_l("Field"), validate_choice=False)


@bp.get("/policy")
@page("access", "policy_view")
def policy() -> str:
    """The stored policy: one row per role and project group, one column per debtor field;
    and which role includes which."""
    version, lines = service.policy_lines(db(), ready_policy())
    fields = _fields()
    grid: dict[tuple[str, str], dict[str, str]] = {}
    for line in lines:
        if line[0] == "p":
            _, role, group, name, level = line[:5]
            grid.setdefault((role, group), {})[name] = level
    links = [line[1:4] for line in lines if line[0] == "g"]
    return render_template(
        "access/policy.html",
        version=version,
        fields=fields,
        grid=sorted(grid.items()),
        links=links,
    )


@bp.route("/explain", methods=["GET", "POST"])
@page("access", "explain")
def explain() -> Any:
    """Why an account gets (or not) each field of a debtor: the whole path, field by field."""
    fields = _fields()
    form = ExplainForm()
    named = {name: f"{rule.label_in(language())} ({name})" for name, rule in fields.items()}
    form.field.choices = choices({EVERY_FIELD: _l("Every field")} | named)
    if not form.validate_on_submit():
        return render_template("access/explain.html", form=form, fields=fields), (
            400 if form.is_submitted() else 200
        )
    asked = [form.field.data] if form.field.data else list(fields)
    caller = page_caller()
    try:
        answers = [
            (name, explain_decision(caller, form.account.data, form.debtor.data, name))
            for name in asked
        ]
    except GovernError as error:
        if error.status in (403, 409):
            raise
        html = render_template("access/explain.html", form=form, fields=fields, error=error)
        return html, error.status
    return render_template("access/explain.html", form=form, fields=fields, answers=answers)


def _fields() -> dict[str, Any]:
    return access_policy(services().settings.policies_dir).fields
