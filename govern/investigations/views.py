"""HTTP: auditors' investigations of the trail (`/api/v1/audit`), auditor role only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from govern.bounds import Instant, WholeNumber
from govern.investigations import holds, leak_report, questions, rules
from govern.investigations import service as inv
from govern.investigations.leak_pdf import report_pdf
from govern.investigations.limits import audited_time_limit
from govern.investigations.unusual import unusual_access
from govern.web import (
    context,
    current_caller,
    db,
    documents_refusals,
    download,
    requires,
    services,
)

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="Leak investigations for auditors (R-AUD-3); every query is audited.",
)

ID = validate.Length(min=1, max=128)
FIELD = validate.Regexp(r"^[a-z_]{1,64}$", error="not a field name")


class WindowSchema(Schema):
    start = Instant(data_key="from", metadata={"description": "default: 90 days ago"})
    end = Instant(data_key="to", metadata={"description": "default: now"})


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
    after = WholeNumber(load_default=0, validate=validate.Range(min=0))
    limit = WholeNumber(load_default=100, validate=validate.Range(min=1, max=1000))
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
        validate=validate.OneOf(sorted(questions.SHOWN_AT)),
        metadata={
            "description": "full (default): revealed in full; masked: shown masked only; "
            "any: shown at all, masked views included"
        },
    )


class SeenQuerySchema(WindowSchema):
    account = fields.String(required=True, validate=ID)


CASE_REFERENCE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$", error="letters, digits and . _ / - (up to 64)"
)


class Trimmed(fields.String):
    """Text without its surrounding whitespace, before its length is validated: a case
    reference or a refusal's reason of spaces is none."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class InvestigationSchema(WindowSchema):
    debtor_ids = fields.List(
        fields.String(validate=ID),
        load_default=list,
        validate=validate.Length(max=inv.MAX_LEAKED),
        metadata={"description": "the leaked debtors (at least one, unless `suspect`)"},
    )
    suspect = fields.String(
        validate=ID,
        metadata={"description": "the account suspected of the leak (with or without debtors)"},
    )
    fields_ = fields.List(fields.String(validate=FIELD), data_key="fields", load_default=list)
    open_fields = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: open these debtors' fields to you once another auditor or "
            "the general manager approves (needs case_reference and justification)"
        },
    )
    case_reference = Trimmed(validate=CASE_REFERENCE)
    justification = fields.String(
        validate=validate.Length(max=2000),
        metadata={"description": "at least GOVERN_JUSTIFICATION_MIN_CHARS (20) besides spaces"},
    )
    hours = WholeNumber(
        validate=validate.Range(min=1, max=8760),
        metadata={"description": "how long after approval (default GOVERN_INVESTIGATION_HOURS)"},
    )

    @validates_schema
    def _names_a_leak(self, data: dict[str, Any], **_: Any) -> None:
        if not data["debtor_ids"] and "suspect" not in data:
            raise ValidationError("Name the leaked debtors or a suspect account.", "debtor_ids")

    @validates_schema
    def _asks_in_full(self, data: dict[str, Any], **_: Any) -> None:
        asking = ("case_reference", "justification", "hours")
        if data["open_fields"]:
            missing = {n: ["Required to open fields."] for n in asking[:2] if n not in data}
            if missing:
                raise ValidationError(missing)
        elif any(name in data for name in asking):
            raise ValidationError({"open_fields": ["Only an investigation that opens fields."]})


class ApprovalSchema(Schema):
    hours = WholeNumber(
        validate=validate.Range(min=1, max=8760),
        metadata={"description": "open this long from now (default: as asked, else the default)"},
    )


class RefusalSchema(Schema):
    reason = Trimmed(validate=validate.Length(min=1, max=2000))


class InvestigationOutSchema(Schema):
    id = fields.String()
    opened_by = fields.String()
    opened_at = fields.String()
    debtor_ids = fields.List(fields.String())
    suspect = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    start = fields.String(data_key="from", attribute="from")
    end = fields.String(data_key="to", attribute="to")
    closed_at = fields.String(allow_none=True)
    field_access = fields.String(
        allow_none=True,
        metadata={"description": "null: queries the trail only; pending, approved or refused"},
    )
    case_reference = fields.String(allow_none=True)
    justification = fields.String(allow_none=True)
    hours = fields.Integer(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    expires_at = fields.String(allow_none=True)
    refusal = fields.String(allow_none=True)
    ranking = fields.List(fields.Dict(), allow_none=True)


class ReportSchema(Schema):
    grade = fields.String(
        validate=validate.OneOf(rules.GRADES),
        metadata={
            "description": "the auditor's grade of the incident; from relatively_major on it "
            "goes to the provincial CAC within 4 hours of the opening (default: not graded)"
        },
    )
    format = fields.String(
        load_default="json",
        validate=validate.OneOf([e for e in leak_report.EXPORTS if e != "page"]),
        metadata={"description": "json: the report; pdf: it as PDF; csv: the affected debtors"},
    )


class PendingSchema(Schema):
    investigations = fields.List(fields.Nested(InvestigationOutSchema))


@blp.route("/events", methods=["GET"])
@requires("audit", "query")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, description="{events, next_after} as JSON, or text/csv")
@documents_refusals(blp, 401, 403, 503)
def events(query: dict[str, Any]) -> Any:
    """Events by debtor, actor (who acted), subject (the account acted upon), action, field
    and time; page with `after`. `account` is the old name of `actor`."""
    window = _window(query)
    wanted = questions.EventFilter(
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
    s, asked = services(), {**filters, "action": wanted.action, "field": wanted.field}
    with audited_time_limit(db(), context(), _auditor(), "events", **asked):
        found, after = questions.find_events(db(), s.trail, _auditor(), wanted)
    if query["format"] == "csv":
        return Response(questions.events_csv(found), mimetype="text/csv")
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
    s = services()
    with audited_time_limit(db(), context(), _auditor(), "who_saw", **asked):
        found = questions.who_saw(
            db(), s.trail, _auditor(), questions.Sighting(**asked), _window(query)
        )
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
    s, account = services(), query["account"]
    with audited_time_limit(db(), context(), _auditor(), "what_seen", account=account):
        found = questions.what_seen(db(), s.trail, _auditor(), account, _window(query))
    return {"account": query["account"], "debtors": found}


@blp.route("/views-per-hour", methods=["GET"])
@requires("audit", "query")
@blp.arguments(SeenQuerySchema, location="query")
@blp.response(200)
@documents_refusals(blp, 400, 401, 403, 503)
def views_per_hour(query: dict[str, Any]) -> dict[str, Any]:
    """One account's views per clock hour over the window (default the last 7 days, at most
    31) beside its group's usual: the other viewers' mean in that hour."""
    s, account = services(), query["account"]
    window = _window(query, questions.CHART_DAYS)
    with audited_time_limit(db(), context(), _auditor(), "views_per_hour", account=account):
        return questions.views_per_hour(db(), s.trail, _auditor(), account, window)


@blp.route("/unusual", methods=["GET"])
@requires("audit", "query")
@blp.arguments(WindowSchema, location="query")
@blp.response(200)
@documents_refusals(blp, 401, 403, 503)
def unusual(query: dict[str, Any]) -> dict[str, Any]:
    """Bulk viewing, off-hours views, views outside the viewer's group, pre-departure spikes."""
    with audited_time_limit(db(), context(), _auditor(), "unusual"):
        return unusual_access(db(), context(), _auditor(), _window(query))


@blp.route("/investigations", methods=["POST"])
@requires("audit", "investigate")
@blp.arguments(InvestigationSchema)
@blp.response(201, InvestigationOutSchema)
@documents_refusals(blp, 401, 403, 422, 503)
def open_investigation(body: dict[str, Any]) -> dict[str, Any]:
    """Open a leak investigation; the accounts that revealed most leaked records come first.

    It queries the trail only, unless `open_fields` asks to open the debtors' fields to you:
    then it opens them once another auditor or the general manager approves it. The
    investigation is saved before it is ranked: a ranking stopped by the time limit answers
    503 `audit.query_timeout`, and GET of the investigation ranks it again."""
    scope = inv.Scope(body["debtor_ids"], body["fields_"], _window(body), body.get("suspect"))
    if not body["open_fields"]:
        return _investigation(*inv.open_investigation(db(), context(), _auditor(), scope))
    asking = inv.Asking(body["case_reference"], body["justification"], body.get("hours"))
    return _investigation(*inv.request_investigation(db(), context(), _auditor(), scope, asking))


@blp.route("/investigations/pending", methods=["GET"])
@requires("audit", "approve_investigation")
@blp.response(200, PendingSchema)
@documents_refusals(blp, 401, 403)
def pending_investigations() -> dict[str, Any]:
    """Investigations asking to open debtors' fields that wait for a second person."""
    return {"investigations": [_investigation(p, None) for p in inv.pending_requests(db())]}


@blp.route("/investigations/<string:investigation_id>/approve", methods=["POST"])
@requires("audit", "approve_investigation")
@blp.arguments(ApprovalSchema)
@blp.response(200, InvestigationOutSchema)
@documents_refusals(blp, 401, 403, 404, 409, 422)
def approve_investigation(body: dict[str, Any], investigation_id: str) -> dict[str, Any]:
    """Approve someone else's request: its fields open to its requester until it expires."""
    approved = inv.approve_request(db(), context(), _auditor(), investigation_id, body.get("hours"))
    return _investigation(approved, None)


@blp.route("/investigations/<string:investigation_id>/refuse", methods=["POST"])
@requires("audit", "approve_investigation")
@blp.arguments(RefusalSchema)
@blp.response(200, InvestigationOutSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def refuse_investigation(body: dict[str, Any], investigation_id: str) -> dict[str, Any]:
    """Refuse someone else's request: it never opens a field."""
    s = services()
    refused = inv.refuse_request(
        db(), s.trail, s.clock, _auditor(), investigation_id, body.get("reason")
    )
    return _investigation(refused, None)


@blp.route("/investigations/<string:investigation_id>", methods=["GET"])
@requires("audit", "investigate")
@blp.response(200)
@documents_refusals(blp, 401, 403, 404, 503)
def show_investigation(investigation_id: str) -> dict[str, Any]:
    s, limit = services(), {"investigation": investigation_id}
    with audited_time_limit(db(), context(), _auditor(), "leak_triage", **limit):
        found = inv.investigation(db(), investigation_id)
        ranking = inv.rank(db(), s.trail, _auditor(), found)
    return _investigation(found, ranking)


@blp.route("/investigations/<string:investigation_id>/close", methods=["POST"])
@requires("audit", "investigate")
@blp.response(200)
@documents_refusals(blp, 401, 403, 404, 409)
def close_investigation(investigation_id: str) -> dict[str, Any]:
    s = services()
    closed = inv.close_investigation(db(), s.trail, s.clock, _auditor(), investigation_id)
    return _investigation(closed, None)


@blp.route("/investigations/<string:investigation_id>/report", methods=["POST"])
@requires("audit", "investigate")
@blp.arguments(ReportSchema)
@blp.response(200, description="the report as JSON, application/pdf, or text/csv")
@documents_refusals(blp, 401, 403, 404, 422, 503)
def report(body: dict[str, Any], investigation_id: str) -> Any:
    """The leak report (PIPL Art. 57) of an investigation, from the trail: which debtors'
    data and which categories of fields were shown to whom and when (records, caseloads,
    search results, notes, parties; in full apart from masked only), each event with an
    inclusion proof in the newest signed checkpoint (those after it listed as not yet
    anchored); the accounts involved and their state now; a timeline from the opening with
    the 4-hour reporting clock. Producing it is audited (`audit.leak_reported`)."""
    wanted, zone = body["format"], services().settings.timezone
    with audited_time_limit(
        db(), context(), _auditor(), "leak_report", investigation=investigation_id
    ):
        found = leak_report.leak_report(
            db(), context(), _auditor(), investigation_id, body.get("grade"), wanted
        )
    if wanted == "pdf":
        return Response(report_pdf(found, zone), mimetype="application/pdf")
    if wanted == "csv":
        name = f"leak-report-{investigation_id}-affected.csv"
        return download(leak_report.affected_csv(found, zone), name)
    return found


class HoldOutSchema(Schema):
    investigation = fields.String(attribute="investigation_id")
    placed_by = fields.String()
    placed_at = fields.DateTime()
    released_by = fields.String(allow_none=True)
    released_at = fields.DateTime(allow_none=True)


@blp.route("/investigations/<string:investigation_id>/hold", methods=["POST"])
@requires("audit", "hold")
@blp.response(200, HoldOutSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def place_hold(investigation_id: str) -> Any:
    """Place a legal hold: the investigation's events are kept past retention."""
    return holds.place_hold(db(), context(), _auditor(), investigation_id)


@blp.route("/investigations/<string:investigation_id>/hold/release", methods=["POST"])
@requires("audit", "release_hold")
@blp.response(200, HoldOutSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def release_hold(investigation_id: str) -> Any:
    """Release someone else's legal hold (four eyes): its events follow retention again."""
    return holds.release_hold(db(), context(), _auditor(), investigation_id)


def _auditor() -> str:
    return current_caller().account_id


def _window(values: dict[str, Any], days: int = 90) -> questions.Window:
    return questions.Window.of(values.get("start"), values.get("end"), services().clock, days)


def _investigation(found: Any, ranking: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "id": found.id,
        "opened_by": found.opened_by,
        "opened_at": found.opened_at.isoformat(),
        "debtor_ids": found.debtor_ids,
        "suspect": found.suspect,
        "fields": found.fields,
        "from": found.window_start.isoformat(),
        "to": found.window_end.isoformat(),
        "closed_at": _time(found.closed_at),
        "field_access": found.field_access,
        "case_reference": found.case_reference,
        "justification": found.justification,
        "hours": found.hours,
        "decided_by": found.decided_by,
        "decided_at": _time(found.decided_at),
        "expires_at": _time(found.expires_at),
        "refusal": found.refusal,
        "ranking": ranking,
    }


def _time(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
