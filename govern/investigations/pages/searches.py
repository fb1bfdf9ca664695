"""The auditor's searches of the trail (`/audit/...`): its events by filter (and as CSV), who
saw a debtor's field, what a person saw, unusual access, and one account's views per hour beside
its group's usual. GET forms: bookmarkable, paged, changing nothing but the trail's record of the
query (`audit.queried`), under the auditors' time limit as the API's routes are."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from govern.console import PER_PAGE, choices, in_govern_years, page, page_number, whole_number
from govern.errors import GovernError
from govern.investigations import questions
from govern.investigations.pages.shared import (
    FIELD_NAME,
    ID_CHARS,
    LOCAL_INPUT,
    OPTIONAL_TIME,
    audit_time,
    auditor,
    bp,
    limited,
    paged_list,
    searched_window,
    status,
)
from govern.investigations.unusual import unusual_access
from govern.web import context, db, download, services

#: A CSV export holds up to the API's largest page.
EXPORT_ROWS = 1000


class SearchForm(FlaskForm):
    """A search of the trail: a GET form (bookmarkable, paged), in the agency's time."""

    class Meta:
        csrf = False

    start = DateTimeLocalField(
        _l("From"), format=LOCAL_INPUT, validators=[Optional(), in_govern_years]
    )
    end = DateTimeLocalField(_l("To"), format=LOCAL_INPUT, validators=OPTIONAL_TIME)
    page = IntegerField(_l("Page"), validators=[Optional(), whole_number(1)])


class EventsForm(SearchForm):
    debtor = StringField(_l("Debtor"), validators=[Optional(), Length(max=ID_CHARS)])
    actor = StringField(_l("Actor (who acted)"), validators=[Optional(), Length(max=ID_CHARS)])
    subject = StringField(
        _l("Subject (account acted upon)"), validators=[Optional(), Length(max=ID_CHARS)]
    )
    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    field = StringField(
        _l("Field"), validators=[Optional(), Regexp(FIELD_NAME, message=_l("Not a field name."))]
    )
    after = IntegerField(_l("After event"), validators=[Optional(), whole_number()])


class WhoSawForm(SearchForm):
    debtor = StringField(_l("Debtor"), validators=[DataRequired(), Length(max=ID_CHARS)])
    field = StringField(
        _l("Field"),
        default="phones",
        validators=[DataRequired(), Regexp(FIELD_NAME, message=_l("Not a field name."))],
    )
    level = SelectField(
        _l("Shown"),
        choices=choices({"full": _l("in full"), "masked": _l("masked only"), "any": _l("at all")}),
        default="full",
    )


class AccountForm(SearchForm):
    account = StringField(_l("Account"), validators=[DataRequired(), Length(max=ID_CHARS)])


@bp.get("/events")
@page("audit", "query")
def events() -> Any:
    """The trail's events by filter, a page at a time, or the same filter as CSV."""
    form = EventsForm(formdata=request.args)
    if not _asked(form):
        return _events_page(form), status(form)
    export = request.args.get("format") == "csv"
    try:
        found, after = _events(form, EXPORT_ROWS if export else PER_PAGE)
    except GovernError as error:
        return _events_page(form, error=error), error.status
    if export:
        return download(questions.events_csv(found), "audit-events.csv")
    return _events_page(form, found, after=after)


def _events_page(form: EventsForm, found: list[dict[str, Any]] | None = None, **shown: Any) -> str:
    """The events page; the actions the trail holds offered as the action input's
    suggestions."""
    actions = questions.recorded_actions(db())
    return render_template(
        "investigations/events.html", form=form, found=found, actions=actions, **shown
    )


@bp.get("/who-saw")
@page("audit", "query")
def who_saw() -> Any:
    """Who was shown a field of a debtor, when, at which level."""
    form = WhoSawForm(formdata=request.args)
    if not _asked(form):
        return render_template("investigations/who_saw.html", form=form), status(form)
    asked = questions.Sighting(form.debtor.data, form.field.data, form.level.data)
    try:
        with limited("who_saw", debtor=asked.debtor, field=asked.field, level=asked.level):
            found = questions.who_saw(
                db(), services().trail, auditor(), asked, searched_window(form)
            )
    except GovernError as error:
        return render_template("investigations/who_saw.html", form=form, error=error), error.status
    return render_template("investigations/who_saw.html", form=form, **paged_list(found))


@bp.get("/seen")
@page("audit", "query")
def seen() -> Any:
    """What an account revealed: per debtor, the fields, first and last time."""
    form = AccountForm(formdata=request.args)
    if not _asked(form):
        return render_template("investigations/seen.html", form=form), status(form)
    account = form.account.data
    try:
        with limited("what_seen", account=account):
            found = questions.what_seen(
                db(), services().trail, auditor(), account, searched_window(form)
            )
    except GovernError as error:
        return render_template("investigations/seen.html", form=form, error=error), error.status
    return render_template("investigations/seen.html", form=form, **paged_list(found))


@bp.get("/unusual")
@page("audit", "query")
def unusual() -> Any:
    """Bulk viewing, off-hours views, views outside the viewer's group, spikes before a
    departure, reads through break-glass grants and investigations."""
    form = SearchForm(formdata=request.args)
    if not _asked(form):
        return render_template("investigations/unusual.html", form=form), status(form)
    try:
        with limited("unusual"):
            found = unusual_access(db(), context(), auditor(), searched_window(form))
    except GovernError as error:
        return render_template("investigations/unusual.html", form=form, error=error), error.status
    number = page_number()
    rows = slice((number - 1) * PER_PAGE, number * PER_PAGE)
    more = any(len(kind) > number * PER_PAGE for kind in found.values())
    kinds = {name: found[name][rows] for name in found}
    totals = {name: len(found[name]) for name in found}
    return render_template(
        "investigations/unusual.html",
        form=form,
        kinds=kinds,
        totals=totals,
        number=number,
        more=more,
    )


@bp.get("/chart")
@page("audit", "query")
def chart() -> Any:
    """One account's views per hour over a window (default the last 7 days) beside its
    group's usual, drawn in the browser from a JSON block."""
    form = AccountForm(formdata=request.args)
    if not _asked(form):
        return render_template("investigations/chart.html", form=form), status(form)
    account = form.account.data
    try:
        window = searched_window(form, questions.CHART_DAYS)
        with limited("views_per_hour", account=account):
            series = questions.views_per_hour(db(), services().trail, auditor(), account, window)
    except GovernError as error:
        return render_template("investigations/chart.html", form=form, error=error), error.status
    return render_template("investigations/chart.html", form=form, series=_chart_data(series))


def _asked(form: SearchForm) -> bool:
    """Whether the search was submitted and is valid (its problems shown by the form)."""
    return bool(request.args) and form.validate()


def _events(form: EventsForm, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    window, text = searched_window(form), lambda value: value or None
    wanted = questions.EventFilter(
        text(form.debtor.data),
        text(form.actor.data),
        text(form.action.data),
        text(form.field.data),
        *window.us,
        form.after.data or 0,
        limit,
        subject=text(form.subject.data),
    )
    asked = {
        "debtor": wanted.debtor,
        "actor": wanted.actor,
        "subject": wanted.subject,
        "action": wanted.action,
        "field": wanted.field,
    }
    with limited("events", **asked):
        return questions.find_events(db(), services().trail, auditor(), wanted)


def _chart_data(series: dict[str, Any]) -> dict[str, Any]:
    """The chart's data for the page's JSON block: hours in the agency's time."""
    return {
        "account": series["account"],
        "group": series["group"],
        "hours": [audit_time(h["hour"])[:13] + ":00" for h in series["hours"]],
        "views": [h["views"] for h in series["hours"]],
        "usual": [h["usual"] for h in series["hours"]],
        "labels": {"views": gettext("Views"), "usual": gettext("Group's usual")},
    }
