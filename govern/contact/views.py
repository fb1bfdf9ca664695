"""HTTP: the contact check before dialling (R-CON-1, R-CON-2, R-CON-4, R-CON-5).

A deny is an answer (200 with its reason code and the earliest instant a call would be
allowed), not an error; errors are for a debtor, party or number the caller cannot ask about.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from govern.contact import guard
from govern.web import current_caller, db, documents_refusals, gate, requires

blp = Blueprint(
    "contact",
    __name__,
    url_prefix="/api/v1",
    description="Contact: the guard before a call (R-CON-1, R-CON-2, R-CON-4, R-CON-5).",
)


class ContactCheckSchema(Schema):
    party = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "debtor, or contact:<n> (the n-th emergency contact, from 1)"},
    )
    phone = fields.String(
        required=True,
        validate=validate.Length(min=3, max=32),
        metadata={"description": "the number about to be dialled: one of the party's"},
    )


class PermitSchema(Schema):
    id = fields.String()
    expires_at = fields.AwareDateTime()


class VerdictSchema(Schema):
    allowed = fields.Boolean()
    reason = fields.String(
        allow_none=True, metadata={"description": "a deny's stable code, e.g. contact.quiet_hours"}
    )
    rule = fields.String(allow_none=True, metadata={"description": "e.g. R-CON-1"})
    earliest = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "a deny: the earliest instant a call would be allowed, if any"},
    )
    profile = fields.String(metadata={"description": "the contact profile that judged"})
    permit = fields.Nested(
        PermitSchema,
        allow_none=True,
        metadata={"description": "an allow: counts as an attempt until its call is reported"},
    )


@blp.route("/debtors/<string:debtor_id>/contact-check", methods=["POST"])
@requires("contact", "check")
@blp.arguments(ContactCheckSchema)
@blp.response(200, VerdictSchema)
@documents_refusals(blp, 400, 401, 403, 404, 422, 503)
def contact_check(body: dict[str, str], debtor_id: str) -> dict[str, Any]:
    """May this party of the debtor be called on this number now? An allow takes a permit."""
    checked = guard.check_contact(
        db(), gate(), current_caller(), guard.Ask(debtor_id, body["party"], body["phone"])
    )
    verdict, permit = checked.verdict, checked.permit
    return {
        "allowed": verdict.allowed,
        "reason": verdict.reason,
        "rule": verdict.rule,
        "earliest": verdict.earliest,
        "profile": checked.profile,
        "permit": {"id": permit.id, "expires_at": permit.expires_at} if permit else None,
    }
