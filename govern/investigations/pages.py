"""The auditor's pages (`/audit`): search the trail and export it, who saw a debtor and what
a person saw, leak triage from a list of debtor ids, unusual access, one account's views per
hour beside its group's usual, and the trail's verification.

Each page calls what its API route (investigations/views.py) calls, under the same time limit
and audited the same way (`audit.queried`); the searches are GET forms (they change nothing
but the trail's record of the query), the triage and the verification POST forms with CSRF.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
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
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from govern.console import (
    PER_PAGE,
    choices,
    in_govern_years,
    page,
    page_caller,
    page_number,
    paged,
    run_page,
    whole_number,
)
from govern.debtors.models import FIELDS as DEBTOR_FIELDS
from govern.errors import BadRequest, GovernError, NotFound
from govern.investigations import questions, runs
from govern.investigations import service as inv
from govern.investigations.limits import audited_time_limit
from govern.investigations.unusual import unusual_access
from govern.web import app_itself, context, db, services

bp = Blueprint("investigations_pages", __name__, url_prefix="/audit")

#: A CSV export holds up to the API's largest page.
EXPORT_ROWS = 1000
#: The API's limits on a leak investigation's list (investigations/views.py).
ID_CHARS = 128
FIELD_NAME = r"^[a-z_]{1,64}$"
SEPARATORS = re.compile(r"[\s,;，；、]+")
#: A leaked table's header cells that name its debtor id column (lower case).
ID_HEADERS = frozenset({"id", "debtor", "debtor_id", "debtor id", "债务人编号", "债务人id", "编号"})
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
OPTIONAL_TIME = [Optional(), in_govern_years]


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


class LeakForm(FlaskForm):
    pasted = TextAreaField(_l("Leaked debtor ids (one a line, or separated by commas)"))
    upload = FileField(_l("Or a file of debtor ids (CSV or TXT)"))
    fields = StringField(
        _l("Leaked fields (separated by commas; empty: any)"), validators=[Length(max=1000)]
    )
    unregistered = BooleanField(_l("Rank ids not in the register too"))
    start = DateTimeLocalField(
        _l("From"), format=LOCAL_INPUT, validators=[Optional(), in_govern_years]
    )
    end = DateTimeLocalField(_l("To"), format=LOCAL_INPUT, validators=OPTIONAL_TIME)


class VerifyForm(FlaskForm):
    pass


class RankForm(FlaskForm):
    pass


#: What a verification can find (audit/verify.py), in words; its details stay as found.
PROBLEM_KINDS = {
    "changed": _l("changed"),
    "missing": _l("missing"),
    "inserted": _l("inserted"),
    "reordered": _l("reordered"),
    "truncated": _l("truncated"),
    "bad signature": _l("bad signature"),
    "checkpoint missing": _l("checkpoint missing"),
    "checkpoint changed": _l("checkpoint changed"),
    "index changed": _l("search columns changed"),
    "unchecked": _l("unchecked"),
}


@bp.context_processor
def debtor_fields() -> dict[str, Any]:
    """The debtor's field names, offered as the field inputs' suggestions; the kinds of
    problem a verification names."""
    return {"debtor_fields": DEBTOR_FIELDS, "problem_kinds": PROBLEM_KINDS}


@bp.app_template_filter("audit_time")
def audit_time(value: str | None) -> str:
    """An RFC 3339 instant in the agency's time, to the second."""
    if not value:
        return ""
    at = datetime.fromisoformat(value).astimezone(services().settings.timezone)
    return at.strftime("%Y-%m-%d %H:%M:%S")


@bp.get("/events")
@page("audit", "query")
def events() -> Any:
    """The trail's events by filter, a page at a time, or the same filter as CSV."""
    form = EventsForm(formdata=request.args)
    if not _asked(form):
        return _events_page(form), _status(form)
    export = request.args.get("format") == "csv"
    try:
        found, after = _events(form, EXPORT_ROWS if export else PER_PAGE)
    except GovernError as error:
        return _events_page(form, error=error), error.status
    if export:
        return _download(questions.events_csv(found), "audit-events.csv")
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
        return render_template("investigations/who_saw.html", form=form), _status(form)
    asked = questions.Sighting(form.debtor.data, form.field.data, form.level.data)
    try:
        with _limited("who_saw", debtor=asked.debtor, field=asked.field, level=asked.level):
            found = questions.who_saw(db(), services().trail, _auditor(), asked, _window(form))
    except GovernError as error:
        return render_template("investigations/who_saw.html", form=form, error=error), error.status
    return render_template("investigations/who_saw.html", form=form, **_paged(found))


@bp.get("/seen")
@page("audit", "query")
def seen() -> Any:
    """What an account revealed: per debtor, the fields, first and last time."""
    form = AccountForm(formdata=request.args)
    if not _asked(form):
        return render_template("investigations/seen.html", form=form), _status(form)
    account = form.account.data
    try:
        with _limited("what_seen", account=account):
            found = questions.what_seen(db(), services().trail, _auditor(), account, _window(form))
    except GovernError as error:
        return render_template("investigations/seen.html", form=form, error=error), error.status
    return render_template("investigations/seen.html", form=form, **_paged(found))


@bp.route("/leaks", methods=["GET", "POST"])
@page("audit", "investigate")
def leaks() -> Any:
    """Leak triage: a pasted or uploaded list of debtor ids opens an investigation that ranks
    who revealed most of them (it opens no debtor's fields); the ranking runs in the
    background, its page shows how far it is."""
    form = LeakForm()
    if not form.validate_on_submit():
        return render_template("investigations/leaks.html", form=form), _status(form)
    try:
        scope = inv.Scope(_leaked(form), _fields(form.fields.data or ""), _window(form))
        if not form.unregistered.data:
            _registered(scope.debtors)
        opened = inv.new_leak_investigation(db(), context(), _auditor(), scope)
    except GovernError as error:
        return render_template("investigations/leaks.html", form=form, error=error), error.status
    runs.start_triage(app_itself(), db(), _auditor(), opened.id)
    flash(gettext("Investigation %(id)s opened.", id=opened.id))
    return redirect(url_for(".investigation", investigation_id=opened.id))


@bp.get("/leaks/<investigation_id>")
@page("audit", "investigate")
def investigation(investigation_id: str) -> Any:
    """An investigation and its newest ranking: how far it is while it runs, then the
    suspects, likely source first, a page at a time or as CSV."""
    found = inv.investigation(db(), investigation_id)
    ranked = runs.latest_triage(db(), services().clock, found.id)
    ranking = ranked.report["ranking"] if ranked and ranked.report else None
    if request.args.get("format") == "csv":
        if ranking is None:
            raise NotFound("ranking.none", "This investigation has no ranking yet.")
        return _download(
            inv.ranking_csv(ranking, services().settings.timezone), f"leak-triage-{found.id}.csv"
        )
    shown = _paged(ranking) if ranking is not None else {}
    return run_page(
        "investigations/investigation.html", ranked, investigation=found, form=RankForm(), **shown
    )


@bp.post("/leaks/<investigation_id>/rank")
@page("audit", "investigate")
def rank(investigation_id: str) -> Any:
    """Rank an investigation again (the trail has grown, or the last ranking failed)."""
    found = inv.investigation(db(), investigation_id)  # its CSRF token checked for every form
    runs.start_triage(app_itself(), db(), _auditor(), found.id)
    return redirect(url_for(".investigation", investigation_id=found.id))


@bp.get("/unusual")
@page("audit", "query")
def unusual() -> Any:
    """Bulk viewing, off-hours views, views outside the viewer's group, spikes before a
    departure, reads through break-glass grants and investigations."""
    form = SearchForm(formdata=request.args)
    if not _asked(form):
        return render_template("investigations/unusual.html", form=form), _status(form)
    try:
        with _limited("unusual"):
            found = unusual_access(db(), context(), _auditor(), _window(form))
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
        return render_template("investigations/chart.html", form=form), _status(form)
    account = form.account.data
    try:
        window = _window(form, questions.CHART_DAYS)
        with _limited("views_per_hour", account=account):
            series = questions.views_per_hour(db(), services().trail, _auditor(), account, window)
    except GovernError as error:
        return render_template("investigations/chart.html", form=form, error=error), error.status
    return render_template("investigations/chart.html", form=form, series=_chart_data(series))


@bp.route("/verify", methods=["GET", "POST"])
@page("audit", "query")
def verify() -> Any:
    """One button: every event checked against the signed checkpoints, and the searchable
    columns against the entries (as `govern audit verify`), in the background; the page that
    follows shows how far it is, then the result in words. Asked for, it shows the newest
    verification: the last result, or the one under way (whoever started it)."""
    form = VerifyForm()
    if not form.validate_on_submit():
        newest = runs.latest_verification(db(), services().clock)
        return run_page("investigations/verify.html", newest, form=form)
    run_id = runs.start_verification(app_itself(), db(), _auditor())
    return redirect(url_for(".verification", verification_id=run_id))


@bp.get("/verify/<string:verification_id>")
@page("audit", "query")
def verification(verification_id: str) -> Response:
    """A verification under way (how many events are checked), then its report."""
    found = runs.verification(db(), services().clock, verification_id)
    return run_page("investigations/verify.html", found, form=VerifyForm())


def _auditor() -> str:
    return page_caller().account_id


def _asked(form: SearchForm) -> bool:
    """Whether the search was submitted and is valid (its problems shown by the form)."""
    return bool(request.args) and form.validate()


def _status(form: FlaskForm) -> int:
    """A form's page: 200 when first shown, 400 when what was sent has problems (the page
    shows them)."""
    return 400 if form.errors else 200


@contextmanager
def _limited(query: str, **filters: Any) -> Iterator[None]:
    """The auditors' time limit, audited as the API's queries are."""
    with audited_time_limit(db(), context(), _auditor(), query, **filters):
        yield


def _window(form: Any, days: int = 90) -> questions.Window:
    zone = services().settings.timezone
    start, end = (
        value.replace(tzinfo=zone) if value else None for value in (form.start.data, form.end.data)
    )
    return questions.Window.of(start, end, services().clock, days)


def _events(form: EventsForm, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    window, text = _window(form), lambda value: value or None
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
    with _limited("events", **asked):
        return questions.find_events(db(), services().trail, _auditor(), wanted)


def _paged(rows: Sequence[Any]) -> dict[str, Any]:
    """The page asked for of a list held whole, as the results' template takes it."""
    shown = paged(rows)
    return {"found": shown.rows, "total": len(rows), "number": shown.number, "more": shown.more}


def _leaked(form: LeakForm) -> list[str]:
    """The debtor ids pasted and uploaded (of a table, its id column only: `_id_cells`), in
    their order, once each.

    Raises BadRequest `leaks.unreadable`, `leaks.empty`,
    `leaks.malformed_ids`, `leaks.too_many`."""
    cells = _id_cells(form.pasted.data or "", pasted=True)
    upload = form.upload.data
    if upload:
        try:
            cells += _id_cells(upload.read().decode("utf-8-sig"), pasted=False)
        except UnicodeDecodeError:
            raise BadRequest(
                "leaks.unreadable",
                gettext("The file is not text in UTF-8; save it as CSV (UTF-8) or TXT."),
            ) from None
    ids = list(dict.fromkeys(i for cell in cells for i in SEPARATORS.split(cell) if i))
    if not ids:
        raise BadRequest("leaks.empty", gettext("Paste or upload at least one debtor id."))
    malformed = [i for i in ids if len(i) > ID_CHARS or not i.isprintable()]
    if malformed:
        raise BadRequest(
            "leaks.malformed_ids",
            gettext(
                "These are not debtor ids: %(ids)s.", ids=", ".join(i[:40] for i in malformed[:5])
            ),
        )
    if len(ids) > inv.MAX_LEAKED:
        raise BadRequest(
            "leaks.too_many",
            gettext("At most %(most)d debtor ids at a time.", most=inv.MAX_LEAKED),
        )
    return ids


def _id_cells(text: str, pasted: bool) -> list[str]:
    """The cells holding debtor ids. A leaked file is often a table (id, name, phone…): its
    other cells must be neither ranked nor kept nor shown. The column a header row names
    (`ID_HEADERS`) is read; else a file whose every row has several cells gives its first
    column; else (a list, one a line or separated by commas) every cell."""
    rows = [[cell.strip().strip('"') for cell in row] for row in csv.reader(io.StringIO(text))]
    rows = [row for row in rows if any(row)]
    header = [cell.lower() for cell in rows[0]] if rows else []
    named = next((n for n, cell in enumerate(header) if cell in ID_HEADERS), None)
    if named is not None:
        return [row[named] for row in rows[1:] if len(row) > named]
    if not pasted and len(rows) > 1 and all(len(row) > 1 for row in rows):
        return [row[0] for row in rows]
    return [cell for row in rows for cell in row]


def _registered(debtors: Sequence[str]) -> None:
    """Raises BadRequest `leaks.unregistered` naming the ids not in the debtor register."""
    unknown = inv.unregistered_debtors(db(), debtors)
    if unknown:
        raise BadRequest(
            "leaks.unregistered",
            ngettext(
                "%(num)d of these ids is not in the debtor register: %(ids)s. Correct it, "
                "or tick “Rank ids not in the register too”.",
                "%(num)d of these ids are not in the debtor register: %(ids)s. Correct them, "
                "or tick “Rank ids not in the register too”.",
                len(unknown),
                ids=", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else ""),
            ),
        )


def _fields(text: str) -> list[str]:
    """The leaked field names. Raises BadRequest `leaks.malformed_fields`."""
    names = [name for name in SEPARATORS.split(text.strip()) if name]
    wrong = [name for name in names if not re.match(FIELD_NAME, name)]
    if wrong:
        raise BadRequest(
            "leaks.malformed_fields",
            gettext("These are not field names: %(names)s.", names=", ".join(wrong[:5])),
        )
    return names


def _download(text: str, name: str) -> Response:
    """A CSV download Excel opens in UTF-8 (the byte order mark), Chinese intact."""
    response = Response("\ufeff" + text, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


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
