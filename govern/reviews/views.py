"""HTTP: access review campaigns (start, progress, the signed report and its check) for the
general manager and policy admins, and the items each reviewer decides."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from govern.bounds import Instant, Text, WholeNumber
from govern.errors import BadRequest
from govern.reviews import report, rules, service
from govern.reviews.service import CampaignDraft, CampaignView, ItemView
from govern.web import context, current_caller, db, documents_refusals, requires

blp = Blueprint(
    "reviews",
    __name__,
    url_prefix="/api/v1/reviews",
    description="Access reviews: campaigns, each account certified, revoked or suspended by "
    "the head who answers for it, and a signed report of every decision.",
)


class StartSchema(Schema):
    departments = fields.List(
        Text(validate=validate.Length(min=1, max=128)),
        validate=validate.Length(min=1, max=200),
        load_default=None,
        metadata={"description": "the departments reviewed; left out: the whole agency"},
    )
    deadline = Instant(required=True)
    at_deadline = fields.String(
        required=True,
        validate=validate.OneOf(sorted(rules.AT_DEADLINE)),
        metadata={"description": "what happens then to undecided items: suspend or report"},
    )
    every_months = WholeNumber(
        strict=True,  # 1.5 is refused, not taken as 1
        load_default=None,
        validate=validate.Range(1, rules.MAX_EVERY_MONTHS),
        metadata={"description": "a recurring campaign: the worker starts the next one"},
    )


class CancelSchema(Schema):
    reason = Text(required=True, validate=validate.Length(max=2000))


class ProgressSchema(Schema):
    department = fields.String()
    decided = fields.Integer()
    undecided = fields.Integer()


class CampaignSchema(Schema):
    id = fields.String()
    started_by = fields.String()
    started_at = fields.AwareDateTime()
    departments = fields.List(fields.String(), allow_none=True)
    deadline = fields.AwareDateTime()
    at_deadline = fields.String()
    every_months = fields.Integer(allow_none=True)
    follows = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    cancelled_by = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    decided = fields.Integer()
    undecided = fields.Integer()
    progress = fields.List(fields.Nested(ProgressSchema))


class CampaignListSchema(Schema):
    campaigns = fields.List(fields.Nested(CampaignSchema))


class ItemCertificationSchema(Schema):
    name = fields.String()
    holds = fields.Boolean()
    until = fields.AwareDateTime(allow_none=True)


class ItemSchema(Schema):
    id = fields.String()
    campaign_id = fields.String()
    deadline = fields.AwareDateTime()
    account_id = fields.String()
    employee_number = fields.String()
    name = fields.String()
    department = fields.String()
    project_group = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    state = fields.String()
    last_used_at = fields.AwareDateTime(allow_none=True)
    certifications = fields.List(fields.Nested(ItemCertificationSchema))
    debtors_viewed = fields.Integer(metadata={"description": "distinct debtors, last 90 days"})
    decision = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)


class ItemListSchema(Schema):
    items = fields.List(fields.Nested(ItemSchema))


class ItemDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(sorted(rules.DECISIONS)))
    reason = Text(load_default="", validate=validate.Length(max=2000))


class ReportSignatureSchema(Schema):
    algorithm = fields.String(required=True)
    key_id = fields.String(required=True, validate=validate.Length(max=64))
    value = fields.String(required=True, validate=validate.Length(max=256))


class SignedReportSchema(Schema):
    report = fields.Dict(metadata={"description": "signed as its canonical JSON"})
    signature = fields.Nested(ReportSignatureSchema)


class VerifySchema(Schema):
    report = fields.Dict(load_default=None)
    csv = fields.String(load_default=None, validate=validate.Length(max=50_000_000))
    signature = fields.Nested(ReportSignatureSchema, required=True)


class VerifiedSchema(Schema):
    valid = fields.Boolean()
    why = fields.String(
        metadata={
            "description": "when not valid: algorithm_unknown, key_other, "
            "signed_before_v1 (authentic, signed before 2 December 2026: take the report "
            "again) or changed"
        }
    )


def describe_campaign(view: CampaignView) -> dict[str, Any]:
    """A campaign as the API and the pages show it."""
    c = view.campaign
    return {
        "id": c.id,
        "started_by": c.started_by,
        "started_at": c.started_at,
        "departments": c.departments,
        "deadline": c.deadline,
        "at_deadline": c.at_deadline,
        "every_months": c.every_months,
        "follows": c.follows,
        "closed_at": c.closed_at,
        "cancelled_by": c.cancelled_by,
        "cancel_reason": c.cancel_reason,
        "decided": view.decided,
        "undecided": view.undecided,
        "progress": view.progress,
    }


def describe_item(view: ItemView) -> dict[str, Any]:
    """An item as its reviewer sees it."""
    item, person = view.item, view.person
    certifications = view.training.certifications if view.training else []
    return {
        "id": item.id,
        "campaign_id": item.campaign_id,
        "deadline": view.campaign.deadline,
        "account_id": item.account_id,
        "employee_number": item.employee_number,
        "name": person.name,
        "department": person.department,
        "project_group": person.project_group,
        "roles": sorted(person.roles),
        "state": view.account.state,
        "last_used_at": view.account.last_used_at,
        "certifications": certifications,
        "debtors_viewed": view.debtors_viewed,
        "decision": item.decision,
        "reason": item.reason,
        "decided_by": item.decided_by,
        "decided_at": item.decided_at,
    }


@blp.route("/campaigns", methods=["POST"])
@requires("review", "start")
@blp.arguments(StartSchema)
@blp.response(201, CampaignSchema)
@documents_refusals(blp, 400, 401, 403, 409)
def start(body: dict[str, Any]) -> Any:
    """Start a campaign: one item per account in scope, for the head who answers for it."""
    draft = CampaignDraft(
        body["departments"], body["deadline"], body["at_deadline"], body["every_months"]
    )
    view = service.start_campaign(db(), context(), current_caller().actor, draft)
    return describe_campaign(view)


@blp.route("/campaigns", methods=["GET"])
@requires("review", "oversee")
@blp.response(200, CampaignListSchema)
@documents_refusals(blp, 401, 403)
def campaigns() -> Any:
    """Every campaign with its progress, the newest first."""
    return {"campaigns": [describe_campaign(v) for v in service.list_campaigns(db())]}


@blp.route("/campaigns/<string:campaign_id>", methods=["GET"])
@requires("review", "oversee")
@blp.response(200, CampaignSchema)
@documents_refusals(blp, 401, 403, 404)
def campaign(campaign_id: str) -> Any:
    """One campaign and its progress by department."""
    return describe_campaign(service.campaign_view(db(), campaign_id))


@blp.route("/campaigns/<string:campaign_id>/cancel", methods=["POST"])
@requires("review", "start")
@blp.arguments(CancelSchema)
@blp.response(200, CampaignSchema)
@documents_refusals(blp, 400, 401, 403, 404, 409)
def cancel(body: dict[str, Any], campaign_id: str) -> Any:
    """Cancel an open campaign, with a reason: undecided items stay so, nobody is
    suspended, and a recurring campaign starts no successor."""
    view = service.cancel_campaign(
        db(), context(), current_caller().actor, campaign_id, body["reason"]
    )
    return describe_campaign(view)


@blp.route("/campaigns/<string:campaign_id>/report", methods=["GET"])
@requires("review", "oversee")
@blp.response(200, SignedReportSchema)
@documents_refusals(blp, 401, 403, 404)
def signed_report(campaign_id: str) -> Any:
    """Every decision from the trail, signed with the audit key (over the report's canonical
    JSON: keys sorted, no spaces, UTF-8)."""
    signed = report.decisions_report(db(), context(), current_caller().actor, campaign_id)
    return {"report": signed.document, "signature": signed.json_signature}


@blp.route("/campaigns/<string:campaign_id>/report.csv", methods=["GET"])
@requires("review", "oversee")
@blp.response(200, description="CSV, one decision a row; its signature in Govern-Signature.")
@documents_refusals(blp, 401, 403, 404)
def report_csv(campaign_id: str) -> Response:
    """The report's decisions as CSV, signed over its exact bytes (the Govern-Signature
    header: `{algorithm, key_id, value}` as JSON)."""
    signed = report.decisions_report(db(), context(), current_caller().actor, campaign_id)
    return report.csv_response(campaign_id, signed)


@blp.route("/reports/verify", methods=["POST"])
@requires("review", "oversee")
@blp.arguments(VerifySchema)
@blp.response(200, VerifiedSchema)
@documents_refusals(blp, 400, 401, 403)
def verify(body: dict[str, Any]) -> Any:
    """Whether a report (its JSON `report`, or its `csv` text) carries the audit key's
    signature, unchanged."""
    if (body["report"] is None) == (body["csv"] is None):
        raise BadRequest("review.report_missing", "Send the report's JSON or its CSV.")
    data = report.report_bytes(body["report"]) if body["csv"] is None else body["csv"].encode()
    valid, why = report.verify_report(context(), data, body["signature"])
    return {"valid": True} if valid else {"valid": False, "why": why}


@blp.route("/items", methods=["GET"])
@requires("review", "decide")
@blp.response(200, ItemListSchema)
@documents_refusals(blp, 401, 403)
def items() -> Any:
    """The items of open campaigns the caller reviews."""
    found = service.items_for(db(), context(), current_caller().staff)
    return {"items": [describe_item(v) for v in found]}


@blp.route("/items/<string:item_id>/decision", methods=["POST"])
@requires("review", "decide")
@blp.arguments(ItemDecisionSchema)
@blp.response(200, ItemSchema)
@documents_refusals(blp, 400, 401, 403, 404, 409)
def decide(body: dict[str, Any], item_id: str) -> Any:
    """Certify the item, or revoke or suspend its account, with a reason."""
    ctx, caller = context(), current_caller()
    service.decide(db(), ctx, caller.actor, item_id, body["decision"], body["reason"])
    return describe_item(service.item_view(db(), ctx, item_id))
