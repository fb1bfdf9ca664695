"""HTTP: auditors' investigations of the trail (`/api/v1/audit`), auditor role only."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from audit.queries import SHOWN_AT, EventFilter
from govern.auditing import investigations as inv
from govern.auditing.limits import audited_time_limit
from govern.web import current_caller, db, documents_refusals, requires, services

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="Leak investigations for auditors (R-AUD-3); every query is audited.",
)

ID = validate.Length(min=1, max=128)
FIELD = validate.Regexp(r"^[a-z_]{1,64}$", error="not a field name")


class WindowSchema(Schema):
    start = fields.AwareDateTime(data_key="from", metadata={"description": "default: 90 days ago"})
    end = fields.AwareDateTime(data_key="to", metadata={"description": "default: now"})


class EventQuerySchema(WindowSchema):
    debtor = fields.String(validate=ID)
    actor = fields.String(validate=ID, metadata={"description": "the account that acted"})
    subject = fields.String(
        validate=ID, metadata={"description": "the account acted upon (the event's object)"}
    )
    account = fields.String(
        validate=ID,
        metadata={"description": "deprecated: the same as `actor` (matches only the actor)"},
    )
    action = fields.String(validate=validate.Length(min=1, max=64))
    field = fields.String(validate=FIELD)
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))

    @validates_schema
    def one_actor(self, data: dict[str, Any], **_: Any) -> None:
        """`account` is the old name of `actor`: both at once must agree."""
        if "account" in data and data.get("actor", data["account"]) != data["account"]:
            raise ValidationError("use `actor` alone (`account` is its old name)", "account")


class WhoSawQuerySchema(WindowSchema):
    debtor = fields.String(required=True, validate=ID)
    field = fields.String(required=True, validate=FIELD)
    level = fields.String(
        load_default="full",
        validate=validate.OneOf(sorted(SHOWN_AT)),
        metadata={
            "description": "full (default): revealed in full; masked: shown masked only; "
            "any: shown at all, masked views included"
        },
    )


class SeenQuerySchema(WindowSchema):
    account = fields.String(required=True, validate=ID)


class InvestigationSchema(WindowSchema):
    debtor_ids = fields.List(
        fields.String(validate=ID), required=True, validate=validate.Length(min=1, max=100_000)
    )
    fields_ = fields.List(fields.String(validate=FIELD), data_key="fields", load_default=list)


@blp.route("/events", methods=["GET"])
@requires("audit", "query")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, description="{events, next_after} as JSON, or text/csv")
@documents_refusals(blp, 401, 403, 503)
def events(query: dict[str, Any]) -> Any:
    """Events by debtor, actor (who acted), subject (the account acted upon), action, field
    and time; page with `after`. `account` is the old name of `actor`."""
    window = _window(query)
    wanted = EventFilter(
        query.get("debtor"),
        query.get("actor", query.get("account")),
        query.get("action"),
        query.get("field"),
        *window.us,
        query["after"],
        query["limit"],
        subject=query.get("subject"),
    )
    filters = {"debtor": wanted.debtor, "actor": wanted.actor, "subject": wanted.subject}
    with _time_limited("events", **filters, action=wanted.action, field=wanted.field):
        found, after = inv.find_events(db(), services().trail, _auditor(), wanted)
    if query["format"] == "csv":
        return Response(inv.events_csv(found), mimetype="text/csv")
    return {"events": found, "next_after": after}


@blp.route("/who-saw", methods=["GET"])
@requires("audit", "query")
@blp.arguments(WhoSawQuerySchema, location="query")
@blp.response(200)
@documents_refusals(blp, 401, 403, 503)
def who_saw(query: dict[str, Any]) -> dict[str, Any]:
    """Every account shown this field of this debtor, with times: by default only those it
    was revealed to in full (`level=full`); `level=any` counts masked views too. `views` are
    the views at the asked level, `reveals` those of them in full."""
    asked = {name: query[name] for name in ("debtor", "field", "level")}
    with _time_limited("who_saw", **asked):
        found = inv.who_saw(db(), services().trail, _auditor(), window=_window(query), **asked)
    return {
        "debtor": query["debtor"],
        "field": query["field"],
        "level": query["level"],
        "views": found,
        "reveals": [view for view in found if view["level"] == "full"],
    }


@blp.route("/seen", methods=["GET"])
@requires("audit", "query")
@blp.arguments(SeenQuerySchema, location="query")
@blp.response(200)
@documents_refusals(blp, 401, 403, 503)
def seen(query: dict[str, Any]) -> dict[str, Any]:
    """What this account revealed: per debtor, the fields, first and last time."""
    with _time_limited("what_seen", account=query["account"]):
        found = inv.what_seen(db(), services().trail, _auditor(), query["account"], _window(query))
    return {"account": query["account"], "debtors": found}


@blp.route("/unusual", methods=["GET"])
@requires("audit", "query")
@blp.arguments(WindowSchema, location="query")
@blp.response(200)
@documents_refusals(blp, 401, 403, 503)
def unusual(query: dict[str, Any]) -> dict[str, Any]:
    """Bulk viewing, off-hours views, views outside the viewer's group, pre-departure spikes."""
    s = services()
    with _time_limited("unusual"):
        return inv.unusual_access(db(), s.trail, _auditor(), _window(query), s.settings)


@blp.route("/investigations", methods=["POST"])
@requires("audit", "investigate")
@blp.arguments(InvestigationSchema)
@blp.response(201)
@documents_refusals(blp, 401, 403, 503)
def open_investigation(body: dict[str, Any]) -> dict[str, Any]:
    """Open a leak investigation; the accounts that revealed most leaked records come first."""
    s = services()
    opened, ranking = inv.open_investigation(
        db(), s.trail, s.clock, _auditor(), body["debtor_ids"], body["fields_"], _window(body)
    )
    return _investigation(opened, ranking)


@blp.route("/investigations/<string:investigation_id>", methods=["GET"])
@requires("audit", "investigate")
@blp.response(200)
@documents_refusals(blp, 401, 403, 404, 503)
def show_investigation(investigation_id: str) -> dict[str, Any]:
    with _time_limited("leak_triage", investigation=investigation_id):
        found = inv.investigation(db(), investigation_id)
        ranking = inv.rank(db(), services().trail, _auditor(), found)
    return _investigation(found, ranking)


@blp.route("/investigations/<string:investigation_id>/close", methods=["POST"])
@requires("audit", "investigate")
@blp.response(200)
@documents_refusals(blp, 401, 403, 404, 409)
def close_investigation(investigation_id: str) -> dict[str, Any]:
    s = services()
    closed = inv.close_investigation(db(), s.trail, s.clock, _auditor(), investigation_id)
    return _investigation(closed, None)


def _auditor() -> str:
    return current_caller().account_id


def _time_limited(query: str, **filters: Any) -> AbstractContextManager[None]:
    """The auditor's query within GOVERN_AUDIT_QUERY_SECONDS, audited if it is stopped."""
    s = services()
    seconds = s.settings.audit_query_seconds
    return audited_time_limit(db(), s.trail, _auditor(), seconds, query, **filters)


def _window(values: dict[str, Any]) -> inv.Window:
    return inv.Window.of(values.get("start"), values.get("end"), services().clock)


def _investigation(found: Any, ranking: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "id": found.id,
        "opened_by": found.opened_by,
        "opened_at": found.opened_at.isoformat(),
        "debtor_ids": found.debtor_ids,
        "fields": found.fields,
        "from": found.window_start.isoformat(),
        "to": found.window_end.isoformat(),
        "closed_at": found.closed_at.isoformat() if found.closed_at else None,
        "ranking": ranking,
    }
