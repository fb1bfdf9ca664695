"""HTTP: separation of duties: the conflicts the directory sync found, and the exceptions
policy admins accept and end (docs/governance.md)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from govern.bounds import Day, Text
from govern.directory import separation
from govern.web import context, current_caller, db, documents_refusals, requires

blp = Blueprint(
    "duties",
    __name__,
    url_prefix="/api/v1/duties",
    description="Separation of duties: conflicts found by the directory sync, and exceptions.",
)

REASON = Text(
    required=True,
    validate=validate.Length(min=1, max=2000),
    metadata={"description": "at least GOVERN_JUSTIFICATION_MIN_CHARS (20) besides spaces"},
)


class ConflictSchema(Schema):
    employee_number = fields.String()
    name = fields.String()
    department = fields.String()
    rule = fields.String(metadata={"description": "the rule's id in separation_of_duties.toml"})
    roles = fields.List(fields.String(), metadata={"description": "the pair the rule forbids"})
    state = fields.String(metadata={"description": "withheld, held or excepted"})
    role = fields.String(
        allow_none=True, metadata={"description": "the role withheld, or let through"}
    )
    held_roles = fields.List(fields.String(), metadata={"description": "the roles granted now"})
    since = fields.AwareDateTime()
    needs_action = fields.Boolean(
        metadata={
            "description": "true while both duties are held (state held): nothing is withheld, "
            "so a policy admin accepts an exception or the directory entry is mended"
        }
    )


class ConflictListSchema(Schema):
    conflicts = fields.List(fields.Nested(ConflictSchema))


class ExceptionSchema(Schema):
    id = fields.Integer()
    employee_number = fields.String()
    rule = fields.String()
    role = fields.String(allow_none=True)
    reason = fields.String()
    ends_on = fields.Date(metadata={"description": "the exception holds to this day's end"})
    accepted_by = fields.String()
    accepted_at = fields.AwareDateTime()
    ended_by = fields.String(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "active, lapsed or ended"})


class ExceptionListSchema(Schema):
    exceptions = fields.List(fields.Nested(ExceptionSchema))


class AcceptSchema(Schema):
    employee_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    rule = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = REASON
    ends_on = Day(required=True, metadata={"description": "YYYY-MM-DD, today or later"})


class EndSchema(Schema):
    reason = REASON


@blp.route("/conflicts", methods=["GET"])
@requires("duties", "view")
@blp.response(200, ConflictListSchema)
@documents_refusals(blp, 401, 403)
def conflicts() -> dict[str, Any]:
    """The current conflicts: roles withheld, pairs held, pairs held under an exception."""
    return {"conflicts": [conflict_view(line) for line in separation.conflicts(db(), context())]}


@blp.route("/exceptions", methods=["GET"])
@requires("duties", "view")
@blp.response(200, ExceptionListSchema)
@documents_refusals(blp, 401, 403)
def exceptions() -> dict[str, Any]:
    """Every exception, newest first: active, lapsed (past its end date) or ended."""
    return {"exceptions": [exception_view(line) for line in separation.exceptions(db(), context())]}


@blp.route("/exceptions", methods=["POST"])
@requires("duties", "manage")
@blp.arguments(AcceptSchema)
@blp.response(201, ExceptionSchema)
@documents_refusals(blp, 400, 401, 403, 404, 409, 422)
def accept(body: dict[str, Any]) -> dict[str, Any]:
    """Accept a current conflict until the end of `ends_on`; a withheld role is granted at once."""
    asked = separation.Acceptance(
        body["employee_number"], body["rule"], body["reason"], body["ends_on"]
    )
    line = separation.accept_exception(db(), context(), current_caller().actor, asked)
    return exception_view(line)


@blp.route("/exceptions/<int:exception_id>/end", methods=["POST"])
@requires("duties", "manage")
@blp.arguments(EndSchema)
@blp.response(200, ExceptionSchema)
@documents_refusals(blp, 400, 401, 403, 404, 409, 422)
def end(body: dict[str, Any], exception_id: int) -> dict[str, Any]:
    """End an exception now: the role it let through is withheld at once."""
    line = separation.end_exception(
        db(), context(), current_caller().actor, exception_id, body["reason"]
    )
    return exception_view(line)


def conflict_view(line: separation.ConflictLine) -> dict[str, Any]:
    """A conflict as the API and the console show it."""
    conflict, person = line.conflict, line.person
    return {
        "employee_number": conflict.employee_number,
        "name": person.name,
        "department": person.department,
        "rule": conflict.rule_id,
        "roles": list(line.rule.pair) if line.rule else [],
        "state": conflict.state,
        "role": conflict.role,
        "held_roles": sorted(person.roles),
        "since": conflict.since,
        "needs_action": line.needs_action,
    }


def exception_view(line: separation.ExceptionLine) -> dict[str, Any]:
    """An exception as the API and the console show it."""
    row = line.exception
    return {
        "id": row.id,
        "employee_number": row.employee_number,
        "rule": row.rule_id,
        "role": row.role,
        "reason": row.reason,
        "ends_on": row.ends_on,
        "accepted_by": row.accepted_by,
        "accepted_at": row.accepted_at,
        "ended_by": row.ended_by,
        "ended_at": row.ended_at,
        "end_reason": row.end_reason,
        "state": line.state,
    }
