"""Flask glue every blueprint shares: the request's database session, the caller, the errors.

Handlers stay thin: they parse, call one service function and render. Permissions are
declared on the route with `@requires(resource, action)` and decided here, in one place.
It imports no capability: what it asks of one (who a session token belongs to, whether a
role may take an action) start-up hands in (`Services`, govern/app.py), so every blueprint
may import it whatever its layer.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from http import HTTPStatus
from typing import Any

from apispec import BasePlugin
from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_smorest import Api, Blueprint
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from govern.actor import Caller
from govern.auditing.trail import (
    AuditNotWritten,
    RequestContext,
    Trail,
    new_request_id,
    request_context,
)
from govern.clock import Clock
from govern.config import Settings
from govern.context import Context, Sealer
from govern.db import unavailable, unavailable_kind
from govern.directory.source import Directory
from govern.errors import (
    Forbidden,
    GovernError,
    NotAuthenticated,
    ServiceUnavailable,
    TooManyRequests,
)
from govern.messages import API_LANGUAGE, api_language, api_message, message_in
from govern.policies import RolePolicy

log = logging.getLogger(__name__)


#: The caller behind a session token on a channel (api, page), checked afresh
#: (`sessions.service.authenticate`).
Authenticate = Callable[[Session, Context, str, str], Caller]
#: Whether any of these roles may take `action` on `resource` (`policies/actions.toml`).
Allows = Callable[[frozenset[str], str, str], bool]


@dataclass(frozen=True)
class Services:
    """What start-up made, once per process (govern/app.py); what a capability above this
    module does for it is handed in as a callable (`authenticate`, `allows`)."""

    settings: Settings
    clock: Clock
    directory: Directory
    sessions: sessionmaker[Session]
    engine: Engine
    trail: Trail
    vault: Sealer
    roles: RolePolicy  # policies/roles.toml, read and checked at start-up
    authenticate: Authenticate
    allows: Allows
    #: The key the telephone system signs its call records with (GOVERN_TELEPHONY_KEY_FILE);
    #: None: unset, and no report is taken.
    telephony_key: bytes | None = None

    def context(self) -> Context:
        """A new context (govern/context.py) from what start-up made."""
        return Context(self.clock, self.settings, self.trail, self.vault, self.roles)


def attachment(body: bytes | str, mimetype: str, name: str) -> Response:
    """A download named `name` (`Content-Disposition: attachment`)."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def download(text: str, name: str) -> Response:
    """A CSV download Excel opens in UTF-8 (the byte order mark), Chinese intact: the API's
    and the console's alike."""
    response = attachment("\ufeff" + text, "text/csv", name)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return response


def services() -> Services:
    return current_app.extensions["govern"]


def app_itself() -> Flask:
    """The application object itself, not the request's proxy to it: for work that outlives
    the request (a run's thread, the scheduler's jobs)."""
    return current_app._get_current_object()  # type: ignore[attr-defined]


def context() -> Context:
    """The request's (or CLI command's) context, built once from what start-up made."""
    if "context" not in g:
        g.context = services().context()
    return g.context


def db() -> Session:
    """The request's (or CLI command's) database session, closed when the context ends."""
    if "db" not in g:
        g.db = services().sessions()
    return g.db


def close_db(_error: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def client_address() -> str:
    """The client's IP address, as the socket or the trusted proxies say; anything that is not
    an address (a proxy passing on what a client wrote) is one bucket, "invalid", so it can
    neither reach the trail nor spread failed sign-ins over made-up addresses."""
    address = request.remote_addr
    if not address:
        return "unknown"
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "invalid"


REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def register_request_context(app: Flask) -> None:
    """Give every request an id (the caller's X-Request-Id if sane) for its audit events."""

    @app.before_request
    def open_context() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.match(given) else new_request_id()
        g.context_token = request_context.set(RequestContext(g.request_id, client_address()))

    @app.after_request
    def name_request(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def close_context(_error: BaseException | None = None) -> None:
        token = g.pop("context_token", None)
        if token is not None:
            request_context.reset(token)


def current_caller() -> Caller:
    return g.caller


@dataclass(frozen=True)
class Permission:
    """What a route declares with `@requires(resource, action)` (a page with `@page`): the
    role × action table decides who may take it. Kept on the view as `permission`, so that
    whoever reads the app's routes (the console's menu, the security matrix's test) reads what
    each one asks."""

    resource: str
    action: str


def requires(resource: str, action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Authenticate the Bearer token, then allow the view only to roles the table names."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            s = services()
            g.caller = s.authenticate(db(), context(), bearer_token(), "api")
            if not s.allows(g.caller.staff.roles, resource, action):
                raise Forbidden("role.action_denied", f"Your role may not {action} {resource}s.")
            return view(*args, **kwargs)

        guarded.permission = Permission(resource, action)  # type: ignore[attr-defined]
        return guarded

    return decorate


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(
            "session.missing", "Send your session token as 'Authorization: Bearer'."
        )
    return token.strip()


def error_body(code: str, message: str, status: int, **extra: Any) -> Response:
    """Govern's one error shape; `message` in the language the client asks for (English
    unless Chinese is asked first: govern/messages.py `api_message`), the code unchanged."""
    response = jsonify({"error": {"code": code, "message": api_message(code, message), **extra}})
    response.status_code = status
    response.headers["Content-Language"] = api_language()
    response.vary.update(("Accept-Language", "Cookie"))
    return response


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable, e.g. login.failed"})
    message = fields.String(required=True)
    problems = fields.Dict(data_key="fields", metadata={"description": "422: field → problems"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


def documents_refusals(blp: Blueprint, *statuses: int) -> Callable[[Callable[..., Any]], Any]:
    """Document the error responses a route may give, each in Govern's error shape."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        documented = view
        for status in statuses:
            documented = blp.alt_response(status, response=HTTPStatus(status).name)(documented)
        # alt_response only documents, but wraps the view once per status: keep its
        # documentation and call the view itself (fewer calls on every request)
        view._apidoc = documented._apidoc  # type: ignore[attr-defined]
        return view

    return decorate


class EntranceRefusals(BasePlugin):
    """Every operation of the OpenAPI document lists the refusals any request may meet before
    its view runs, besides those its route documents (`documents_refusals`): Govern's entrance
    (govern/intake.py: 400 for text no database holds, JSON too deep, a number out of range or
    a key given twice, 415 for a body that is not JSON, 413 for one over the size limit), the
    session every staff route asks for (401), and the audit trail that, unwritable, refuses
    rather than serve unrecorded (503). With these listed, no catch-all "default" answer is
    needed: every status Govern gives is in the document (tests/test_fuzz.py holds it to that)."""

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            statuses = [400, 503]
            if operation.get("security") != []:  # signing in needs no session: it opens one
                statuses.append(401)
            if "requestBody" in operation:
                statuses += [413, 415, 422]
            for status in statuses:
                responses.setdefault(str(status), HTTPStatus(status).name)


class GovernApi(Api):
    """flask-smorest, with its errors in Govern's one shape, and every status a route gives
    listed on it (`EntranceRefusals`) instead of a catch-all "default"."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return _http_answer(error)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(GovernError, _governed_error)
    app.register_error_handler(HTTPException, _http_answer)
    app.register_error_handler(Exception, _unexpected_error)


def _governed_error(error: GovernError) -> Response | tuple[str, int]:
    if error.status >= 500:
        log.error("%s: %s", error.code, error.message)
    return _refused(error)


def _refused(error: GovernError) -> Response | tuple[str, int]:
    """The refusal's answer: the error page for a page, else Govern's error body."""
    g.refusal_code = error.code  # a refused sign-in's event names it
    if error.status in (403, 409) and "caller" in g:
        try:
            _record_denial(error)
        except GovernError as unwritten:  # no denial goes unrecorded: refuse harder
            error = unwritten
    if not _wants_json():
        return render_template("error.html", error=error), error.status
    response = error_body(error.code, error.message, error.status)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, NotAuthenticated):  # how to authenticate: every 401 says it
        response.headers["WWW-Authenticate"] = error.challenge
    return response


def _record_denial(error: GovernError) -> None:
    """A request refused outright (403), or refused because what it asks contradicts what
    stands (409: a revoked account, an open HR case), is one denial event (R-AUD-1).
    Raises AuditNotWritten."""
    db().rollback()  # whatever the refused request began is not kept
    services().trail.record_now(
        db(),
        "access.denied",
        g.caller.account_id,
        error.details.get("object"),  # type: ignore[arg-type]
        code=error.code,
        endpoint=request.endpoint or "",
    )


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    fields = (getattr(error, "data", None) or {}).get("messages")
    if status == 422:
        return error_body(
            "request.invalid", "The request's fields are not valid.", 422, fields=_flatten(fields)
        )
    if status == 400 and fields:
        return error_body("request.malformed", "The request body is not valid JSON.", 400)
    code = f"http.{status}"
    message = error.description or error.name
    if message == type(error).description:  # Werkzeug's general words: Govern's say more
        message = message_in(API_LANGUAGE, code) or message  # (a 413 names the limit)
    return error_body(code, message, status)


def _unexpected_error(error: Exception) -> Response:
    if unavailable(error):
        return _database_unavailable(error)
    log.exception("unexpected error")
    message = "Something went wrong on our side; it has been logged."
    if _wants_page():
        return _error_page(GovernError("internal", message), 500)
    return error_body("internal", message, 500)


def _database_unavailable(error: Exception) -> Response:
    """503 `database.unavailable`: the database is down, unreachable or full. What the
    request began is not kept (its transaction never committed), and nothing is revealed:
    a read answers only after its audit event is durable. One log line, no traceback: an
    outage must not bury the log under one per request."""
    log.error("database.unavailable: %s", unavailable_kind(error))
    refusal = ServiceUnavailable(
        "database.unavailable",
        "The database cannot serve now; nothing was done. Try again shortly.",
    )
    return current_app.make_response(_refused(refusal))


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _wants_page() -> bool:
    """A browser at a page's address (it asks for HTML first): it gets the error page in
    words, not JSON. Clients that ask for nothing in particular keep the JSON shape."""
    accepted = request.accept_mimetypes
    return not _wants_json() and accepted.best_match(["application/json", "text/html"]) == (
        "text/html"
    )


def _error_page(error: GovernError, status: int) -> Response:
    return current_app.make_response((render_template("error.html", error=error), status))


def _flatten(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {...}}); clients want field → problems."""
    if not isinstance(messages, dict):
        return {}
    flat: dict[str, Any] = {}
    for location in messages.values():
        if isinstance(location, dict):
            flat.update(location)
    return flat


def _http_answer(error: HTTPException) -> Response:
    """`_http_error`'s body (a browser at a page: the error page) with the exception's own
    headers (Allow on 405, Retry-After, ...)."""
    if _wants_page():
        code = "csrf.invalid" if isinstance(error, CSRFError) else f"http.{error.code or 500}"
        refusal = GovernError(code, error.description or error.name)
        response = _error_page(refusal, error.code or 500)
    else:
        response = _http_error(error)
    own = Headers(error.get_headers())
    own.remove("Content-Type")
    response.headers.update(own)
    return response


#: The sign-in routes and their channel: every refusal on them is audited (R-ACC-5).
SIGN_IN_ENDPOINTS = {"sessions.sign_in": "api", "pages.login": "page"}


def sign_in_audits_itself() -> None:
    """This request's sign-in reached `sessions.service.log_in`, which audits its own
    refusals: `_audit_refused_sign_in` records none."""
    g.sign_in_audited = True


def register_sign_in_audit(app: Flask) -> None:
    """Audit refused sign-ins that never reached `log_in`: refused input (400, 415, 422, a
    missing CSRF token) or an error before it."""
    app.after_request(_audit_refused_sign_in)


def _audit_refused_sign_in(response: Response) -> Response:
    channel = SIGN_IN_ENDPOINTS.get(request.endpoint or "")
    if channel is None or response.status_code < 400 or g.get("sign_in_audited"):
        return response
    g.sign_in_audited = True
    body = response.get_json(silent=True) if response.is_json else None
    code = body["error"]["code"] if body and "error" in body else None
    code = code or g.get("refusal_code") or f"http.{response.status_code}"
    try:
        db().rollback()  # whatever the refused request began is not kept
        services().trail.record_now(db(), "session.refused", None, None, code=code, channel=channel)
    except GovernError as unwritten:  # no refusal goes unrecorded: refuse harder
        return current_app.make_response(_governed_error(unwritten))
    except Exception:
        log.exception("a refused sign-in could not be recorded")
        unwritten = AuditNotWritten(
            "audit.unavailable", "The audit trail cannot be written; nothing was done."
        )
        return current_app.make_response(_governed_error(unwritten))
    return response
