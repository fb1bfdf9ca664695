"""HTTP: the agency's recorded lines (`/api/v1/lines`) and the calls its telephone system
reports (`/api/v1/calls`) (R-NTE-2); the contact check before dialling (R-CON-1, R-CON-2,
R-CON-4, R-CON-5).

A contact check's deny is an answer (200 with its reason code and the earliest instant a call
would be allowed), not an error; errors are for a debtor, party or number the caller cannot ask
about.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from govern.bounds import Instant, Text, WholeNumber
from govern.contact import calls, guard
from govern.contact.models import Call, Line
from govern.contact.telephony import NUMBER, NotConfigured, check_signature, unsigned
from govern.debtors.views import gate
from govern.errors import NotAuthenticated
from govern.web import (
    client_address,
    context,
    current_caller,
    db,
    documents_refusals,
    requires,
    services,
)

log = logging.getLogger(__name__)

blp = Blueprint(
    "contact",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Contact: recorded lines and the calls the telephone system reports (R-NTE-2); the "
        "guard before a call (R-CON-1, R-CON-2, R-CON-4, R-CON-5)."
    ),
)

#: The OpenAPI security of the one route the telephone system uses (govern/app.py names it).
TELEPHONY = [{"telephony": []}]
SYSTEM_ID = validate.Regexp(r"^[A-Za-z0-9._:/-]{1,128}$", error="not a system id")
A_NUMBER = validate.Regexp(NUMBER, error="digits, a leading +, spaces or hyphens")

# ---- the telephone system's signature ------------------------------------------------------------


def signed_by_telephone_system(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let in only a request the telephone system signed (govern/contact/telephony.py): never
    a staff session, and no other route takes the signature."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        s = services()
        if s.telephony_key is None:
            raise NotConfigured(
                "telephony.not_configured", "GOVERN_TELEPHONY_KEY_FILE is not set here."
            )
        if "Authorization" in request.headers:
            raise unsigned(
                "telephony.session_refused",
                "This route takes the telephone system's signature, never a session.",
            )
        body = request.get_data(cache=True)
        try:
            check_signature(
                s.telephony_key, request.method, request.path, request.headers, body, s.clock.now()
            )
        except NotAuthenticated as refused:
            log.warning("a call report was refused (%s) from %s", refused.code, client_address())
            raise
        return view(*args, **kwargs)

    return guarded


# ---- lines ---------------------------------------------------------------------------------------


class NewLineSchema(Schema):
    number = fields.String(
        required=True,
        validate=[validate.Length(max=32), A_NUMBER],
        metadata={"description": "the line's number; spaces and hyphens are dropped"},
    )
    location = Text(required=True, validate=validate.Length(min=1, max=128))


class RetireSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class LineSchema(Schema):
    id = fields.String()
    number = fields.String()
    location = fields.String()
    state = fields.String(metadata={"description": "active or retired"})
    registered_at = fields.AwareDateTime()
    registered_by = fields.String()
    retired_at = fields.AwareDateTime(allow_none=True)
    retired_by = fields.String(allow_none=True)
    retire_reason = fields.String(allow_none=True)


class LineListSchema(Schema):
    lines = fields.List(fields.Nested(LineSchema))


@blp.route("/lines", methods=["POST"])
@requires("line", "manage")
@blp.arguments(NewLineSchema)
@blp.response(201, LineSchema)
@documents_refusals(blp, 401, 403, 409)
def register_line(body: dict[str, Any]) -> Line:
    """Register one of the agency's recorded landlines (IT)."""
    return calls.register_line(
        db(), context(), current_caller().actor, body["number"], body["location"]
    )


@blp.route("/lines", methods=["GET"])
@requires("line", "view")
@blp.response(200, LineListSchema)
@documents_refusals(blp, 401, 403)
def list_lines() -> dict[str, Any]:
    """Every registered line, retired ones too."""
    return {"lines": calls.list_lines(db())}


@blp.route("/lines/<string:line_id>/retire", methods=["POST"])
@requires("line", "manage")
@blp.arguments(RetireSchema)
@blp.response(200, LineSchema)
@documents_refusals(blp, 401, 403, 404, 409)
def retire_line(body: dict[str, Any], line_id: str) -> Line:
    """Retire a line, with a reason: calls over it are flagged from now on."""
    return calls.retire_line(db(), context(), current_caller().actor, line_id, body["reason"])


# ---- calls ---------------------------------------------------------------------------------------


class CallReportSchema(Schema):
    system_call_id = fields.String(required=True, validate=SYSTEM_ID)
    line = fields.String(
        required=True,
        validate=[validate.Length(max=32), A_NUMBER],
        metadata={"description": "the agency's line the call went over (its number)"},
    )
    number = fields.String(
        required=True,
        validate=[validate.Length(max=32), A_NUMBER],
        metadata={"description": "the number dialled (outbound) or calling (inbound)"},
    )
    direction = fields.String(required=True, validate=validate.OneOf(calls.DIRECTIONS))
    started_at = Instant(required=True)
    answered_at = Instant(load_default=None, allow_none=True)
    ended_at = Instant(required=True)
    recording_id = fields.String(load_default=None, allow_none=True, validate=SYSTEM_ID)


class CallSchema(Schema):
    id = fields.String()
    system_call_id = fields.String()
    line = fields.String(attribute="line_number")
    line_id = fields.String(allow_none=True)
    unregistered_line = fields.Boolean(
        metadata={"description": "over a line not registered, or retired before the call"}
    )
    direction = fields.String()
    debtor_id = fields.String(allow_none=True)
    party = fields.String(allow_none=True, metadata={"description": "debtor or contact:<n>"})
    account_id = fields.String(
        allow_none=True, metadata={"description": "the collector the guard's permit was for"}
    )
    started_at = fields.AwareDateTime()
    answered_at = fields.AwareDateTime(allow_none=True)
    ended_at = fields.AwareDateTime()
    recording_id = fields.String(allow_none=True)
    received_at = fields.AwareDateTime()


class CallQuerySchema(Schema):
    flagged = fields.Boolean(
        load_default=False, metadata={"description": "only calls over an unregistered line"}
    )
    since = Instant(data_key="from", metadata={"description": "calls started at or after"})
    until = Instant(data_key="to", metadata={"description": "calls started before"})
    limit = WholeNumber(load_default=100, validate=validate.Range(1, 1000))


class CallListSchema(Schema):
    calls = fields.List(fields.Nested(CallSchema))


@blp.route("/calls", methods=["POST"])
@signed_by_telephone_system
@blp.arguments(CallReportSchema)
@blp.response(201, CallSchema, description="The call is recorded.")
@blp.alt_response(200, schema=CallSchema, description="Reported before: the call, unchanged.")
@blp.doc(security=TELEPHONY)
@documents_refusals(blp, 400, 401, 409, 503)
def report_call(body: dict[str, Any]) -> tuple[Call, int]:
    """The telephone system reports one call (its call detail record), signed with its key."""
    call, created = calls.record_call(db(), context(), calls.CallReport(**body))
    return call, 201 if created else 200


@blp.route("/calls", methods=["GET"])
@requires("call", "view")
@blp.arguments(CallQuerySchema, location="query")
@blp.response(200, CallListSchema)
@documents_refusals(blp, 401, 403)
def list_calls(query: dict[str, Any]) -> dict[str, Any]:
    """Recorded calls, newest first; `flagged=true`: those over an unregistered line."""
    found = calls.list_calls(
        db(), query["flagged"], query.get("since"), query.get("until"), query["limit"]
    )
    return {"calls": found}


# ---- the contact check ---------------------------------------------------------------------------


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
        metadata={
            "description": "an allow: a call started before it expires takes it; until one "
            "does, it counts as an attempt for the rest of its company day"
        },
    )


@blp.route("/debtors/<string:debtor_id>/contact-check", methods=["POST"])
@requires("contact", "check")
@blp.arguments(ContactCheckSchema)
@blp.response(200, VerdictSchema)
@documents_refusals(blp, 400, 401, 403, 404, 422, 429, 503)
def contact_check(body: dict[str, str], debtor_id: str) -> dict[str, Any]:
    """May this party of the debtor be called on this number now? An allow takes a permit."""
    checked = guard.check_contact(
        db(), gate(), current_caller().actor, guard.Ask(debtor_id, body["party"], body["phone"])
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
