"""Access reviews in the browser: the reviewer's list (a head's department, the general
manager's heads) with a certify / revoke / suspend form per item, and the general manager's
campaigns (start one, follow its progress, download its signed report).

The same service functions as /api/v1/reviews; a refusal of who may decide (403) or of an item
already decided (409) is the error page, as for the API.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from govern.console import (
    choices,
    company_time,
    in_govern_years,
    page,
    page_caller,
    whole_number,
)
from govern.errors import GovernError
from govern.reviews import report, rules, service
from govern.reviews.service import CampaignDraft
from govern.web import context, db, services

bp = Blueprint("reviews_pages", __name__, url_prefix="/reviews")

DECISIONS = {
    rules.CERTIFY: _l("Certify: keep the access"),
    rules.SUSPEND: _l("Suspend the account"),
    rules.REVOKE: _l("Revoke the account for good"),
}
AT_DEADLINE = {
    "report": _l("Report them to the general manager"),
    rules.SUSPEND: _l("Suspend their accounts"),
}


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=choices(DECISIONS), validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason (needed to revoke or suspend)"), validators=[Optional(), Length(max=2000)]
    )


class StartForm(FlaskForm):
    departments = StringField(
        _l("Departments (separated by commas; empty: the whole agency)"),
        validators=[Optional(), Length(max=2000)],
    )
    deadline = DateField(
        _l("Deadline (the end of this day)"), validators=[DataRequired(), in_govern_years]
    )
    at_deadline = SelectField(
        _l("At the deadline, items nobody decided"),
        choices=choices(AT_DEADLINE),
        validators=[DataRequired()],
    )
    every_months = IntegerField(
        _l("Repeat every so many months (empty: once)"),
        validators=[Optional(), whole_number(1)],  # over 12: review.period_invalid
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for cancelling"), validators=[DataRequired(), Length(max=2000)]
    )


@bp.app_template_filter("review_deadline")
def review_deadline(deadline: datetime) -> str:
    """A campaign's deadline as the pages say it: "end of <day>" when it falls at midnight in
    company time (the page's form takes a day), else the company time."""
    day = rules.deadline_day(deadline, context().settings.timezone)
    if day is None:
        return company_time(deadline)
    return _("end of %(day)s", day=day.isoformat())


@bp.app_context_processor
def _waiting_reviews() -> dict[str, Any]:
    """`waiting_reviews()` for the console's home page (which the sessions' pages render,
    knowing nothing of reviews): the campaigns that reminded the caller and still wait for
    them; asked only where a template calls it."""
    return {"waiting_reviews": waiting_reviews}


def waiting_reviews() -> list[service.Waiting]:
    """The reminded reviews waiting for the signed-in caller; none for a role that reviews
    nothing."""
    staff = page_caller().staff
    if not services().allows(staff.roles, "review", "decide"):
        return []
    return service.waiting_for(db(), context(), staff)


@bp.get("/")
@page("review", "decide")
def index() -> tuple[str, int]:
    """The items the caller reviews, with the reminders sent to them."""
    return _list(DecisionForm())


def _list(
    form: DecisionForm, error: GovernError | None = None, status: int = 200
) -> tuple[str, int]:
    staff, ctx = page_caller().staff, context()
    found = service.items_for(db(), ctx, staff)
    html = render_template(
        "reviews/index.html",
        items=found,
        reminders=service.reminders_for(db(), staff),
        form=form,
        error=error,
        zone=ctx.settings.timezone,
    )
    return html, status


@bp.post("/items/<string:item_id>")
@page("review", "decide")
def decide(item_id: str) -> Any:
    """Decide one item, as POST /api/v1/reviews/items/<id>/decision."""
    form = DecisionForm()
    if not form.validate_on_submit():
        return _list(form, status=400)
    caller = page_caller()
    try:
        service.decide(
            db(), context(), caller.actor, item_id, form.decision.data or "", form.reason.data or ""
        )
    except GovernError as error:
        if error.status in (403, 404, 409):
            raise  # the error page, and the denial recorded as for the API
        return _list(form, error, error.status)
    flash(_("Decided: %(item)s.", item=item_id))
    return redirect(url_for(".index"))


@bp.get("/campaigns")
@page("review", "oversee")
def campaigns() -> tuple[str, int]:
    """Every campaign with its progress; the form to start one for those who may."""
    return _campaigns(StartForm())


def _campaigns(
    form: StartForm, error: GovernError | None = None, status: int = 200
) -> tuple[str, int]:
    roles = page_caller().staff.roles
    html = render_template(
        "reviews/campaigns.html",
        campaigns=service.list_campaigns(db()),
        form=form,
        error=error,
        can_start=services().allows(roles, "review", "start"),
        zone=context().settings.timezone,
    )
    return html, status


@bp.post("/campaigns")
@page("review", "start")
def start() -> Any:
    """Start a campaign, as POST /api/v1/reviews/campaigns."""
    form = StartForm()
    if not form.validate_on_submit():
        return _campaigns(form, status=400)
    ctx = context()
    deadline = rules.end_of(form.deadline.data, ctx.settings.timezone)  # type: ignore[arg-type]
    departments = rules.departments_typed(form.departments.data or "")
    draft = CampaignDraft(
        departments or None, deadline, form.at_deadline.data or "", form.every_months.data
    )
    try:
        view = service.start_campaign(db(), ctx, page_caller().actor, draft)
    except GovernError as error:
        if error.status == 403:
            raise
        return _campaigns(form, error, error.status)  # an overlap (409) too: said on the form
    flash(_("Campaign %(campaign)s started.", campaign=view.campaign.id))
    return redirect(url_for(".campaign", campaign_id=view.campaign.id))


@bp.get("/campaigns/<string:campaign_id>")
@page("review", "oversee")
def campaign(campaign_id: str) -> tuple[str, int]:
    """One campaign: its progress by department, its report's downloads and, for those who
    may start one, the form to cancel it while it is open."""
    return _campaign_page(campaign_id, CancelForm())


def _campaign_page(
    campaign_id: str, form: CancelForm, error: GovernError | None = None, status: int = 200
) -> tuple[str, int]:
    view = service.campaign_view(db(), campaign_id)
    html = render_template(
        "reviews/campaign.html",
        view=view,
        form=form,
        error=error,
        can_cancel=services().allows(page_caller().staff.roles, "review", "start"),
        zone=context().settings.timezone,
    )
    return html, status


@bp.post("/campaigns/<string:campaign_id>/cancel")
@page("review", "start")
def cancel(campaign_id: str) -> Any:
    """Cancel a campaign, as POST /api/v1/reviews/campaigns/<id>/cancel."""
    form = CancelForm()
    if not form.validate_on_submit():
        return _campaign_page(campaign_id, form, status=400)
    try:
        service.cancel_campaign(db(), context(), page_caller().actor, campaign_id, form.reason.data)
    except GovernError as error:
        if error.status in (403, 404):
            raise
        return _campaign_page(campaign_id, form, error, error.status)
    flash(_("Campaign %(campaign)s cancelled.", campaign=campaign_id))
    return redirect(url_for(".campaign", campaign_id=campaign_id))


@bp.get("/campaigns/<string:campaign_id>/report.csv")
@page("review", "oversee")
def report_csv(campaign_id: str) -> Response:
    """The signed report's decisions as CSV (its signature in Govern-Signature)."""
    signed = report.decisions_report(db(), context(), page_caller().actor, campaign_id)
    return report.csv_response(campaign_id, signed)


@bp.get("/campaigns/<string:campaign_id>/report.json")
@page("review", "oversee")
def report_json(campaign_id: str) -> Response:
    """The signed report as JSON: the report and its signature."""
    signed = report.decisions_report(db(), context(), page_caller().actor, campaign_id)
    body = {"report": signed.document, "signature": signed.json_signature}
    response = Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")
    response.headers["Content-Disposition"] = f"attachment; filename=review-{campaign_id}.json"
    return response
