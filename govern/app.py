"""The application factory. Nothing connects or starts until `create_app` is called."""

from __future__ import annotations

import copy

from flask import Blueprint, Flask
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from govern.access.actions import role_actions
from govern.access.policy import access_policy
from govern.access.rules import COLLECTOR
from govern.access.service import AccessWiring, PolicyCache
from govern.accounts.cli import CONSOLE
from govern.accounts.rules import DEPARTMENT_HEAD, GENERAL_MANAGER
from govern.accounts.suspensions import check_suspension_kinds
from govern.auditing.trail import open_trail
from govern.clock import Clock, SystemClock
from govern.config import Settings, load_settings
from govern.console import LANGUAGES, register_console
from govern.contact.parties import rekey_numbers
from govern.contact.profiles import contact_profiles
from govern.contact.telephony import load_key as load_telephony_key
from govern.creditors.service import entrustments_in
from govern.db import make_engine, make_session_factory
from govern.debtors.service import DebtorWiring, debtor_entrustment, debtor_group
from govern.debtors.vault import load_vault
from govern.directory import duties
from govern.directory.choose import open_directory
from govern.directory.duties import duty_rules, max_exception_days
from govern.directory.person import DEFAULT_ROLE
from govern.directory.source import Directory
from govern.headers import register_security_headers
from govern.intake import register_intake
from govern.investigations.categories import categories as leak_categories
from govern.investigations.service import opener
from govern.notes.agent_statement import agent_statement
from govern.notes.language import language_check
from govern.notes.rules import IT, SUPERVISOR
from govern.notes.service import stop_column, stopped_debtors
from govern.operations.logs import configure_logging
from govern.operations.views import register_operations
from govern.policies import check_role_names, role_policy
from govern.sessions.service import authenticate
from govern.training.catalogue import check_policies as check_training_policies
from govern.training.overview import DebtorFields
from govern.web import (
    EntranceRefusals,
    GovernApi,
    Services,
    close_db,
    register_error_handlers,
    register_request_context,
    register_sign_in_audit,
)

#: Roles the code itself names, by module: policies/roles.toml must define them too.
CODE_ROLES = {
    "govern.accounts.rules": (DEPARTMENT_HEAD, GENERAL_MANAGER),
    "govern.access.rules": (COLLECTOR,),
    "govern.directory.person": (DEFAULT_ROLE,),
    "govern.directory.duties": (duties.COLLECTOR,),
    "govern.accounts.cli (the console)": CONSOLE.roles,
    "govern.notes.rules": (SUPERVISOR, IT),
}


#: Every route takes a staff session (Bearer), but the one the telephone system reports calls
#: to, which takes its HMAC signature instead (govern/contact/telephony.py).
OPENAPI_SECURITY = {
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "telephony": {"type": "apiKey", "in": "header", "name": "X-Govern-Signature"},
        }
    },
    "security": [{"bearer": []}],
}


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    directory: Directory | None = None,
) -> Flask:
    """Build the service. Raises ConfigError when a setting security needs is missing."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)  # before start-up's warnings
    app = Flask(__name__)
    _configure(app, settings)
    services = _services(settings, clock or SystemClock(), directory)
    app.extensions["govern"] = services
    _hand_in(app, services)
    if settings.proxy_hops:
        # Behind N trusted proxies the client is in X-Forwarded-For; login limits count it.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    # First, so its hooks run last: an answer another hook replaces still carries the headers.
    register_security_headers(app)
    _register_http(app)
    register_operations(app)  # /healthz, /readyz (govern/operations/), the access log
    app.teardown_appcontext(close_db)
    return app


def _configure(app: Flask, settings: Settings) -> None:
    """Flask's own settings: the session cookie, forms, request sizes, the OpenAPI document."""
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese names stay readable
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # A page's CSRF token lasts as long as its session: sign-out works from a page left open.
        WTF_CSRF_TIME_LIMIT=round(settings.session_hours * 3600),
        # A leaked file as it was found (50,000 rows of id, name, phone, address: ~4 MB) is
        # uploaded whole, its id column read; a pasted list is one field, kept in memory.
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        API_TITLE="Govern",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )


def _services(settings: Settings, clock: Clock, directory: Directory | None) -> Services:
    _load_policies(settings, clock)
    engine = make_engine(settings.database_url)
    trail = open_trail(
        engine,
        clock,
        settings.audit_key_file,
        settings.checkpoint_dir,
        settings.checkpoint_every,
        settings.checkpoint_seconds,
        settings.audit_gather_ms / 1000,
    )
    return Services(
        settings=settings,
        clock=clock,
        directory=directory or open_directory(settings),
        sessions=make_session_factory(engine),
        engine=engine,
        trail=trail,
        vault=load_vault(settings.data_keys_file),
        roles=role_policy(settings.policies_dir),
        authenticate=authenticate,
        allows=role_actions(settings.policies_dir).allows,
        telephony_key=(
            load_telephony_key(settings.telephony_key_file) if settings.telephony_key_file else None
        ),
    )


def _hand_in(app: Flask, services: Services) -> None:
    """What the blueprints of access and debtors need of capabilities web.py may not import:
    one policy cache for both, a debtor's project group (debtors, for access's explain and
    break glass), an investigation's opening (investigations), the complaint stops (notes) and
    the creditors' contracts (creditors), for the debtor reads; the debtor fields' required
    certifications, for the training pages."""
    from govern.access.views import WIRING as ACCESS
    from govern.debtors.views import WIRING as DEBTORS
    from govern.training.pages import WIRING as TRAINING

    policy = PolicyCache(services.settings.policies_dir)
    entrustments = entrustments_in(services.settings.timezone)
    app.extensions[ACCESS] = AccessWiring(policy, debtor_group, debtor_entrustment(entrustments))
    app.extensions[DEBTORS] = DebtorWiring(
        policy,
        opener(services.trail, services.clock),
        stopped_debtors,
        entrustments,
        rekeyed=rekey_numbers,
        stop=stop_column,
    )
    fields = access_policy(services.settings.policies_dir).fields
    app.extensions[TRAINING] = DebtorFields(
        {name: {code: rule.label_in(code) for code in LANGUAGES} for name, rule in fields.items()},
        {name: rule.requires for name, rule in fields.items()},
    )


def _load_policies(settings: Settings, clock: Clock) -> None:
    """Read every policy file once, now, and hold every role name they use to roles.toml, so
    a mistake stops the service at start-up (ConfigError naming the file)."""
    folder = settings.policies_dir
    check_training_policies(folder, clock.now().astimezone(settings.timezone).date())
    check_suspension_kinds(folder)
    access_policy(folder)
    leak_categories(folder)
    role_actions(folder)
    language_check(folder)
    agent_statement(folder)
    duty_rules(folder)
    max_exception_days(folder)
    check_role_names(folder, CODE_ROLES)
    contact_profiles(folder)


def _register_http(app: Flask) -> None:
    """The API's routes, the console's pages, and the hooks every request passes."""
    csrf = CSRFProtect(app)
    spec = {**copy.deepcopy(OPENAPI_SECURITY), "extra_plugins": [EntranceRefusals()]}
    api = GovernApi(app, spec_kwargs=spec)  # each app its own
    for blueprint in _api_blueprints():
        csrf.exempt(blueprint)  # the API takes Bearer tokens only, never cookies
        api.register_blueprint(blueprint)
    for blueprint in _page_blueprints():
        app.register_blueprint(blueprint)
    register_console(app)
    register_request_context(app)
    register_intake(app)  # after the request id is set, so that refusals carry it
    register_error_handlers(app)
    register_sign_in_audit(app)


def _api_blueprints() -> list[Blueprint]:
    """Every capability's API routes, in the order the OpenAPI document lists them."""
    from govern.access import views as access
    from govern.accounts import views as accounts
    from govern.contact import views as contact
    from govern.creditors import views as creditors
    from govern.debtors import views as debtors
    from govern.deprovision import views as departures
    from govern.directory import views as duties
    from govern.investigations import views as audit
    from govern.notes import script_views as scripts
    from govern.notes import views as notes
    from govern.reviews import views as reviews
    from govern.sessions import views as sessions
    from govern.training import views as training

    return [
        sessions.blp,
        accounts.blp,
        audit.blp,
        training.blp,
        debtors.blp,
        access.blp,
        departures.blp,
        notes.notes_blp,
        notes.complaints_blp,
        notes.calls_blp,
        contact.blp,
        scripts.blp,
        duties.blp,
        reviews.blp,
        creditors.blp,
    ]


def _page_blueprints() -> list[Blueprint]:
    """Every capability's console pages (sign-in and the home page first)."""
    from govern.access import pages as access
    from govern.accounts import pages as accounts
    from govern.creditors import pages as creditors
    from govern.debtors import pages as debtors
    from govern.deprovision import pages as departures
    from govern.directory import pages as duties
    from govern.investigations import pages as audit
    from govern.notes import pages as notes
    from govern.reviews import pages as reviews
    from govern.sessions import pages as sessions
    from govern.training import pages as training

    return [
        sessions.bp,
        accounts.bp,
        debtors.bp,
        notes.bp,
        notes.complaint_bp,
        audit.bp,
        training.bp,
        departures.bp,
        access.bp,
        duties.bp,
        reviews.bp,
        creditors.bp,
    ]
