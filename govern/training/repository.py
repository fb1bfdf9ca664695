"""Small queries the training use cases stand on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Row,
    bindparam,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import BindParameter

from govern.accounts.models import ACTIVE, Account
from govern.db import HotStatement
from govern.directory.models import Identity
from govern.training.models import (
    APPROVED,
    AgreementSignature,
    Attendance,
    ExamResult,
    FeedbackForm,
    HrCase,
    LeaveRequest,
    TrainingPlan,
)
from govern.training.rules import ExamEvent, ExamRecord
from govern.training.timetable import Plan


def approved_plans(db: Session) -> list[Plan]:
    query = select(TrainingPlan).where(TrainingPlan.state == APPROVED)
    return [Plan(p.id, tuple(p.tracks), p.starts, p.ends) for p in db.scalars(query)]


def plans(db: Session) -> list[TrainingPlan]:
    return list(db.scalars(select(TrainingPlan).order_by(TrainingPlan.starts, TrainingPlan.id)))


def hire_dates(db: Session, start: date, end: date) -> list[date]:
    """Hire dates of people in the directory within [start, end] (induction days)."""
    query = select(Identity.hire_date).where(
        Identity.hire_date.between(start, end), Identity.gone_at.is_(None)
    )
    return [day for day in db.scalars(query.distinct()) if day is not None]


def hired_between(db: Session, start: date, end: date) -> list[Identity]:
    """People in the directory hired within [start, end], by hire date then employee number."""
    query = select(Identity).where(
        Identity.hire_date.between(start, end), Identity.gone_at.is_(None)
    )
    return list(db.scalars(query.order_by(Identity.hire_date, Identity.employee_number)))


def account_with_identity(db: Session, account_id: str) -> tuple[Account, Identity] | None:
    query = select(Account, Identity).join(
        Identity, Identity.employee_number == Account.employee_number
    )
    row = db.execute(query.where(Account.id == account_id)).first()
    return None if row is None else (row[0], row[1])


def lock_account(db: Session, account_id: str) -> None:
    """Hold the account's row until the transaction ends (PostgreSQL; SQLite writes one at a
    time anyway)."""
    db.execute(select(Account.id).where(Account.id == account_id).with_for_update())


def results(db: Session, account_id: str, course: str | None = None) -> list[ExamResult]:
    query = select(ExamResult).where(ExamResult.account_id == account_id)
    if course is not None:
        query = query.where(ExamResult.course == course)
    return list(db.scalars(query.order_by(ExamResult.id)))


def cases(db: Session, account_id: str | None = None, open_only: bool = False) -> list[HrCase]:
    query = select(HrCase)
    if account_id is not None:
        query = query.where(HrCase.account_id == account_id)
    if open_only:
        query = query.where(HrCase.decision.is_(None))
    return list(db.scalars(query.order_by(HrCase.opened_at, HrCase.id)))


def cases_with_people(db: Session, open_only: bool) -> list[tuple[HrCase, Identity]]:
    query = (
        select(HrCase, Identity)
        .join(Account, Account.id == HrCase.account_id)
        .join(Identity, Identity.employee_number == Account.employee_number)
    )
    if open_only:
        query = query.where(HrCase.decision.is_(None))
    rows = db.execute(query.order_by(HrCase.opened_at, HrCase.id))
    return [(case, person) for case, person in rows]


def exam_history(db: Session, account_id: str, course: str) -> list[ExamEvent]:
    """Results and HR's cases and decisions for one person's course, as rule inputs."""
    events = [
        ExamEvent(r.recorded_at, "pass" if r.passed else "fail")
        for r in results(db, account_id, course)
    ]
    for case in cases(db, account_id):
        if case.course == course:
            events.append(ExamEvent(case.opened_at, "hr_case"))
            if case.decision is not None and case.decided_at is not None:
                events.append(ExamEvent(case.decided_at, case.decision))
    return events


@dataclass(frozen=True)
class TrainingRecord:
    """What certifications are decided from: results by course, signatures by agreement."""

    results: dict[str, list[ExamRecord]]
    signed: dict[str, dict[str, datetime]]  # agreement → version → when


def _record_query(accounts: BindParameter | list[BindParameter]) -> CompoundSelect:
    """Results and signatures of the accounts `accounts` selects, oldest first, each row
    naming its account."""
    return union_all(
        select(
            ExamResult.account_id,
            literal("exam"),
            ExamResult.course,
            ExamResult.passed,
            literal(""),
            ExamResult.recorded_at,
            ExamResult.id.label("n"),
        ).where(ExamResult.account_id.in_(accounts)),
        select(
            AgreementSignature.account_id,
            literal("agreement"),
            AgreementSignature.agreement,
            literal(True),
            AgreementSignature.version,
            AgreementSignature.signed_at,
            AgreementSignature.id.label("n"),
        ).where(AgreementSignature.account_id.in_(accounts)),
    ).order_by(text("n"))


_RECORD = HotStatement(_record_query([bindparam("account_id")]))
_RECORDS = _record_query(bindparam("account_ids", expanding=True))


def training_record(db: Session, account_id: str) -> TrainingRecord:
    """One round trip (every request that reads debtor data asks it): results, oldest first,
    and signatures. A hot statement (govern/db.py): the ORM took two thirds of its time, and
    SQLAlchemy's execution most of the rest."""
    db.flush()  # the ORM would have: a result recorded in this session counts
    rows = _RECORD.rows(db, {"account_id": account_id})
    return _records(rows, [account_id])[account_id]


def record_entries(account_id: BindParameter) -> ColumnElement[int]:
    """How many entries (results and signatures) the account's training record holds: its
    rows are only ever added (the archive tables, R-TRN-5), so the number grows with every
    entry, whichever instance made it, and a record read at that number is still the record."""
    results = select(func.count()).where(ExamResult.account_id == account_id)
    signed = select(func.count()).where(AgreementSignature.account_id == account_id)
    return results.scalar_subquery() + signed.scalar_subquery()


def training_records(db: Session, account_ids: list[str]) -> dict[str, TrainingRecord]:
    """`training_record` of each of `account_ids`, in one round trip."""
    db.flush()
    if not account_ids:
        return {}
    rows = db.connection().execute(_RECORDS, {"account_ids": list(account_ids)})
    return _records(rows, account_ids)


def _records(rows: Iterable[Row], account_ids: list[str]) -> dict[str, TrainingRecord]:
    records = {account_id: TrainingRecord({}, {}) for account_id in account_ids}
    for account_id, kind, name, passed, version, at, _ in rows:
        record = records[account_id]
        if kind == "exam":
            record.results.setdefault(name, []).append(ExamRecord(bool(passed), at))
        else:
            record.signed.setdefault(name, {})[version] = at
    return records


def accounts_with_identities(
    db: Session, account_ids: list[str]
) -> dict[str, tuple[Account, Identity]]:
    """`account_with_identity` of each of `account_ids` that exists, in one query."""
    query = select(Account, Identity).join(
        Identity, Identity.employee_number == Account.employee_number
    )
    rows = db.execute(query.where(Account.id.in_(account_ids))) if account_ids else []
    return {account.id: (account, person) for account, person in rows}


def signatures(db: Session, account_id: str, agreement: str) -> list[AgreementSignature]:
    query = select(AgreementSignature).where(
        AgreementSignature.account_id == account_id, AgreementSignature.agreement == agreement
    )
    return list(db.scalars(query.order_by(AgreementSignature.signed_at)))


def leave_from(db: Session, account_id: str, session_ids: list[str]) -> list[LeaveRequest]:
    """The leave `account_id` asked from any of the sessions `session_ids`."""
    query = select(LeaveRequest).where(
        LeaveRequest.account_id == account_id, LeaveRequest.session_id.in_(session_ids)
    )
    return list(db.scalars(query))


def active_people(db: Session, department: str | None) -> list[tuple[str, Identity]]:
    """Active accounts and their people, of one department or all, by department then
    employee number."""
    query = (
        select(Account.id, Identity)
        .join(Identity, Identity.employee_number == Account.employee_number)
        .where(Account.state == ACTIVE)
    )
    if department is not None:
        query = query.where(Identity.department == department)
    rows = db.execute(query.order_by(Identity.department, Identity.employee_number))
    return [(account_id, person) for account_id, person in rows]


def pending_leave(db: Session, now: datetime) -> list[tuple[LeaveRequest, Identity]]:
    """Leave not yet approved for sessions that start after `now`, soonest first."""
    query = (
        select(LeaveRequest, Identity)
        .join(Account, Account.id == LeaveRequest.account_id)
        .join(Identity, Identity.employee_number == Account.employee_number)
        .where(LeaveRequest.approved_at.is_(None), LeaveRequest.session_starts > now)
    )
    rows = db.execute(query.order_by(LeaveRequest.session_starts, LeaveRequest.id))
    return [(leave, person) for leave, person in rows]


def attendance_at(db: Session, session_id: str) -> dict[str, str]:
    """account id → the attendance status recorded for one session."""
    query = select(Attendance.account_id, Attendance.status).where(
        Attendance.session_id == session_id
    )
    return {account_id: status for account_id, status in db.execute(query)}


def attendance_between(
    db: Session, start: date, end: date, department: str | None
) -> list[tuple[Attendance, Identity, LeaveRequest | None]]:
    """Attendance of the sessions from `start` to `end` (of one department or all), each with
    its person and the leave they asked from that session (None: none), by day."""
    query = (
        select(Attendance, Identity, LeaveRequest)
        .join(Account, Account.id == Attendance.account_id)
        .join(Identity, Identity.employee_number == Account.employee_number)
        .outerjoin(
            LeaveRequest,
            (LeaveRequest.account_id == Attendance.account_id)
            & (LeaveRequest.session_id == Attendance.session_id),
        )
        .where(Attendance.session_day.between(start, end))
    )
    if department is not None:
        query = query.where(Identity.department == department)
    rows = db.execute(query.order_by(Attendance.session_day, Attendance.id))
    return [(record, person, leave) for record, person, leave in rows]


def feedback_forms(db: Session, plan_ids: Iterable[str]) -> dict[tuple[str, str], FeedbackForm]:
    """(plan id, account id) → the feedback form returned, of the plans `plan_ids`."""
    query = select(FeedbackForm).where(FeedbackForm.plan_id.in_(list(plan_ids)))
    return {(form.plan_id, form.account_id): form for form in db.scalars(query)}


def added_once(db: Session, row: object) -> bool:
    """Insert a row a unique constraint allows once; False (and nothing kept) if it exists."""
    try:
        db.add(row)
        db.flush()
    except IntegrityError:
        db.rollback()
        return False
    return True
