"""HTTP: debtor records, caseloads, reveal with a purpose, search (R-ACS-1..3).

Every answer is decided field by field and audited durably before it is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from govern.access.service import ready_policy
from govern.bounds import WholeNumber
from govern.debtors import service
from govern.web import context, current_caller, db, documents_refusals, requires, services

#: Where start-up leaves what it hands this blueprint (`service.DebtorWiring`, govern/app.py).
WIRING = service.WIRING

blp = Blueprint(
    "debtors",
    __name__,
    url_prefix="/api/v1/debtors",
    description="Debtor data, decided field by field and audited (R-ACS-1..3).",
)

ID = validate.Length(min=1, max=16)


class RecordQuerySchema(Schema):
    investigation = fields.String(
        validate=ID, metadata={"description": "auditors: an open investigation"}
    )


class CaseloadQuerySchema(Schema):
    assigned = fields.String(required=True, validate=validate.OneOf(["me"]))
    after = fields.String(load_default="", validate=validate.Length(max=16))
    limit = WholeNumber(load_default=50, validate=validate.Range(min=1, max=200))


class RevealSchema(Schema):
    fields_ = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        data_key="fields",
        required=True,
        validate=validate.Length(min=1, max=20),
    )
    purpose = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "a code of fields.toml [purposes], e.g. scheduled_call"},
    )


class SearchSchema(Schema):
    phone = fields.String(validate=validate.Length(min=3, max=32))
    id_number = fields.String(validate=validate.Length(min=15, max=18))

    @validates_schema
    def _one(self, data: dict[str, Any], **_: Any) -> None:
        if len(data) != 1:
            raise ValidationError("Give either phone or id_number.")


class WithheldSchema(Schema):
    field = fields.String()
    reason = fields.String(
        metadata={"description": "a stable code, e.g. training.compliance.missing"}
    )


class ShownSchema(Schema):
    id = fields.String()
    case_no = fields.String()
    fields_ = fields.Dict(data_key="fields", metadata={"description": "field → value as shown"})
    levels = fields.Dict(metadata={"description": "field → full or masked"})
    withheld = fields.List(fields.Nested(WithheldSchema))
    reach = fields.String(
        metadata={"description": "project_group, department, company, investigation or break_glass"}
    )
    break_glass = fields.String(allow_none=True)
    investigation = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    stopped = fields.Boolean(
        allow_none=True,
        metadata={"description": "collection stopped by an open complaint case (R-CON-5)"},
    )


class CaseloadSchema(Schema):
    debtors = fields.List(fields.Nested(ShownSchema))
    next_after = fields.String(allow_none=True)


def record_query(view: Callable[..., Any]) -> Callable[..., Any]:
    """`blp.arguments(RecordQuerySchema, location="query")`, documented and checked the same,
    except that a request without a query string skips the parser: the schema's only field is
    optional and has no default, so it would load `{}` (the common view, issue 17 item 5)."""
    parsed = blp.arguments(RecordQuerySchema, location="query")(view)

    @wraps(parsed)
    def asked(*args: Any, **kwargs: Any) -> Any:
        if request.args:
            return parsed(*args, **kwargs)
        return view({}, *args, **kwargs)

    return asked


@blp.route("/<string:debtor_id>", methods=["GET"])
@requires("debtor", "view")
@record_query
@blp.response(200, ShownSchema)
@documents_refusals(blp, 401, 403, 404, 503)
def show(query: dict[str, str], debtor_id: str) -> Response:
    """One debtor: each field at its decided level; `on_purpose` fields masked."""
    shown = service.view_debtor(
        db(), gate(), current_caller().actor, debtor_id, query.get("investigation")
    )
    return jsonify(describe(shown))


@blp.route("", methods=["GET"])
@requires("debtor", "list")
@blp.arguments(CaseloadQuerySchema, location="query")
@blp.response(200, CaseloadSchema)
@documents_refusals(blp, 401, 403, 503)
def index(query: dict[str, Any]) -> Response:
    """Your caseload (`assigned=me`): the debtors of your project group, masked."""
    shown = service.caseload(db(), gate(), current_caller().actor, query["after"], query["limit"])
    after = shown[-1].debtor.id if len(shown) == query["limit"] else None
    return jsonify({"debtors": [describe(item) for item in shown], "next_after": after})


@blp.route("/<string:debtor_id>/reveal", methods=["POST"])
@requires("debtor", "reveal")
@blp.arguments(RevealSchema)
@blp.response(200, ShownSchema)
@documents_refusals(blp, 400, 401, 403, 404, 422, 503)
def reveal(body: dict[str, Any], debtor_id: str) -> Response:
    """`on_purpose` fields in full, for a purpose from the configured list."""
    shown = service.reveal_fields(
        db(),
        gate(),
        current_caller().actor,
        debtor_id,
        body["fields_"],
        body["purpose"],
    )
    return jsonify(describe(shown))


@blp.route("/search", methods=["POST"])
@requires("debtor", "search")
@blp.arguments(SearchSchema)
@blp.response(200, CaseloadSchema)
@documents_refusals(blp, 401, 403, 503)
def search(body: dict[str, str]) -> Response:
    """Find debtors by phone or identity number (in the body: never in a URL or a log)."""
    kind, value = next(iter(body.items()))
    shown = service.search(db(), gate(), current_caller().actor, kind, value)
    return jsonify({"debtors": [describe(item) for item in shown], "next_after": None})


def describe(shown: service.Shown) -> dict[str, Any]:
    """`ShownSchema` as dumped, built directly: its fields only copy strings, booleans and
    dicts, so the views send this with `jsonify` and the schema documents it (the fuzz tests
    check every answer against the OpenAPI document)."""
    return {
        "id": shown.debtor.id,
        "case_no": shown.debtor.case_no,
        "fields": shown.values,
        "levels": shown.levels,
        "withheld": [{"field": f, "reason": r} for f, r in shown.withheld.items()],
        "reach": shown.reach.way,
        "break_glass": shown.reach.grant,
        "investigation": shown.reach.investigation,
        "purpose": shown.purpose,
        "stopped": shown.stopped,
    }


def gate() -> service.Gate:
    """What reading debtor data needs: the request's context, the policy store ready
    (`ready_policy`: no read meets an empty store), the investigations' opener and the notes'
    complaint stops. Notes and contact ask the door through it too."""
    wiring: service.DebtorWiring = current_app.extensions[WIRING]
    policy = ready_policy(db(), services().clock, wiring.policy)
    return service.Gate(
        context(), policy, wiring.opening, wiring.stops, wiring.entrustments, wiring.stop
    )
