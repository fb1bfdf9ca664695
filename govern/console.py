"""The browser console's glue, as web.py is the API's: who is at the page, which language it
speaks, what its menu offers.

Pages authenticate with the session cookie only (never a Bearer token), on the `page` channel,
and every form carries a CSRF token. A page is declared with `@page(resource, action)`: the
same role × action table (`policies/actions.toml`) decides as for the API, and a page calls
the same service functions as its API route, so it never decides anything the API does not.

Chinese (simplified) is the console's language unless the person chose English with the
toggle (a cookie) or their browser asks for English first (`Accept-Language`). Texts are
written in English in the code and templates (`_("...")`) and translated in
`govern/translations/zh/LC_MESSAGES/messages.po` (`./scripts/translations`).

Like web.py, it imports no capability: each capability's `pages.py` is a blueprint of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel.support import Translations
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import Babel, get_locale, gettext, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import NumberRange

from govern.actor import Caller
from govern.bounds import EARLIEST, LARGEST, LATEST
from govern.errors import Forbidden, GovernError, NotAuthenticated
from govern.messages import LANGUAGE_COOKIE, LANGUAGES, asked_language, message_for
from govern.web import Permission, context, db, services

#: The page session's cookie (Secure, HttpOnly, SameSite=Lax).
SESSION_COOKIE = "govern_session"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

bp = Blueprint("console", __name__)


@dataclass(frozen=True)
class MenuEntry:
    """A menu link to a page, shown to those who may open it (`may_open`)."""

    endpoint: str
    label: Any  # a lazy translation


#: The console's menu, in order, every capability's pages in one place (by endpoint name: this
#: module imports none of them). Who sees an entry is decided by its page's own `@page`.
MENU: list[MenuEntry] = [
    # one's own
    MenuEntry("pages.home", _l("My account")),
    MenuEntry("training_pages.me", _l("My training")),
    MenuEntry("debtors_pages.caseload", _l("My caseload")),
    # collection (supervisors, the complaint desk, department heads, IT)
    MenuEntry("complaint_pages.cases", _l("Complaint cases")),
    MenuEntry("complaint_pages.unnoted", _l("Calls without a note")),
    # accounts (heads, the general manager, HR, IT, auditors)
    MenuEntry("accounts_pages.index", _l("Accounts")),
    MenuEntry("accounts_pages.awaiting", _l("Staff without an account")),
    # access reviews (heads and the general manager review; the GM and policy admins start)
    MenuEntry("reviews_pages.index", _l("Access review")),
    MenuEntry("reviews_pages.campaigns", _l("Access review campaigns")),
    # training
    MenuEntry("training_pages.calendar", _l("Training calendar")),
    MenuEntry("training_pages.plan_list", _l("Training plans")),
    MenuEntry("training_pages.leave", _l("Leave to approve")),
    MenuEntry("training_pages.attendance_report", _l("Attendance")),
    MenuEntry("training_pages.feedback_list", _l("Feedback forms")),
    MenuEntry("training_pages.hr", _l("HR cases")),
    # departures (IT)
    MenuEntry("deprovision_pages.index", _l("Departures")),
    MenuEntry("deprovision_pages.sweep", _l("Sweep and reconciliation")),
    # the audit trail (auditors)
    MenuEntry("investigations_pages.events", _l("Audit trail")),
    MenuEntry("investigations_pages.who_saw", _l("Who saw a debtor")),
    MenuEntry("investigations_pages.seen", _l("What a person saw")),
    MenuEntry("investigations_pages.leaks", _l("Leak triage")),
    MenuEntry("investigations_pages.unusual", _l("Unusual access")),
    MenuEntry("investigations_pages.chart", _l("Views per hour")),
    MenuEntry("investigations_pages.verify", _l("Verify the trail")),
    # the access policy
    MenuEntry("access_pages.policy", _l("Access policy")),
    MenuEntry("access_pages.explain", _l("Explain a decision")),
    MenuEntry("duties_pages.index", _l("Separation of duties")),
    # creditors (甲方): contracts, agreed purposes, deletion at contract end
    MenuEntry("creditors_pages.index", _l("Creditors")),
]


def choices(labels: Mapping[str, Any]) -> list[SelectChoice]:
    """A select field's choices: value → label (a lazy translation), in order."""
    return [SelectChoice(value, label) for value, label in labels.items()]


def at_least_one(_form: FlaskForm, field: SelectMultipleField) -> None:
    """A multiple choice's validator: at least one ticked (`DataRequired` would mark each
    checkbox required, and the browser would ask for them all)."""
    if not field.data:
        raise ValidationError(gettext("Choose at least one."))


def in_govern_years(_form: FlaskForm, field: Field) -> None:
    """A date or time field's validator: within Govern's years (govern/bounds.py), as the
    API's schemas are; year 1 or 9999 is a typing error the arithmetic after would fail on."""
    day = field.data.date() if isinstance(field.data, datetime) else field.data
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ValidationError(
            gettext(
                "Choose a day from %(earliest)s to %(latest)s.", earliest=EARLIEST, latest=LATEST
            )
        )


def whole_number(least: int = 0) -> NumberRange:
    """A number field's validator: from `least` to what the database holds (as the API)."""
    return NumberRange(min=least, max=LARGEST)


#: WTForms' messages that its Chinese catalogue lacks and a Govern form can produce, marked for
#: ./scripts/translations; `_form_messages` words them from our catalogue.
WTFORMS_GAPS = (
    lazy_ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    ),
)


def _form_messages() -> None:
    """WTForms' own messages (a field's errors) in the page's language: WTForms' catalogue,
    then ours for what it lacks. Flask-WTF reads them from `request.wtforms_translations`."""
    if request.path.startswith("/api/"):
        return
    request.wtforms_translations = _form_catalogue(language())  # type: ignore[attr-defined]


@cache
def _form_catalogue(code: str) -> Translations:
    """WTForms' catalogue of a language, ours behind it; read once a process, not a request."""
    theirs = Translations.load(messages_path(), [code], domain="wtforms")
    theirs.add_fallback(Translations.load(str(TRANSLATIONS), [code]))
    return theirs


def company_time(instant: datetime | None, shape: str = "%Y-%m-%d %H:%M") -> str:
    """An instant in the company's time zone, to the minute by default ("" for none): every
    page shows times so (the template filter `company_time`, the global `local_time`)."""
    if instant is None:
        return ""
    return instant.astimezone(services().settings.timezone).strftime(shape)


def page_number() -> int:
    """The list page asked for (`?page=N`, from 1); the first for anything else."""
    number = request.args.get("page", "1")
    return int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1


def asked_over(defaults: Mapping[str, str]) -> dict[str, str]:
    """The query's fields (`?from=&to=`...) over their defaults: a field sent empty (a date
    the form left blank) takes its default as one not sent does; the pager's `page` is left
    out."""
    given = {key: value for key, value in request.args.items() if value and key != "page"}
    return {**defaults, **given}


#: The rows a list shows a page.
PER_PAGE = 50


@dataclass(frozen=True)
class Paged:
    """One page of a list held whole: its rows, its number, whether more follow."""

    rows: Sequence[Any]
    number: int
    more: bool


def paged(items: Sequence[Any]) -> Paged:
    """The page asked for (`?page=N`) of `items`."""
    number = page_number()
    rows = items[(number - 1) * PER_PAGE : number * PER_PAGE]
    return Paged(rows, number, len(items) > number * PER_PAGE)


#: How often the page of a run under way asks again (`govern/runs.py`).
RUN_REFRESH_SECONDS = 2


def run_page(template: str, run: Any, **context: Any) -> Response:
    """The page of a long action kept as a run (None: not started yet): how far it is while
    it runs (the browser asks again every few seconds, by the `Refresh` header), then its
    report."""
    html = render_template(template, run=run, refresh=RUN_REFRESH_SECONDS, **context)
    response = Response(html)
    if run is not None and run.running:
        response.headers["Refresh"] = str(RUN_REFRESH_SECONDS)
    return response


def choose_language() -> str:
    """The page's language: the toggle's choice (cookie), else the first of ours the browser
    asks for, else Chinese (govern/messages.py `asked_language`)."""
    return asked_language(LANGUAGES[0])


def language() -> str:
    """The language of this request's answer: "zh" or "en"."""
    return str(get_locale() or LANGUAGES[0]).split("_")[0]


def page_caller() -> Caller:
    """The caller behind the page cookie (never a Bearer token), checked afresh. Raises
    NotAuthenticated, or Forbidden when the account may no longer be used (revoked,
    suspended, departed)."""
    if "caller" not in g:
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token:
            raise NotAuthenticated("session.missing", "Sign in first.")
        g.caller = services().authenticate(db(), context(), token, "page")
    return g.caller


def page(resource: str, action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for the roles the table allows `action` on `resource`. Someone not signed in,
    or whose account may no longer be used, is sent to the sign-in page with the reason;
    a role the table refuses gets the error page (403)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                caller = page_caller()
            except (NotAuthenticated, Forbidden) as refused:
                return to_sign_in(refused)
            if not services().allows(caller.staff.roles, resource, action):
                raise Forbidden("role.action_denied", f"Your role may not {action} {resource}s.")
            return view(*args, **kwargs)

        guarded.permission = Permission(resource, action)  # type: ignore[attr-defined]
        return guarded

    return decorate


def to_sign_in(refused: GovernError) -> Response:
    """The sign-in page, naming why (its code: the page words it), and the cookie forgotten
    when the session is over."""
    reason = {} if refused.code == "session.missing" else {"reason": refused.code}
    response = redirect(url_for("pages.login", **reason))
    response.delete_cookie(SESSION_COOKIE)
    return response  # type: ignore[return-value]


def role_names(roles: Iterable[str]) -> str:
    """Roles by their names in the page's language (policies/roles.toml `[labels]`), listed
    as the language lists."""
    names = sorted(services().roles.label(role, language()) for role in roles)
    return ("、" if language() == "zh" else ", ").join(names)


def permission_of(endpoint: str) -> Permission:
    """What the page at `endpoint` declared with `@page`. Raises LookupError (KeyError) for
    an endpoint that is not a page so declared."""
    view = current_app.view_functions[endpoint]
    declared = getattr(view, "permission", None)
    if not isinstance(declared, Permission):
        raise LookupError(f"{endpoint} is not a page declared with @page")
    return declared


def may_open(roles: frozenset[str], endpoint: str) -> bool:
    """Whether `roles` may open the page at `endpoint`, as its `@page` decides."""
    needed = permission_of(endpoint)
    return services().allows(roles, needed.resource, needed.action)


def menu(caller: Caller) -> list[MenuEntry]:
    """The menu entries of the pages the caller's roles may open."""
    return [entry for entry in MENU if may_open(caller.staff.roles, entry.endpoint)]


@bp.get("/language/<code>")
def choose(code: str) -> Response:
    """The toggle: remember the language for a year and go back where the person was."""
    back = _same_site(request.referrer) or url_for("pages.home")
    response = redirect(back)
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            secure=services().settings.cookie_secure,
            samesite="Lax",
        )
    return response  # type: ignore[return-value]


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The icon (static/favicon.svg, which the pages link) where browsers ask for it unlinked."""
    return current_app.send_static_file("favicon.svg")


@bp.get("/api-docs")
def api_docs() -> str:
    """The API explorer (Swagger UI, vendored) on the OpenAPI document, which is public too:
    trying a route takes a session token (Authorize → Bearer)."""
    return render_template("api_docs.html")


def _same_site(address: str | None) -> str | None:
    """The path of `address` when it is this site's, else None (no open redirect)."""
    if not address:
        return None
    parts = urlsplit(address)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return path + (f"?{parts.query}" if parts.query else "")


def register_console(app: Flask) -> None:
    """Languages, the menu for templates, the toggle's route."""
    Babel(
        app,
        locale_selector=choose_language,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.jinja_env.globals.update(
        menu=menu,
        language=language,
        languages=LANGUAGES,
        message_for=message_for,
    )
    app.jinja_env.filters["role_names"] = role_names
    app.jinja_env.filters["company_time"] = company_time
    app.jinja_env.globals["local_time"] = company_time
    app.before_request(_form_messages)
    app.register_blueprint(bp)
