"""HTTP: issue and look up accounts (`/api/v1/accounts`)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from govern.accounts.service import (
    AccountView,
    impose_suspension,
    issue_account,
    list_accounts,
    people_awaiting_account,
    reactivate_account,
    suspension_of,
    view_account,
)
from govern.training.certifications import training_status
from govern.web import context, current_caller, db, documents_refusals, requires, services

blp = Blueprint(
    "accounts",
    __name__,
    url_prefix="/api/v1/accounts",
    description="Personal accounts, issued by department heads (R-ACC-1..3).",
)

EMPLOYEE_NUMBER = validate.Regexp(r"^[A-Za-z0-9._-]{1,64}$", error="not an employee number")


class IssueSchema(Schema):
    employee_number = fields.String(required=True, validate=EMPLOYEE_NUMBER)


class ListQuerySchema(Schema):
    department = fields.String(validate=validate.Length(min=1, max=128))


class TransitionSchema(Schema):
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor = fields.String()
    reason = fields.String()
    at = fields.AwareDateTime()
    suspension_kind = fields.String(allow_none=True)


class SuspensionSchema(Schema):
    kind = fields.String(metadata={"description": "e.g. inactivity, security, hr"})
    title = fields.String()
    lifted_by = fields.List(
        fields.String(), metadata={"description": "the roles that may lift it (reactivation)"}
    )


class PersonSchema(Schema):
    """A person of the directory as the accounts' answers show them."""

    employee_number = fields.String()
    username = fields.String()
    name = fields.String()
    department = fields.String()
    project_group = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    track = fields.String(
        allow_none=True,
        metadata={
            "description": "intern, ordinary, management, or unknown (see docs/directory.md)"
        },
    )
    hire_date = fields.Date(allow_none=True)


class AccountSchema(PersonSchema):
    id = fields.String()
    roles = fields.List(fields.String())
    state = fields.String()
    issued_by = fields.String()
    issued_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
    departure_date = fields.Date(allow_none=True)
    suspension = fields.Nested(
        SuspensionSchema,
        allow_none=True,
        metadata={"description": "while suspended: its kind and who may lift it"},
    )
    history = fields.List(fields.Nested(TransitionSchema))
    in_training = fields.Boolean(
        metadata={
            "description": "an intern, or someone on the track `unknown`, whose intern "
            "certifications do not all hold yet"
        }
    )


class AccountSummarySchema(AccountSchema):
    class Meta:
        exclude = ("history", "in_training")


class AccountListSchema(Schema):
    accounts = fields.List(fields.Nested(AccountSummarySchema))


@blp.route("", methods=["POST"])
@requires("account", "issue")
@blp.arguments(IssueSchema)
@blp.response(201, AccountSchema, description="A new account was issued.")
@blp.alt_response(200, schema=AccountSchema, description="The person's live account, unchanged.")
@documents_refusals(blp, 401, 403, 404, 409)
def issue(body: dict[str, str]) -> tuple[dict[str, Any], int]:
    """Issue a person's account, or return the one they have (one person, one account)."""
    caller, s = current_caller(), services()
    account, created = issue_account(db(), context(), caller.actor, body["employee_number"])
    view = view_account(db(), caller.staff, account.id, s.roles.account_readers)
    return describe(view), 201 if created else 200


@blp.route("", methods=["GET"])
@requires("account", "list")
@blp.arguments(ListQuerySchema, location="query")
@blp.response(200, AccountListSchema)
@documents_refusals(blp, 401, 403)
def index(query: dict[str, str]) -> dict[str, Any]:
    readers = services().roles.account_readers
    views = list_accounts(db(), current_caller().staff, query.get("department"), readers)
    return {"accounts": [describe(view) for view in views]}


class AwaitingListSchema(Schema):
    people = fields.List(fields.Nested(PersonSchema))


@blp.route("/awaiting", methods=["GET"])
@requires("account", "issue")
@blp.response(200, AwaitingListSchema)
@documents_refusals(blp, 401, 403)
def awaiting() -> dict[str, Any]:
    """The people you would issue an account to now: present, without an account, and yours
    to issue (your department's staff; for the general manager, heads and departments
    without an active head)."""
    return {"people": people_awaiting_account(db(), context(), current_caller().staff)}


@blp.route("/<string:account_id>", methods=["GET"])
@requires("account", "view")
@blp.response(200, AccountSchema)
@documents_refusals(blp, 401, 403, 404)
def show(account_id: str) -> dict[str, Any]:
    s = services()
    view = view_account(db(), current_caller().staff, account_id, s.roles.account_readers)
    status = training_status(db(), context(), account_id)
    return {**describe(view), "in_training": status.in_training}


class ReasonSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(max=500),
        metadata={"description": "why; at least 3 characters besides the spaces around them"},
    )


class SuspendSchema(ReasonSchema):
    kind = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "a kind of policies/suspensions.toml: inactivity, security, hr"},
    )


@blp.route("/<string:account_id>/suspension", methods=["POST"])
@requires("account", "suspend")
@blp.arguments(SuspendSchema)
@blp.response(200, AccountSchema)
@documents_refusals(blp, 400, 401, 403, 404, 409)
def suspend(body: dict[str, str], account_id: str) -> dict[str, Any]:
    """Suspend an account for a kind of reason your role may impose (IT: security, HR: hr);
    its sessions end, and only the roles the kind names may lift it."""
    caller, s = current_caller(), services()
    impose_suspension(db(), context(), caller.actor, account_id, body["kind"], body["reason"])
    return describe(view_account(db(), caller.staff, account_id, s.roles.account_readers))


@blp.route("/<string:account_id>/reactivation", methods=["POST"])
@requires("account", "reactivate")
@blp.arguments(ReasonSchema)
@blp.response(200, AccountSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def reactivate(body: dict[str, str], account_id: str) -> dict[str, Any]:
    """Lift a suspension, with a reason, if your role may lift its kind: the head (the general
    manager for heads) an account unused for 90 days, IT a security suspension, HR an HR one."""
    caller, s = current_caller(), services()
    reactivate_account(db(), context(), caller.actor, account_id, body["reason"])
    return describe(view_account(db(), caller.staff, account_id, s.roles.account_readers))


def describe(view: AccountView) -> dict[str, Any]:
    account, person = view.account, view.identity
    return {
        "id": account.id,
        "employee_number": account.employee_number,
        "username": person.username,
        "name": person.name,
        "department": person.department,
        "project_group": person.project_group,
        "title": person.title,
        "track": person.track,
        "roles": sorted(person.roles),
        "state": account.state,
        "issued_by": account.issued_by,
        "issued_at": account.issued_at,
        "revoked_at": account.revoked_at,
        "hire_date": person.hire_date,
        "departure_date": person.leaving_on,
        "suspension": _suspension(view),
        "history": view.history,
    }


def _suspension(view: AccountView) -> dict[str, Any] | None:
    kind = suspension_of(services().settings.policies_dir, view.account)
    if kind is None:
        return None
    return {"kind": kind.name, "title": kind.title, "lifted_by": sorted(kind.lifted_by)}
