"""The report of an access review campaign: every decision as the trail holds it, with the
reasons kept on the items and the progress by department, as canonical JSON and as CSV, each
signed with the audit key; and the check of a report's signature."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from flask import Response
from sqlalchemy.orm import Session

from audit.entry import canonical, decode, rfc3339
from audit.queries import EventFilter, find_events
from govern.actor import Actor
from govern.context import Context
from govern.reviews import repository as repo
from govern.reviews.models import ReviewItem
from govern.reviews.service import CampaignView, campaign_view, reason_digest

#: What a signed document is (signed inside it, so a signature of another document the audit
#: key signs is never taken for a review report's).
REPORT_TYPE = "govern.review-report/1"
#: The signature algorithm the audit key signs with; any other is refused.
ALGORITHM = "Ed25519"
#: A page of the trail's events, as the report reads them.
PAGE = 500

#: The columns of a report's CSV, one row a decision.
CSV_COLUMNS = ("seq", "time", "event", "decided_by", "item", "account", "department", "decision")
#: The trail's events a report lists: decisions, and items left to the deadline.
DECISION_EVENTS = ("review.decided", "review.lapsed")


@dataclass(frozen=True)
class SignedReport:
    """A campaign's report: the document, its canonical JSON and CSV bytes, each signed with
    the audit key."""

    document: dict[str, Any]
    json_bytes: bytes
    json_signature: dict[str, str]
    csv_bytes: bytes
    csv_signature: dict[str, str]


def decisions_report(db: Session, ctx: Context, exporter: Actor, campaign_id: str) -> SignedReport:
    """Every decision of a campaign as the trail holds it (who decided what, when; the
    event's number to prove it by), with the reason kept on the item and the progress by
    department, signed with the audit key. Exporting it is recorded (`review.reported`).

    Raises NotFound `review.campaign_unknown`.
    """
    view = campaign_view(db, campaign_id)
    items = {item.id: item for item in repo.items(db, campaign_id)}
    decisions = [_decision(ctx, event, items) for event in _events(db, campaign_id)]
    seqs = (d["seq"] for d in decisions)
    checkpoint, proofs = ctx.trail.prove_inclusions(db.connection(), seqs)
    db.commit()  # read; the export is recorded durably before it leaves
    document = _document(ctx, view, [{**d, "proof": proofs.get(d["seq"])} for d in decisions])
    document["checkpoint"] = json.loads(checkpoint.to_json()) if checkpoint else None
    document["public_key"] = ctx.trail.public_key()
    document["not_anchored"] = [d["seq"] for d in decisions if d["seq"] not in proofs]
    ctx.trail.record_now(
        db, "review.reported", exporter.label, campaign_id, decisions=len(decisions)
    )
    json_bytes = canonical(document)
    csv_bytes = _csv(decisions)
    return SignedReport(
        document,
        json_bytes,
        ctx.trail.sign_document(json_bytes),
        csv_bytes,
        ctx.trail.sign_document(csv_bytes),
    )


def _events(db: Session, campaign_id: str) -> list[dict[str, Any]]:
    """The trail's decision events of one campaign, oldest first (a page at a time)."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        wanted = EventFilter(object=campaign_id, after=after, limit=PAGE)
        rows = find_events(db.connection(), wanted)
        found += [e for e in (decode(entry) for _, entry in rows) if e["action"] in DECISION_EVENTS]
        if len(rows) < PAGE:
            return found
        after = rows[-1][0]


def _decision(ctx: Context, event: dict[str, Any], items: dict[str, ReviewItem]) -> dict[str, Any]:
    """One decision as the trail holds it; the reason from the item, with whether it is
    still the one the trail's digest was made of (`reason_intact`)."""
    details = event["details"]
    item = items.get(details["item"])
    reason = item.reason if item else None
    digest = details.get("reason_digest")
    department = details.get("department") or (item.department if item else None)
    return {
        "seq": event["seq"],
        "time": event["time"],
        "event": event["action"],
        "decided_by": event["actor"],
        "item": details["item"],
        "account": details["account"],
        "department": department,
        "decision": details["decision"],
        "reason": reason,
        "reason_digest": digest,
        "reason_intact": None if digest is None else digest == reason_digest(ctx, reason),
    }


def _document(ctx: Context, view: CampaignView, decisions: list[dict[str, Any]]) -> dict[str, Any]:
    campaign = view.campaign
    return {
        "type": REPORT_TYPE,
        "campaign": {
            "id": campaign.id,
            "started_by": campaign.started_by,
            "started_at": rfc3339(campaign.started_at),
            "departments": campaign.departments,
            "deadline": rfc3339(campaign.deadline),
            "at_deadline": campaign.at_deadline,
            "closed_at": rfc3339(campaign.closed_at) if campaign.closed_at else None,
            "cancelled_by": campaign.cancelled_by,
            "cancel_reason": campaign.cancel_reason,
        },
        "progress": [p.__dict__ for p in view.progress],
        "decisions": decisions,
        "made_at": rfc3339(ctx.clock.now()),
    }


#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv(decisions: list[dict[str, Any]]) -> bytes:
    """The decisions as CSV (UTF-8, a header row, the reason last), each text cell that a
    spreadsheet would run as a formula prefixed with `'` (before it is signed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, "reason"])
    for d in decisions:
        writer.writerow([_cell(d[c]) for c in CSV_COLUMNS] + [_cell(d["reason"] or "")])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    """A CSV cell as written: text a spreadsheet would take for a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_response(campaign_id: str, signed: SignedReport) -> Response:
    """The CSV download of a report, with its signature in the Govern-Signature header (the
    API's and the console's)."""
    response = Response(signed.csv_bytes, mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=review-{campaign_id}.csv"
    response.headers["Govern-Signature"] = json.dumps(signed.csv_signature)
    return response


def report_bytes(report: dict[str, Any]) -> bytes:
    """The bytes a JSON report's signature covers: its canonical JSON (keys sorted, no
    spaces, UTF-8)."""
    return canonical(report)


def verify_report(ctx: Context, data: bytes, signature: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether `signature` is the audit key's signature of exactly `data` (a report's JSON as
    issued, canonical, or its CSV), and if not, why: `algorithm_unknown` (not Ed25519),
    `key_other` (another key signed it: a report signed before the audit key was rotated is
    checked with that key's public half, offline), `signed_before_v1` (the key signed exactly
    `data`, as reports were signed before documents' signatures began with their context,
    `audit.signing.DOCUMENT_CONTEXT`, on 2 December 2026: authentic, to be taken again),
    `changed` (the data or signature differ)."""
    if signature.get("algorithm") != ALGORITHM:
        return False, "algorithm_unknown"
    if signature.get("key_id") != ctx.trail.signer.key_id:
        return False, "key_other"
    if not ctx.trail.verify_document(data, signature):
        return False, "signed_before_v1" if _signed_bare(ctx, data, signature) else "changed"
    return True, None


def _signed_bare(ctx: Context, data: bytes, signature: dict[str, Any]) -> bool:
    try:
        value = bytes.fromhex(str(signature.get("value", "")))
        ctx.trail.signer.public_key.verify(value, data)
    except (ValueError, InvalidSignature):
        return False
    return True
