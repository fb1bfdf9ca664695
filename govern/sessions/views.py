"""HTTP: sign in, see who you are, sign out (`/api/v1/sessions`)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from govern.actor import Caller
from govern.sessions.service import Attempt, NewSession, log_in, log_out
from govern.web import (
    client_address,
    context,
    current_caller,
    db,
    documents_refusals,
    requires,
    services,
    sign_in_audits_itself,
)

blp = Blueprint(
    "sessions",
    __name__,
    url_prefix="/api/v1/sessions",
    description="Sign in with directory credentials and sign out.",
)


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=128))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))


class CallerSchema(Schema):
    account_id = fields.String()
    name = fields.String()
    employee_number = fields.String()
    department = fields.String()
    roles = fields.List(fields.String())


class SessionSchema(CallerSchema):
    token = fields.String(metadata={"description": "Send as 'Authorization: Bearer TOKEN'."})
    expires_at = fields.AwareDateTime()


@blp.route("", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(201, SessionSchema)
@blp.doc(security=[])
@documents_refusals(blp, 401, 403, 429, 503)
def sign_in(body: dict[str, str]) -> dict[str, Any]:
    """Open a session; wrong username and wrong password get the same answer."""
    new = open_session(body["username"], body["password"], "api")
    return {**describe_caller(new.caller), "token": new.token, "expires_at": new.expires_at}


@blp.route("/current", methods=["GET"])
@requires("session", "view")
@blp.response(200, CallerSchema)
@documents_refusals(blp, 401, 403)
def who_am_i() -> dict[str, Any]:
    return describe_caller(current_caller())


@blp.route("/current", methods=["DELETE"])
@requires("session", "end")
@blp.response(204)
@documents_refusals(blp, 401, 403, 503)
def sign_out() -> None:
    """End this session. While the audit trail cannot be written: 503 `audit.unavailable`,
    and the session stays open (the message says so)."""
    log_out(db(), services().trail, current_caller())


def open_session(username: str, password: str, channel: str) -> NewSession:
    """Sign in from this request, on the API or a page (`log_in` audits its own refusals)."""
    sign_in_audits_itself()
    attempt = Attempt(username, password, client_address(), channel)
    return log_in(db(), services().directory, context(), attempt)


def describe_caller(caller: Caller) -> dict[str, Any]:
    return {
        "account_id": caller.account_id,
        "name": caller.name,
        "employee_number": caller.staff.employee_number,
        "department": caller.staff.department,
        "roles": sorted(caller.staff.roles),
    }
