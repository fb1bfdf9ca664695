"""The general manager's creditors (甲方) in the browser: each creditor's contract, agreed
purposes and data key; recording one, moving a contract's end, ending one now (its name typed
again), and the deletion certificates issued. Auditors read them.

The same service functions as /api/v1/creditors.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from govern.access.policy import access_policy
from govern.console import at_least_one, in_govern_years, page, page_caller
from govern.creditors import service
from govern.creditors.models import Creditor
from govern.creditors.rules import contract_state
from govern.debtors.pages import purpose_label
from govern.errors import GovernError
from govern.justification import trim
from govern.web import context, db, services

bp = Blueprint("creditors_pages", __name__, url_prefix="/creditors")


class CreditorForm(FlaskForm):
    name = StringField(
        _l("Creditor (as the debtors' client)"), validators=[DataRequired(), Length(max=128)]
    )
    project_groups = StringField(
        _l("Project groups (separated by commas)"), validators=[DataRequired(), Length(max=2000)]
    )
    contract_start = DateField(_l("Contract starts"), validators=[InputRequired(), in_govern_years])
    contract_end = DateField(
        _l("Contract's last day"), validators=[InputRequired(), in_govern_years]
    )
    purposes = SelectMultipleField(
        _l("Agreed purposes"),
        validators=[at_least_one],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class EndDateForm(FlaskForm):
    contract_end = DateField(_l("New last day"), validators=[InputRequired(), in_govern_years])


class EndForm(FlaskForm):
    name = StringField(_l("Type the creditor's name"), validators=[DataRequired(), Length(max=128)])
    confirm = BooleanField(
        _l("Yes, destroy this creditor's data keys now, for good"), validators=[DataRequired()]
    )


@bp.get("/")
@page("creditor", "view")
def index() -> tuple[str, int]:
    """Every creditor with its contract, and the deletion certificates issued."""
    return _index(_creditor_form())


def _index(
    form: CreditorForm,
    error: GovernError | None = None,
    status: int = 200,
    end_date: EndDateForm | None = None,
) -> tuple[str, int]:
    ctx = context()
    now, roles = ctx.clock.now(), page_caller().staff.roles
    html = render_template(
        "creditors/index.html",
        creditors=[
            (c, contract_state(_days(c), c.ended_at, now, ctx.settings.timezone))
            for c in service.list_creditors(db())
        ],
        certificates=service.list_certificates(db()),
        zone=ctx.settings.timezone,
        form=form,
        end_date=end_date or EndDateForm(),
        error=error,
        purpose_label=purpose_label,
        can_manage=services().allows(roles, "creditor", "manage"),
    )
    return html, status


def _days(creditor: Creditor) -> tuple[date, date]:
    """The contract's first and last day."""
    return creditor.contract_start, creditor.contract_end


def _creditor_form() -> CreditorForm:
    form = CreditorForm()
    purposes = access_policy(context().settings.policies_dir).purposes
    form.purposes.choices = [(code, purpose_label(code, name)) for code, name in purposes.items()]
    return form


@bp.post("/")
@page("creditor", "manage")
def create() -> Any:
    """Record a creditor with its own data key."""
    form = _creditor_form()
    if not form.validate_on_submit():
        return _index(form, status=400)
    groups = [g.strip() for g in (form.project_groups.data or "").split(",") if g.strip()]
    draft = service.CreditorDraft(
        trim(form.name.data or ""),
        groups,
        form.contract_start.data,
        form.contract_end.data,
        form.purposes.data or [],
    )
    try:
        creditor = service.create_creditor(db(), context(), page_caller().account_id, draft)
    except GovernError as error:
        if error.status == 403:
            raise
        return _index(form, error, error.status)
    flash(_("Creditor %(name)s is recorded with a data key of its own.", name=creditor.name))
    return redirect(url_for(".index"))


@bp.post("/<creditor_id>/contract-end")
@page("creditor", "manage")
def change_end(creditor_id: str) -> Any:
    """Move a contract's last day."""
    form = EndDateForm()
    if not form.validate_on_submit():
        return _index(_creditor_form(), status=400, end_date=form)
    try:
        creditor = service.change_end(
            db(), context(), page_caller().account_id, creditor_id, form.contract_end.data
        )
    except GovernError as error:
        if error.status in (403, 404):
            raise
        return _index(_creditor_form(), error, error.status, form)
    flash(
        _(
            "The contract of %(name)s now ends after %(day)s.",
            name=creditor.name,
            day=creditor.contract_end,
        )
    )
    return redirect(url_for(".index"))


@bp.route("/<creditor_id>/end", methods=["GET", "POST"])
@page("creditor", "manage")
def end(creditor_id: str) -> Any:
    """End a contract now, once its name is typed again and it is confirmed."""
    creditor = service.show_creditor(db(), creditor_id)
    form = EndForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("creditors/end.html", form=form, creditor=creditor), status
    try:
        service.end_contract(
            db(), context(), page_caller().account_id, creditor_id, confirmed=form.name.data
        )
    except GovernError as error:
        if error.status in (403, 409):
            raise
        html = render_template("creditors/end.html", form=form, creditor=creditor, error=error)
        return html, error.status
    flash(_("The contract of %(name)s has ended: its data keys are destroyed.", name=creditor.name))
    return redirect(url_for(".certificate", creditor_id=creditor_id))


@bp.get("/<creditor_id>/certificate")
@page("creditor", "view")
def certificate(creditor_id: str) -> Response | str:
    """The deletion certificate: what it states, its signature and the key to check it."""
    issued = service.certificate_of(db(), context(), creditor_id)
    if request.args.get("download"):
        body = json.dumps(issued, ensure_ascii=False, indent=2)
        return Response(
            body,
            mimetype="application/json",
            headers={
                "Content-Disposition": f"attachment; filename={issued['document']['id']}.json"
            },
        )
    return render_template("creditors/certificate.html", issued=issued)
