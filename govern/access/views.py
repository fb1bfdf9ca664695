"""HTTP: explain a decision, read and change the policy, grant break glass (R-ACS-2, R-ACS-4)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from govern.access import service
from govern.actor import Caller
from govern.bounds import Quantity
from govern.errors import BadRequest
from govern.web import (
    context,
    current_caller,
    db,
    documents_refusals,
    requires,
    services,
)

#: Where start-up leaves what it hands this blueprint (`service.AccessWiring`, govern/app.py).
WIRING = "govern.access"

blp = Blueprint(
    "access",
    __name__,
    url_prefix="/api/v1/access",
    description="The access policy: explain a decision, change the policy, break glass.",
)

LINE = fields.List(
    fields.String(validate=validate.Length(min=1, max=255)), validate=validate.Length(min=4, max=5)
)


class ExplainQuerySchema(Schema):
    account = fields.String(required=True, validate=validate.Length(min=1, max=16))
    debtor = fields.String(required=True, validate=validate.Length(min=1, max=16))
    field = fields.String(required=True, validate=validate.Length(min=1, max=64))


class PolicySchema(Schema):
    version = fields.Integer()
    lines = fields.List(fields.List(fields.String()))


class PolicyChangeSchema(Schema):
    add = fields.List(LINE, load_default=list)
    remove = fields.List(LINE, load_default=list)

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data["add"] and not data["remove"]:
            raise ValidationError("Add or remove at least one line.")


class GrantInSchema(Schema):
    account_id = fields.String(required=True, validate=validate.Length(min=1, max=16))
    debtor_id = fields.String(validate=validate.Length(min=1, max=16))
    project_group = fields.String(validate=validate.Length(min=1, max=128))
    hours = Quantity(required=True, validate=validate.Range(min=0.1))
    justification = fields.String(
        required=True,
        validate=validate.Length(max=2000),
        metadata={"description": "at least GOVERN_JUSTIFICATION_MIN_CHARS (20) besides spaces"},
    )


class GrantSchema(Schema):
    id = fields.String()
    account_id = fields.String()
    debtor_id = fields.String(allow_none=True)
    project_group = fields.String(allow_none=True)
    granted_by = fields.String()
    granted_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()


@blp.route("/explain", methods=["GET"])
@requires("access", "explain")
@blp.arguments(ExplainQuerySchema, location="query")
@blp.response(200, description="{allowed, level, reason, path: [steps]}")
@documents_refusals(blp, 400, 401, 403, 404, 503)
def explain(query: dict[str, str]) -> dict[str, Any]:
    """The whole decision path of (account, debtor, field), for policy admins and auditors."""
    return explain_decision(current_caller(), query["account"], query["debtor"], query["field"])


def explain_decision(caller: Caller, account: str, debtor: str, field: str) -> dict[str, Any]:
    """Explain one decision and record that `caller` asked; the API's and the console's way."""
    group = _wiring().debtor_group(db(), debtor)
    contract = _wiring().entrustment(db(), debtor)
    asked = service.Question(account, debtor, group, field, contract)
    answer = service.explain(db(), context(), ready_policy(), asked)
    db().commit()  # the explanation's read ends here; its event is made durable after
    services().trail.record_now(
        db(), "access.explained", caller.account_id, debtor, account=account, field=field
    )
    return answer


@blp.route("/policy", methods=["GET"])
@requires("access", "policy_view")
@blp.response(200, PolicySchema)
@documents_refusals(blp, 401, 403)
def policy() -> dict[str, Any]:
    version, lines = service.policy_lines(db(), ready_policy())
    return {"version": version, "lines": [list(line) for line in lines]}


@blp.route("/policy", methods=["POST"])
@requires("access", "policy_change")
@blp.arguments(PolicyChangeSchema)
@blp.response(200, PolicySchema)
@documents_refusals(blp, 400, 401, 403, 409)
def change_policy(body: dict[str, Any]) -> dict[str, Any]:
    """Add and remove policy lines at once; every instance applies them at its next request."""
    policy = ready_policy()
    service.change_policy(
        db(),
        context(),
        current_caller().account_id,
        body["add"],
        body["remove"],
    )
    version, lines = service.policy_lines(db(), policy)
    return {"version": version, "lines": [list(line) for line in lines]}


@blp.route("/break-glass", methods=["POST"])
@requires("access", "break_glass")
@blp.arguments(GrantInSchema)
@blp.response(201, GrantSchema)
@documents_refusals(blp, 400, 401, 403, 404, 422)
def break_glass(body: dict[str, Any]) -> Any:
    """Time-boxed access for one account outside its project group, with a written reason."""
    caller = current_caller()
    if ("debtor_id" in body) == ("project_group" in body):
        raise BadRequest("break_glass.scope", "Name either one debtor or one project group.")
    debtor = body.get("debtor_id")
    group = _wiring().debtor_group(db(), debtor) if debtor else body["project_group"]
    asked = service.GrantRequest(
        body["account_id"], debtor, group, body["hours"], body["justification"]
    )
    return service.grant_break_glass(db(), context(), caller.actor, asked)


def _wiring() -> service.AccessWiring:
    wiring: service.AccessWiring = current_app.extensions[WIRING]
    return wiring


def ready_policy() -> service.PolicyCache:
    """The policy cache, its store holding a policy (`service.ready_policy`)."""
    return service.ready_policy(db(), services().clock, _wiring().policy)
