"""IT's departures in the browser: today, the next 30 days, overdue and failed, with due and
actual instants and the lag between; setting or clearing a date, revoking now, and the sweep
and the reconciliation with their progress (R-ACC-4).

The same service functions as the API routes and the `govern deprovision` commands; a long run
goes to a thread of its own (`runs.py`, its progress and report kept in the database) and its
page refreshes itself (an HTTP `Refresh` header, no script) until the report is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from govern.accounts.service import revoke_account, view_account
from govern.console import in_govern_years, page, page_caller, paged, run_page
from govern.deprovision import runs
from govern.deprovision.rules import DUE, FAILED, REVOKED
from govern.deprovision.service import DepartureView, departure_person, list_departures
from govern.deprovision.views import set_date
from govern.errors import BadRequest, GovernError
from govern.web import app_itself, context, db, services

bp = Blueprint("deprovision_pages", __name__, url_prefix="/departures")

AHEAD_DAYS = 30
DONE_DAYS = 30
#: The first day a departure date may have (govern/bounds.py `Day`): overdue and failed
#: departures are looked for since then, however old.
FIRST_DAY = date(2000, 1, 1)
BOARDS = {
    "today": _l("Today"),
    "ahead": _l("Next 30 days"),
    "overdue": _l("Overdue"),
    "failed": _l("Revocation failed"),
    "done": _l("Revoked in the last 30 days"),
}


class DateForm(FlaskForm):
    employee_number = StringField(
        _l("Employee number"), validators=[DataRequired(), Length(max=32)]
    )
    day = DateField(_l("Departure date"), validators=[Optional(), in_govern_years])
    #: ticked on the confirmation step of a date whose instant has passed
    confirm = BooleanField(_l("Yes, revoke the account at once"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (kept in the account's history)"), validators=[DataRequired(), Length(max=2000)]
    )
    confirm = BooleanField(
        _l("Yes, revoke this account now, for good"), validators=[DataRequired()]
    )


class RunForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired()])
    dry_run = HiddenField()
    #: applying a reconciliation the safety guard held
    confirm = BooleanField(_l("Apply it although the safety guard held it"))
    #: a real sweep, after its dry run
    apply = BooleanField(_l("Yes, revoke and suspend these now"))


@dataclass(frozen=True)
class Row:
    """A departure as the board shows it: the view and its lag (actual minus due, or now
    minus due while it is still not done)."""

    departure: DepartureView
    lag: timedelta | None


@bp.get("/")
@page("departure", "view")
def index() -> tuple[str, int]:
    """The lists, one shown at a time, paged."""
    return _board(DateForm())


def _board(form: DateForm, error: GovernError | None = None, status: int = 200) -> tuple[str, int]:
    board = request.args.get("board", "today")
    board = board if board in BOARDS else "today"
    lists = _lists()
    shown = paged(lists[board])
    roles = page_caller().staff.roles
    html = render_template(
        "deprovision/index.html",
        boards=BOARDS,
        board=board,
        counts={name: len(found) for name, found in lists.items()},
        rows=shown.rows,
        page=shown.number,
        more=shown.more,
        zone=context().settings.timezone,
        form=form,
        error=error,
        can_set=services().allows(roles, "departure", "set"),
        can_revoke=services().allows(roles, "departure", "revoke"),
    )
    return html, status


def _lists() -> dict[str, list[Row]]:
    """Every departure since FIRST_DAY up to 30 days ahead, sorted into the lists: the four
    of what is to do, and those done lately (their lag)."""
    ctx = context()
    now = ctx.clock.now()
    today = now.astimezone(ctx.settings.timezone).date()
    found = list_departures(db(), ctx, FIRST_DAY, today + timedelta(days=AHEAD_DAYS))
    rows = [Row(d, _lag(d, now)) for d in found]
    return {
        "today": [r for r in rows if r.departure.effective == today],
        "ahead": [r for r in rows if r.departure.effective and r.departure.effective > today],
        "overdue": [r for r in rows if r.departure.state == DUE],
        "failed": [r for r in rows if r.departure.state == FAILED],
        "done": [r for r in rows if r.departure.state == REVOKED and _recent(r, today)],
    }


def _recent(row: Row, today: date) -> bool:
    effective = row.departure.effective
    return effective is not None and today - timedelta(days=DONE_DAYS) <= effective <= today


def _lag(departure: DepartureView, now: datetime) -> timedelta | None:
    if departure.due_at is None:
        return None
    if departure.revoked_at is not None:
        return departure.revoked_at - departure.due_at
    if departure.state in (DUE, FAILED):
        return now - departure.due_at
    return None


@bp.post("/date")
@page("departure", "set")
def set_departure_date() -> Any:
    """Set (button "set") or clear (button "clear") the date Govern holds for a person, as
    PUT and DELETE /api/v1/staff/<number>/departure. A date whose instant has passed revokes
    at once, so it is confirmed first."""
    form = DateForm()
    clearing = "clear" in request.form
    valid = form.validate_on_submit()
    if valid and not clearing and form.day.data is None:
        form.day.errors = [_("Choose a date, or clear it.")]
        valid = False
    if not valid:
        return _board(form, status=400)
    number, day = form.employee_number.data or "", None if clearing else form.day.data
    ctx = context()
    passed = day is not None and ctx.settings.departures.passed(day, ctx.clock.now())
    try:
        if passed and not form.confirm.data:  # asked only of a date that would be kept
            departure_person(db(), ctx, page_caller().actor, number, day)
            return render_template("deprovision/confirm_date.html", form=form)
        done = set_date(page_caller().actor, number, day)
    except GovernError as error:
        if error.status in (403, 409):
            raise  # the error page, and the denial recorded as for the API
        return _board(form, error, error.status)
    flash(_set_notice(done))
    return redirect(url_for(".index", board=request.args.get("board", "today")))


def _set_notice(done: DepartureView) -> str:
    if done.effective is None:
        return _("%(number)s: no departure date any more.", number=done.employee_number)
    if done.state == REVOKED:
        return _(
            "%(number)s leaves on %(day)s; the account is revoked.",
            number=done.employee_number,
            day=done.effective.isoformat(),
        )
    return _(
        "%(number)s leaves on %(day)s.", number=done.employee_number, day=done.effective.isoformat()
    )


@bp.route("/accounts/<string:account_id>/revoke", methods=["GET", "POST"])
@page("departure", "revoke")
def revoke(account_id: str) -> Any:
    """Revoke one account now, with a reason, once confirmed (as `govern deprovision revoke`):
    the confirmation names whose account it is (an unknown account: 404)."""
    form, s = RevokeForm(), services()
    view = view_account(db(), page_caller().staff, account_id, s.roles.account_readers)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        html = render_template(
            "deprovision/revoke.html", form=form, account_id=account_id, view=view
        )
        return html, status
    try:
        revoke_account(
            db(), s.clock, s.trail, account_id, page_caller().account_id, form.reason.data or ""
        )
    except GovernError as error:
        if error.status in (403, 409):
            raise
        html = render_template(
            "deprovision/revoke.html", form=form, account_id=account_id, view=view, error=error
        )
        return html, error.status
    flash(_("Account %(account)s is revoked; every session of it has ended.", account=account_id))
    return redirect(url_for(".index"))


@bp.get("/sweep")
@page("departure", "sweep")
def sweep() -> str:
    """The sweep and the reconciliation: each a dry run first."""
    return render_template("deprovision/sweep.html", form=RunForm())


@bp.post("/runs")
@page("departure", "sweep")
def start() -> Any:
    """Start a sweep or a reconciliation (a dry run unless `dry_run` is "no")."""
    form = RunForm()
    kind = form.kind.data
    dry_run, by = form.dry_run.data != "no", page_caller().account_id
    if not form.validate_on_submit() or kind not in (runs.SWEEP, runs.RECONCILE):
        refused = BadRequest("run.unknown_kind", _("Choose the sweep or the reconciliation."))
        return render_template("deprovision/sweep.html", form=form, error=refused), 400
    if kind == runs.SWEEP and not dry_run and not form.apply.data:
        refused = BadRequest("confirm.missing", _("Tick the box to confirm first."))
        return render_template("deprovision/sweep.html", form=form, error=refused), 400
    app = app_itself()
    if kind == runs.SWEEP:
        run_id = runs.start_sweep(app, db(), by, dry_run=dry_run)
    else:
        confirm = bool(form.confirm.data)
        run_id = runs.start_reconcile(app, db(), by, dry_run=dry_run, confirm=confirm)
    return redirect(url_for(".run", run_id=run_id))


@bp.get("/runs/<string:run_id>")
@page("departure", "sweep")
def run(run_id: str) -> Response:
    """A run's progress while it runs (the page asks again every few seconds), then its
    report."""
    return run_page(
        "deprovision/run.html", runs.run_of(db(), services().clock, run_id), form=RunForm()
    )
