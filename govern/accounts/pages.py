"""Pages for department heads and the general manager (and who else may list accounts): the
people awaiting an account with "issue account", the accounts of their department(s), one
account with its history and, when suspended, its reactivation.

Each page calls what the matching API route (govern/accounts/views.py) calls. A refusal that
the API records as a denial (403, 409) goes to the one error handler, which records it and
shows it in words; a form's own problem (a reason too short) re-renders the form with it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from govern.accounts.service import (
    issue_account,
    list_accounts,
    people_awaiting_account,
    reactivate_account,
    suspension_of,
    view_account,
)
from govern.console import page, page_caller, page_number
from govern.directory.models import Identity
from govern.errors import GovernError
from govern.training.certifications import training_status, training_statuses
from govern.web import context, db, services

bp = Blueprint("accounts_pages", __name__, url_prefix="/accounts")

#: Rows a list shows at a time.
PAGE_SIZE = 50


STATES = {"active": _l("Active"), "suspended": _l("Suspended"), "revoked": _l("Revoked")}
TRACKS = {
    "intern": _l("Intern"),
    "ordinary": _l("Ordinary"),
    "management": _l("Management"),
    "unknown": _l("Unknown"),
}


#: What Govern itself writes into an account's history (in English, as the API gives it):
#: the reason by its pattern, and the system's own name as the actor. A reason or an actor a
#: person gave is shown as given.
SYSTEM_REASONS = (
    (re.compile(r"issued by department head"), _l("Issued by the department head")),
    (re.compile(r"bootstrap"), _l("The general manager's first account")),
    (re.compile(r"departure on (?P<day>[\d-]+)"), _l("Departure on %(day)s")),
    (re.compile(r"unused for (?P<days>\d+) days"), _l("Unused for %(days)s days")),
    (re.compile(r"gone from the directory"), _l("Gone from the company directory")),
)
SYSTEM_ACTORS = {"deprovision": _l("Govern (departures)")}


def reason_words(reason: str) -> str:
    """A history reason in the page's language: Govern's own by SYSTEM_REASONS, else as
    typed."""
    for pattern, words in SYSTEM_REASONS:
        if found := pattern.fullmatch(reason):
            return str(words) % found.groupdict() if found.groupdict() else str(words)
    return reason


@bp.context_processor
def words() -> dict[str, Any]:
    """States, tracks, Govern's own reasons and name in the page's language."""

    def state_label(state: str | None) -> str:
        return str(STATES.get(state or "", state or "—"))

    def track_label(track: str | None) -> str:
        return str(TRACKS.get(track or "unknown", track))

    def actor_label(actor: str) -> str:
        return str(SYSTEM_ACTORS.get(actor, actor))

    return {
        "state_label": state_label,
        "track_label": track_label,
        "reason_words": reason_words,
        "actor_label": actor_label,
    }


class IssueForm(FlaskForm):
    employee_number = HiddenField(
        validators=[DataRequired(), Regexp(r"^[A-Za-z0-9._-]{1,64}$")],
    )


class ReactivationForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=500)])


@bp.get("")
@page("account", "list")
def index() -> str:
    """The caller's people awaiting an account (if they issue), then the accounts they see."""
    caller, readers = page_caller(), services().roles.account_readers
    department = request.args.get("department") or None
    number = page_number()
    views = list_accounts(db(), caller.staff, department, readers)
    shown = views[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    training = training_statuses(db(), context(), [view.account.id for view in shown])
    return render_template(
        "accounts/index.html",
        awaiting=_awaiting() if _may("issue") else None,
        accounts=[(view, training[view.account.id]) for view in shown],
        page=number,
        more=len(views) > number * PAGE_SIZE,
        department=department,
        total=len(views),
    )


@bp.get("/awaiting")
@page("account", "issue")
def awaiting() -> str:
    """Everyone the caller would issue an account to now, paged."""
    people, number = _awaiting(), page_number()
    return render_template(
        "accounts/awaiting.html",
        people=people[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        page=number,
        more=len(people) > number * PAGE_SIZE,
        total=len(people),
    )


@bp.get("/issue")
@page("account", "issue")
def confirm_issue() -> str:
    """The confirmation step before issuing: who, and one button."""
    form = IssueForm(data={"employee_number": request.args.get("employee_number", "")})
    return render_template("accounts/issue.html", form=form, person=_awaiting_one(form))


@bp.post("/issue")
@page("account", "issue")
def issue() -> Response | tuple[str, int]:
    """Issue the account (as POST /api/v1/accounts), then back to the list with the result."""
    form = IssueForm()
    if not form.validate_on_submit():
        return render_template("accounts/issue.html", form=form, person=None), 400
    caller, number = page_caller(), form.employee_number.data or ""
    try:
        account, created = issue_account(db(), context(), caller.actor, number)
    except GovernError as error:
        _keep_denials(error)
        return render_template("accounts/issue.html", form=form, error=error), error.status
    person = view_account(db(), caller.staff, account.id, services().roles.account_readers)
    named = {"id": account.id, "name": person.identity.name, "number": number}
    if created:
        flash(_("Account %(id)s issued to %(name)s (%(number)s).", **named))
    else:
        flash(_("%(name)s (%(number)s) already has account %(id)s.", **named))
    return redirect(url_for("accounts_pages.index"))  # type: ignore[return-value]


@bp.get("/<string:account_id>")
@page("account", "view")
def show(account_id: str) -> str:
    """One account (as GET /api/v1/accounts/<id>), with its reactivation form if suspended."""
    return _render_account(account_id, ReactivationForm())


@bp.post("/<string:account_id>/reactivation")
@page("account", "reactivate")
def reactivate(account_id: str) -> Response | tuple[str, int]:
    """Lift the suspension with a reason (as POST /api/v1/accounts/<id>/reactivation)."""
    form = ReactivationForm()
    if not form.validate_on_submit():
        return _render_account(account_id, form), 400
    try:
        reason = form.reason.data or ""  # a form sent without the field: refused as too short
        reactivate_account(db(), context(), page_caller().actor, account_id, reason)
    except GovernError as error:
        _keep_denials(error)
        return _render_account(account_id, form, error), error.status
    flash(_("The account is active again."))
    return redirect(url_for("accounts_pages.show", account_id=account_id))  # type: ignore[return-value]


def _render_account(
    account_id: str, form: ReactivationForm, error: GovernError | None = None
) -> str:
    caller, s = page_caller(), services()
    view = view_account(db(), caller.staff, account_id, s.roles.account_readers)
    suspension = suspension_of(s.settings.policies_dir, view.account)
    return render_template(
        "accounts/show.html",
        view=view,
        training=training_status(db(), context(), account_id),
        suspension=suspension,
        # the form only where the kind's lifters include a role of the caller's (the
        # department check stays the service's, refused in words if it fails)
        may_reactivate=_may("reactivate")
        and (suspension is None or bool(caller.staff.roles & suspension.lifted_by)),
        form=form,
        error=error,
    )


def _keep_denials(error: GovernError) -> None:
    """A refusal the API records as a denial (403, 409) goes on to the one error handler,
    which records it and shows it in words; any other is shown on the form."""
    if error.status in (403, 409):
        raise error


def _awaiting() -> list[Identity]:
    return people_awaiting_account(db(), context(), page_caller().staff)


def _awaiting_one(form: IssueForm) -> Identity | None:
    """The person the confirmation names, when they are awaiting an account from the caller;
    else None (the page shows the number only, and issuing gives the refusal in words)."""
    number = form.employee_number.data
    return next((p for p in _awaiting() if p.employee_number == number), None)


def _may(action: str) -> bool:
    return services().allows(page_caller().staff.roles, "account", action)
