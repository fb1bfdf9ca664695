"""Request and response shapes of the training API (validation and the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from govern.bounds import Day, Text
from govern.training.catalogue import TRACKS
from govern.training.rules import ABSENT, ALLOW_RETAKE, LEFT_EARLY, NO_RETAKE, PRESENT

ACCOUNT_ID = validate.Regexp(r"^GV-[0-9A-Z]{4}-[0-9A-Z]{4}$", error="not an account id")


class ExamScore(fields.Integer):
    """A whole number 0-100 sent as a JSON number: not "80", not 80.5, not true."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("A score is a whole number from 0 to 100.")
        return super()._deserialize(value, attr, data, **kwargs)


class RangeSchema(Schema):
    start = Day(data_key="from", required=True)
    end = Day(data_key="to", required=True)
    track = fields.String(validate=validate.OneOf(TRACKS))


class InductionOwedSchema(Schema):
    employee_number = fields.String()
    name = fields.String()
    department = fields.String()
    project_group = fields.String(allow_none=True)
    track = fields.String(allow_none=True)
    hire_date = fields.Date()


class InductionOwedListSchema(Schema):
    unscheduled = fields.List(fields.Nested(InductionOwedSchema))


class PlanInSchema(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    term = fields.String(required=True, validate=validate.OneOf(["short", "long"]))
    tracks = fields.List(
        fields.String(validate=validate.OneOf(TRACKS)),
        required=True,
        validate=validate.Length(min=1),
    )
    starts = Day(required=True)
    ends = Day(required=True)


class PlanSchema(PlanInSchema):
    id = fields.String()
    state = fields.String()
    drafted_by = fields.String()
    drafted_at = fields.AwareDateTime()
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)


class PlanListSchema(Schema):
    plans = fields.List(fields.Nested(PlanSchema))


class TrainingSessionSchema(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    section = fields.String()
    day = fields.Date()
    starts = fields.AwareDateTime()
    ends = fields.AwareDateTime()
    tracks = fields.List(fields.String())
    host = fields.String()
    plans = fields.List(fields.String())


class SessionListSchema(Schema):
    sessions = fields.List(fields.Nested(TrainingSessionSchema))


class ResultInSchema(Schema):
    account_id = fields.String(required=True, validate=ACCOUNT_ID)
    score = ExamScore(required=True, strict=True, validate=validate.Range(0, 100))


class ResultSchema(Schema):
    id = fields.Integer()
    account_id = fields.String()
    course = fields.String()
    score = fields.Integer()
    passed = fields.Boolean()
    attempt = fields.Integer()
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()


class RecordedResultSchema(ResultSchema):
    next_step = fields.String(metadata={"description": "passed, retake_required, hr_case_open"})
    hr_case = fields.String(allow_none=True)


class ResultListSchema(Schema):
    results = fields.List(fields.Nested(ResultSchema))


class CaseQuerySchema(Schema):
    state = fields.String(load_default="open", validate=validate.OneOf(["open", "all"]))


class CaseSchema(Schema):
    id = fields.String()
    account_id = fields.String()
    course = fields.String()
    opened_at = fields.AwareDateTime()
    decision = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)


class CaseListSchema(Schema):
    cases = fields.List(fields.Nested(CaseSchema))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf([ALLOW_RETAKE, NO_RETAKE]))
    note = Text(load_default="", validate=validate.Length(max=2000))


class AgreementSchema(Schema):
    name = fields.String()
    title = fields.String()
    version = fields.String()
    text = fields.String()
    signed_at = fields.AwareDateTime(allow_none=True, metadata={"description": "yours, if signed"})


class SignInSchema(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1, max=32))


class SignatureSchema(Schema):
    agreement = fields.String()
    version = fields.String()
    signed_at = fields.AwareDateTime()


class LeaveSchema(Schema):
    id = fields.Integer()
    account_id = fields.String()
    session_id = fields.String()
    session_starts = fields.AwareDateTime()
    submitted_at = fields.AwareDateTime()
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    excuses = fields.Boolean(metadata={"description": "whether it excuses an absence as it stands"})
    problem = fields.String(allow_none=True, metadata={"description": "why it does not"})


class AttendanceInSchema(Schema):
    account_id = fields.String(required=True, validate=ACCOUNT_ID)
    status = fields.String(required=True, validate=validate.OneOf([PRESENT, ABSENT, LEFT_EARLY]))


class AttendanceSchema(Schema):
    session_id = fields.String()
    day = fields.Date()
    account_id = fields.String()
    employee_number = fields.String()
    name = fields.String()
    department = fields.String()
    status = fields.String()
    verdict = fields.String(metadata={"description": "present, excused or unexcused (旷工)"})
    leave_problem = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()


class AttendanceQuerySchema(Schema):
    start = Day(data_key="from", required=True)
    end = Day(data_key="to", required=True)
    department = fields.String(validate=validate.Length(min=1, max=128))


class AttendanceListSchema(Schema):
    attendance = fields.List(fields.Nested(AttendanceSchema))


class FeedbackQuerySchema(Schema):
    department = fields.String(validate=validate.Length(min=1, max=128))
    state = fields.String(validate=validate.OneOf(["due", "overdue", "returned"]))


class FeedbackSchema(Schema):
    plan_id = fields.String()
    account_id = fields.String()
    employee_number = fields.String()
    name = fields.String()
    department = fields.String()
    kind = fields.String(metadata={"description": "probation (试用期) or regular (正式)"})
    due = fields.Date()
    state = fields.String()
    returned_at = fields.AwareDateTime(allow_none=True)


class FeedbackListSchema(Schema):
    forms = fields.List(fields.Nested(FeedbackSchema))


class FeedbackInSchema(Schema):
    plan_id = fields.String(required=True, validate=validate.Length(min=1, max=16))
    account_id = fields.String(required=True, validate=ACCOUNT_ID)
    assessment = Text(required=True, validate=validate.Length(min=1, max=10_000))


class CertificationSchema(Schema):
    name = fields.String()
    title = fields.String()
    holds = fields.Boolean()
    since = fields.AwareDateTime(allow_none=True)
    until = fields.AwareDateTime(allow_none=True)
    missing = fields.List(fields.String())


class TrainingStatusSchema(Schema):
    account_id = fields.String()
    track = fields.String(allow_none=True)
    in_training = fields.Boolean()
    certifications = fields.List(fields.Nested(CertificationSchema))
