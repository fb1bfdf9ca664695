"""HTTP: collection notes and a debtor's parties (R-NTE-1, R-CON-3, R-CON-4), complaint cases
(R-CON-5), calls left without a note (R-NTE-1).

Notes are append-only: there is no route to edit or delete one; a correction is a new note
naming the one it corrects (`corrects`). A note's time is never the client's.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from govern.bounds import Instant, Text, WholeNumber
from govern.debtors.views import gate
from govern.notes import complaints
from govern.notes import service as notes
from govern.notes.rules import DIRECTIONS, FLAGS, OUTCOMES, PURPOSES, TEXT_LIMIT, NoteAsked
from govern.web import context, current_caller, db, documents_refusals, requires

notes_blp = Blueprint(
    "notes",
    __name__,
    url_prefix="/api/v1/debtors",
    description="Collection notes, append-only; a debtor's parties (R-NTE-1, R-CON-3, R-CON-4).",
)
complaints_blp = Blueprint(
    "complaints",
    __name__,
    url_prefix="/api/v1/complaints",
    description="Complaint stops: cases, deadlines, resuming, the client report (R-CON-5).",
)
calls_blp = Blueprint(
    "unnoted",
    __name__,
    url_prefix="/api/v1/calls",
    description="Calls no note records past their due time; your own calls, to note (R-NTE-1).",
)

ID = validate.Length(min=1, max=16)
#: Times a client may not set: a note's time is its call's or the server's (no back-dating).
SERVER_TIMES = ("occurred_at", "recorded_at")


class NoteSchema(Schema):
    party = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "debtor, or contact:<n> (the n-th emergency contact)"},
    )
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    purpose = fields.String(validate=validate.OneOf(PURPOSES))
    flags = fields.List(
        fields.String(validate=validate.OneOf(FLAGS)),
        load_default=list,
        validate=validate.Length(max=len(FLAGS)),
        metadata={"description": "do_not_call (R-CON-4), complaint, complaint_tendency (R-CON-5)"},
    )
    call_id = fields.String(validate=ID, metadata={"description": "required for a call note"})
    corrects = fields.String(validate=ID, metadata={"description": "the note this one corrects"})
    text = Text(required=True, validate=validate.Length(min=1, max=TEXT_LIMIT))
    occurred_at = fields.Raw(metadata={"description": "refused: set from the call or the server"})
    recorded_at = fields.Raw(metadata={"description": "refused: set by the server"})

    @validates_schema
    def _no_client_time(self, data: dict[str, Any], **_: Any) -> None:
        for name in SERVER_TIMES:
            if name in data:
                raise ValidationError(
                    "A note's time comes from its call record or the server clock; "
                    "do not send one.",
                    name,
                )


class NoteShownSchema(Schema):
    id = fields.String()
    debtor_id = fields.String()
    party = fields.String()
    direction = fields.String()
    outcome = fields.String()
    purpose = fields.String(allow_none=True)
    flags = fields.List(fields.String())
    call_id = fields.String(allow_none=True)
    corrects = fields.String(allow_none=True)
    text = fields.String()
    account_id = fields.String()
    occurred_at = fields.DateTime()
    recorded_at = fields.DateTime()


class NotesSchema(Schema):
    notes = fields.List(fields.Nested(NoteShownSchema))


class PartySchema(Schema):
    party = fields.String()
    relation = fields.String(allow_none=True)
    blocked = fields.Boolean()
    amount_owed = fields.String(allow_none=True)
    withheld = fields.Dict(metadata={"description": "field → reason code"})


class PartiesSchema(Schema):
    parties = fields.List(fields.Nested(PartySchema))


@notes_blp.route("/<string:debtor_id>/notes", methods=["POST"])
@requires("note", "add")
@notes_blp.arguments(NoteSchema)
@notes_blp.response(201, NoteShownSchema)
@documents_refusals(notes_blp, 400, 401, 403, 404, 409, 422, 503)
def add(body: dict[str, Any], debtor_id: str) -> dict[str, Any]:
    """Record a note of a debtor you reach; a correction is a new note naming the old one."""
    asked = NoteAsked(
        body["party"],
        body["direction"],
        body["outcome"],
        body.get("purpose"),
        tuple(body["flags"]),
        body.get("call_id"),
        body.get("corrects"),
    )
    note = notes.add_note(db(), gate(), current_caller().actor, debtor_id, asked, body["text"])
    return _note(notes.NoteShown(note, body["text"]))


@notes_blp.route("/<string:debtor_id>/notes", methods=["GET"])
@requires("note", "view")
@notes_blp.response(200, NotesSchema)
@documents_refusals(notes_blp, 400, 401, 403, 404, 503)
def index(debtor_id: str) -> dict[str, Any]:
    """A debtor's notes, oldest first (each read audited)."""
    shown = notes.read_notes(db(), gate(), current_caller().actor, debtor_id)
    return {"notes": [_note(item) for item in shown]}


@notes_blp.route("/<string:debtor_id>/parties", methods=["GET"])
@requires("note", "view")
@notes_blp.response(200, PartiesSchema)
@documents_refusals(notes_blp, 400, 401, 403, 404, 503)
def parties(debtor_id: str) -> dict[str, Any]:
    """The debtor and their emergency contacts: blocked, and the amount owed where allowed
    (for a third party only once a note records their offer to pay, R-CON-3)."""
    shown = notes.parties(db(), gate(), current_caller().actor, debtor_id)
    return {"parties": [vars(party) for party in shown]}


def _note(shown: notes.NoteShown) -> dict[str, Any]:
    note = shown.note
    return {
        "id": note.id,
        "debtor_id": note.debtor_id,
        "party": note.party,
        "direction": note.direction,
        "outcome": note.outcome,
        "purpose": note.purpose,
        "flags": shown.flags,
        "call_id": note.call_id,
        "corrects": note.corrects,
        "text": shown.text,
        "account_id": note.account_id,
        "occurred_at": note.occurred_at,
        "recorded_at": note.recorded_at,
    }


# ---- complaints ------------------------------------------------------------------------------


class ComplaintsQuerySchema(Schema):
    report = fields.Boolean(
        load_default=False,
        metadata={"description": "true: the cases not yet reported to the client"},
    )


class ResumeSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ComplaintCaseSchema(Schema):
    id = fields.String()
    debtor_id = fields.String()
    kind = fields.String(metadata={"description": "complaint or tendency"})
    note_id = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "open or resumed"})
    opened_at = fields.DateTime()
    opened_by = fields.String()
    deadline = fields.DateTime()
    overdue = fields.Boolean()
    resumed_at = fields.DateTime(allow_none=True)
    resumed_by = fields.String(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)


class ComplaintCasesSchema(Schema):
    cases = fields.List(fields.Nested(ComplaintCaseSchema))


@complaints_blp.route("", methods=["GET"])
@requires("complaint", "view")
@complaints_blp.arguments(ComplaintsQuerySchema, location="query")
@complaints_blp.response(200, ComplaintCasesSchema)
@documents_refusals(complaints_blp, 401, 403)
def cases(query: dict[str, Any]) -> dict[str, Any]:
    """Open cases of the debtors you reach, the nearest deadline first; `report=true`: the
    cases to report to the client."""
    listing = complaints.cases_to_report if query["report"] else complaints.open_cases
    found = listing(db(), gate(), current_caller().actor)
    return {"cases": [_case(case) for case in found]}


@complaints_blp.route("/<string:case_id>/resume", methods=["POST"])
@requires("complaint", "resume")
@complaints_blp.arguments(ResumeSchema)
@complaints_blp.response(200, ComplaintCaseSchema)
@documents_refusals(complaints_blp, 401, 403, 404, 409, 422)
def resume(body: dict[str, str], case_id: str) -> dict[str, Any]:
    """Close a case of a debtor you reach with a reason; collection resumes once no case of
    the debtor is open."""
    actor = current_caller().actor
    return _case(complaints.resume(db(), gate(), actor, case_id, body["reason"]))


@complaints_blp.route("/<string:case_id>/reported", methods=["POST"])
@requires("complaint", "report")
@complaints_blp.response(200, ComplaintCaseSchema)
@documents_refusals(complaints_blp, 401, 403, 404, 409)
def reported(case_id: str) -> dict[str, Any]:
    """Record that a case of a debtor you reach was reported to the client."""
    return _case(complaints.mark_reported(db(), gate(), current_caller().actor, case_id))


def _case(listed: complaints.Case) -> dict[str, Any]:
    names = [name for name in ComplaintCaseSchema().fields if name != "overdue"]
    return {**{name: getattr(listed.case, name) for name in names}, "overdue": listed.overdue}


# ---- unnoted calls ---------------------------------------------------------------------------


class UnnotedSchema(Schema):
    call_id = fields.String()
    direction = fields.String()
    started_at = fields.DateTime()
    debtor_id = fields.String(allow_none=True)
    party = fields.String(allow_none=True)
    collector = fields.String(
        allow_none=True,
        metadata={"description": "the account that made or took the call; null: not known"},
    )
    collector_name = fields.String(allow_none=True)
    due = fields.DateTime()


class UnnotedListSchema(Schema):
    calls = fields.List(fields.Nested(UnnotedSchema))


@calls_blp.route("/unnoted", methods=["GET"])
@requires("note", "unnoted")
@calls_blp.response(200, UnnotedListSchema)
@documents_refusals(calls_blp, 401, 403)
def unnoted() -> dict[str, Any]:
    """Calls whose note is overdue: your department's collectors' (head), your project
    group's and those no collector is known for with its debtors (supervisor), every one no
    collector is known for (IT)."""
    found = complaints.unnoted_calls(db(), context(), current_caller().actor)
    return {"calls": [_unnoted(item) for item in found]}


def _unnoted(item: complaints.Unnoted) -> dict[str, Any]:
    call = item.call
    return {
        "call_id": call.id,
        "direction": call.direction,
        "started_at": call.started_at,
        "debtor_id": call.debtor_id,
        "party": call.party,
        "collector": item.collector,
        "collector_name": item.collector_name,
        "due": item.due,
    }


class OwnCallsQuerySchema(Schema):
    since = Instant(
        metadata={"description": "calls started at or after; by default the start of yesterday"}
    )
    limit = WholeNumber(load_default=100, validate=validate.Range(1, 1000))


class OwnCallSchema(Schema):
    id = fields.String(metadata={"description": "the call_id a call note names"})
    debtor_id = fields.String(allow_none=True)
    party = fields.String(allow_none=True)
    direction = fields.String()
    started_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime()
    noted = fields.Boolean(metadata={"description": "a note records the call"})


class OwnCallsSchema(Schema):
    calls = fields.List(fields.Nested(OwnCallSchema))


@calls_blp.route("/mine", methods=["GET"])
@requires("call", "view_own")
@calls_blp.arguments(OwnCallsQuerySchema, location="query")
@calls_blp.response(200, OwnCallsSchema)
@documents_refusals(calls_blp, 401, 403, 422)
def mine(query: dict[str, Any]) -> dict[str, Any]:
    """The calls you made or took, newest first, to note them (never the number)."""
    actor = current_caller().actor
    found = complaints.own_calls(db(), context(), actor, query.get("since"), query["limit"])
    names = [name for name in OwnCallSchema().fields if name != "noted"]
    return {
        "calls": [
            {**{name: getattr(item.call, name) for name in names}, "noted": item.noted}
            for item in found
        ]
    }
