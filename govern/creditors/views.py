"""HTTP: creditors (甲方), their contracts and deletion certificates (issue 18, item 4). The
general manager records creditors, moves a contract's end and ends one now; auditors read
them and their certificates (policies/actions.toml [creditor])."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from govern.bounds import Day, Text
from govern.creditors import service
from govern.web import context, current_caller, db, documents_refusals, requires

blp = Blueprint(
    "creditors",
    __name__,
    url_prefix="/api/v1/creditors",
    description="Creditors (甲方): contract, agreed purposes, data key, deletion at the end.",
)

CREDITOR_ID = "<string:creditor_id>"


def code() -> Text:
    """A project group's or purpose's code."""
    return Text(validate=validate.Length(min=1, max=128))


class CreditorInSchema(Schema):
    name = Text(
        required=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "as the debtors' `client` column names it"},
    )
    project_groups = fields.List(code(), required=True, validate=validate.Length(min=1, max=50))
    contract_start = Day(required=True)
    contract_end = Day(required=True, metadata={"description": "its last day, today or later"})
    purposes = fields.List(
        code(),
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "reveal purposes it agreed to (fields.toml [purposes])"},
    )


class CreditorSchema(CreditorInSchema):
    id = fields.String()
    key_id = fields.String(metadata={"description": "its data key's id (never the key)"})
    created_at = fields.AwareDateTime()
    created_by = fields.String()
    ended_at = fields.AwareDateTime(allow_none=True)
    ended_by = fields.String(allow_none=True)


class CreditorListSchema(Schema):
    creditors = fields.List(fields.Nested(CreditorSchema))


class ContractEndSchema(Schema):
    contract_end = Day(required=True, metadata={"description": "the new last day, today or later"})


class CreditorEndSchema(Schema):
    name = Text(
        required=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "the creditor's name again: its data is destroyed for good"},
    )


class CertificateSchema(Schema):
    document = fields.Dict(metadata={"description": "the statement signed (canonical JSON)"})
    signature = fields.String(metadata={"description": "Ed25519, hex"})
    key_id = fields.String(metadata={"description": "the audit signing key's id"})
    public_key = fields.String(metadata={"description": "its public half, PEM"})


@blp.route("", methods=["GET"])
@requires("creditor", "view")
@blp.response(200, CreditorListSchema)
@documents_refusals(blp, 401, 403)
def list_creditors() -> dict[str, Any]:
    """Every creditor, by name, with its contract and whether it has ended."""
    return {"creditors": service.list_creditors(db())}


@blp.route("", methods=["POST"])
@requires("creditor", "manage")
@blp.arguments(CreditorInSchema)
@blp.response(201, CreditorSchema)
@documents_refusals(blp, 400, 401, 403, 409, 503)
def create_creditor(body: dict[str, Any]) -> Any:
    """A creditor with a data key of its own: its debtors are sealed under it from now on
    (those imported before are re-sealed). 400 `creditor.purpose_unknown` /
    `creditor.period_reversed` / `creditor.end_passed`, 409 `creditor.exists`, 503
    `creditor.keys_unwritable`."""
    draft = service.CreditorDraft(**body)
    return service.create_creditor(db(), context(), current_caller().account_id, draft)


@blp.route(f"/{CREDITOR_ID}", methods=["GET"])
@requires("creditor", "view")
@blp.response(200, CreditorSchema)
@documents_refusals(blp, 401, 403, 404)
def show_creditor(creditor_id: str) -> Any:
    return service.show_creditor(db(), creditor_id)


@blp.route(f"/{CREDITOR_ID}", methods=["PATCH"])
@requires("creditor", "manage")
@blp.arguments(ContractEndSchema)
@blp.response(200, CreditorSchema)
@documents_refusals(blp, 400, 401, 403, 404, 409)
def change_end(body: dict[str, Any], creditor_id: str) -> Any:
    """Move the contract's last day; 409 `creditor.ended` once its data is destroyed."""
    caller = current_caller().account_id
    return service.change_end(db(), context(), caller, creditor_id, body["contract_end"])


@blp.route(f"/{CREDITOR_ID}/end", methods=["POST"])
@requires("creditor", "manage")
@blp.arguments(CreditorEndSchema)
@blp.response(200, CertificateSchema)
@documents_refusals(blp, 400, 401, 403, 404, 409, 503)
def end_contract(body: dict[str, Any], creditor_id: str) -> Any:
    """End the contract now, its name given again: the creditor's data keys destroyed, its
    debtors unreadable, the signed deletion certificate returned. 400
    `creditor.name_mismatch`, 409 `creditor.ended` when it has ended, 503
    `creditor.keys_unwritable`."""
    ctx = context()
    caller = current_caller().account_id
    service.end_contract(db(), ctx, caller, creditor_id, confirmed=body["name"])
    return service.certificate_of(db(), ctx, creditor_id)


@blp.route(f"/{CREDITOR_ID}/certificate", methods=["GET"])
@requires("creditor", "view")
@blp.response(200, CertificateSchema)
@documents_refusals(blp, 401, 403, 404)
def certificate(creditor_id: str) -> Any:
    """The deletion certificate, with the public key that checks its signature
    (docs/governance.md); 404 `creditor.no_certificate` while the contract runs."""
    return service.certificate_of(db(), context(), creditor_id)
