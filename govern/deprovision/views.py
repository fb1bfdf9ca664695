"""HTTP: departure dates set by HR or IT, and IT's view of departures (R-ACC-4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from govern.actor import Actor
from govern.bounds import Day
from govern.deprovision import service
from govern.deprovision.scheduler import replan
from govern.web import (
    app_itself,
    context,
    current_caller,
    db,
    documents_refusals,
    requires,
    services,
)

blp = Blueprint(
    "deprovision",
    __name__,
    url_prefix="/api/v1",
    description="Departures: dates, revocation at the instant, IT's view (R-ACC-4).",
)


class DateSchema(Schema):
    date = Day(required=True, metadata={"description": "YYYY-MM-DD, 2000-2099"})


class RangeSchema(Schema):
    start = Day(data_key="from", required=True)
    end = Day(data_key="to", required=True)


class DepartureSchema(Schema):
    employee_number = fields.String()
    directory_date = fields.Date(allow_none=True)
    override = fields.Date(allow_none=True, metadata={"description": "set in Govern"})
    effective = fields.Date(allow_none=True, metadata={"description": "the earlier one counts"})
    instant = fields.AwareDateTime(allow_none=True)
    conflict = fields.Boolean(metadata={"description": "directory and Govern disagree"})
    state = fields.String(metadata={"description": "scheduled, due, revoked, failed, no_account"})
    account_id = fields.String(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    attempts = fields.Integer(metadata={"description": "revocation attempts; the sweep retries"})


class DepartureListSchema(Schema):
    departures = fields.List(fields.Nested(DepartureSchema))


@blp.route("/staff/<string:employee_number>/departure", methods=["PUT"])
@requires("departure", "set")
@blp.arguments(DateSchema)
@blp.response(200, DepartureSchema)
@documents_refusals(blp, 400, 401, 403, 404)
def set_departure(body: dict[str, Any], employee_number: str) -> Any:
    """Set the departure date; a date already past revokes at once."""
    return set_date(current_caller().actor, employee_number, body["date"])


@blp.route("/staff/<string:employee_number>/departure", methods=["DELETE"])
@requires("departure", "set")
@blp.response(200, DepartureSchema)
@documents_refusals(blp, 401, 403, 404)
def clear_departure(employee_number: str) -> Any:
    """Clear the date set in Govern (the directory's, if any, still counts)."""
    return set_date(current_caller().actor, employee_number, None)


def set_date(setter: Actor, employee_number: str, day: date | None) -> service.DepartureView:
    """Set (None: clear) a departure date and plan its job; the API's and the console's way."""
    view = service.set_departure(
        db(), context(), setter, employee_number, day, services().directory
    )
    db().rollback()  # hold no transaction while the job store is written (one writer on SQLite)
    replan(app_itself())
    return view


@blp.route("/departures", methods=["GET"])
@requires("departure", "view")
@blp.arguments(RangeSchema, location="query")
@blp.response(200, DepartureListSchema)
@documents_refusals(blp, 400, 401, 403)
def departures(query: dict[str, Any]) -> dict[str, Any]:
    """Upcoming and past departures with their state, due and actual instants."""
    found = service.list_departures(db(), context(), query["start"], query["end"])
    return {"departures": found}
