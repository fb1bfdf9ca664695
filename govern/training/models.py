"""Training records: plans, exam results, HR cases, agreement signatures, leave, attendance and
feedback forms. Exam results and signatures are an archive: rows are only ever added."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime

DRAFT, APPROVED = "draft", "approved"

#: Tables the service role may only read and add to (R-TRN-5: never overwritten).
ARCHIVE_TABLES = ("exam_results", "agreement_signatures")


class TrainingPlan(Base):
    """A short- or long-term plan drafted by the office; it takes effect once the GM approves."""

    __tablename__ = "training_plans"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    term: Mapped[str] = mapped_column(String(8))
    tracks: Mapped[list[str]] = mapped_column(JSON)
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    drafted_by: Mapped[str] = mapped_column(String(32))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(32))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExamResult(Base):
    __tablename__ = "exam_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    course: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    attempt: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HrCase(Base):
    """Opened when someone fails a retake (§15.1); HR closes it with a decision."""

    __tablename__ = "hr_cases"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    course: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AgreementSignature(Base):
    __tablename__ = "agreement_signatures"
    __table_args__ = (UniqueConstraint("account_id", "agreement", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    agreement: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LeaveRequest(Base):
    __tablename__ = "training_leave"
    __table_args__ = (UniqueConstraint("account_id", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    session_id: Mapped[str] = mapped_column(String(40), index=True)
    session_day: Mapped[date] = mapped_column(Date, index=True)
    session_starts: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(32))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attendance(Base):
    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(40), index=True)
    session_day: Mapped[date] = mapped_column(Date, index=True)
    session_starts: Mapped[datetime] = mapped_column(UTCDateTime)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    plans: Mapped[list[str]] = mapped_column(JSON)  # the approved plans the session was in
    status: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedbackForm(Base):
    """A returned 《试用期/正式员工培训反馈表》 (§15.3)."""

    __tablename__ = "training_feedback"
    __table_args__ = (UniqueConstraint("plan_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("training_plans.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    assessment: Mapped[str] = mapped_column(Text)
    returned_by: Mapped[str] = mapped_column(String(32))
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime)
