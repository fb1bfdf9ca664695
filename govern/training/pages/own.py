"""Everyone's own training: track, certifications, what each debtor field waits for, the
sessions ahead, exam results, signing the agreement and asking leave (R-TRN-6, R-TRN-8)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired

from govern.console import page, page_caller
from govern.training import attendance, certifications, plans
from govern.training.overview import DebtorFields, own_overview
from govern.training.pages.shared import TRACK_LABELS, PlainForm, book, bp, expired
from govern.web import context, db

#: The key under which start-up hands in the debtor fields (govern/app.py `_hand_in`).
WIRING = "govern.training.fields"


class SignForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    confirm = BooleanField(_l("I have read the text above and agree to it"), [DataRequired()])


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
        book=book(),
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
        raise expired()
    session = plans.find_session(db(), context(), session_id)
    view = attendance.request_leave(db(), context(), page_caller().account_id or "", session)
    if view.problem == "leave.too_late":
        flash(gettext("Leave asked, but too late to excuse an absence."), "error")
    else:
        flash(gettext("Leave asked; your head approves it before the session."))
    return redirect(url_for(".me"))


def _fields() -> DebtorFields:
    fields: DebtorFields = current_app.extensions[WIRING]
    return fields
