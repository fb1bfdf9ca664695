"""The sessions calendar (a month, and a range as a calendar file) and the training plans the
office drafts and the general manager approves (R-TRN-2, R-STF-3)."""

from __future__ import annotations

import calendar as months
from datetime import date, timedelta
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from govern.console import (
    asked_over,
    at_least_one,
    choices,
    in_govern_years,
    page,
    page_caller,
    paged,
)
from govern.errors import BadRequest, GovernError
from govern.training import plans
from govern.training.calendar_export import sessions_ics
from govern.training.pages.shared import TRACK_LABELS, ConfirmForm, bp, today
from govern.training.schemas import RangeSchema
from govern.web import context, db, services

TERM_LABELS = {"short": _l("Short term"), "long": _l("Long term")}


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
    starts = DateField(_l("Starts"), validators=[InputRequired(), in_govern_years])
    ends = DateField(_l("Ends"), validators=[InputRequired(), in_govern_years])


# ---- the sessions calendar -------------------------------------------------------------------


@bp.get("/sessions")
@page("training", "view")
def calendar() -> str:
    """One month's sessions (?month=2026-12) as a calendar."""
    first = _month(request.args.get("month"))
    last = first.replace(day=months.monthrange(first.year, first.month)[1])
    by_day: dict[date, list[Any]] = {}
    for session in plans.list_sessions(db(), context(), first, last):
        by_day.setdefault(session.day, []).append(session)
    return render_template(
        "training/calendar.html",
        first=first,
        weeks=months.Calendar(0).monthdatescalendar(first.year, first.month),
        by_day=by_day,
        previous=(first - timedelta(days=1)).strftime("%Y-%m"),
        following=(last + timedelta(days=1)).strftime("%Y-%m"),
        today=today(),
        may_record=_may("record_attendance"),
        ics={"from": str(first), "to": str(last)},
    )


@bp.get("/sessions.ics")
@page("training", "view")
def calendar_file() -> Response:
    """The sessions of a range (?from=&to=, default the coming two months) as a calendar file."""
    start = today()
    asked = asked_over({"from": str(start), "to": str(start + timedelta(days=62))})
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


def _month(text: str | None) -> date:
    """The first day of `text` (2026-12), this month when not given. Raises BadRequest."""
    if not text:
        return today().replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise BadRequest("month.invalid", gettext("Ask for a month as 2026-12.")) from None


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
    return render_template(
        "training/plans.html",
        plans=shown.rows,
        page=shown.number,
        more=shown.more,
        form=form,
        confirm_form=ConfirmForm(formdata=None),
        error=error,
        tracks=TRACK_LABELS,
        may_draft=_may("draft_plan"),
        may_approve=_may("approve_plan"),
    )


def _may(action: str) -> bool:
    """Whether the caller's roles may take `action` on training (a button shown or not)."""
    return services().allows(page_caller().staff.roles, "training", action)
