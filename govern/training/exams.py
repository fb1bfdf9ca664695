"""Exams and HR cases (R-TRN-5): results archived as recorded, a failed retake handed to HR."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from govern.accounts.models import REVOKED
from govern.actor import Actor, Staff
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import Conflict, Forbidden, NotFound
from govern.ids import new_id
from govern.training import repository as repo
from govern.training.catalogue import load_catalogue
from govern.training.models import ExamResult, HrCase
from govern.training.people import account_of, visible_account
from govern.training.rules import Outcome, exam_standing, grade


@dataclass(frozen=True)
class RecordedResult:
    result: ExamResult
    outcome: Outcome
    hr_case: HrCase | None


def record_result(
    db: Session,
    ctx: Context,
    trainer: Actor,
    course: str,
    account_id: str,
    score: int,
) -> RecordedResult:
    """Archive one exam result; a failed retake opens an HR case in the same transaction.

    Raises NotFound `course.unknown` / `account.unknown`, Forbidden `exam.own_result`,
    Conflict `account.revoked`, `exam.hr_case_open`, `exam.hr_no_retake`.
    """
    load_catalogue(ctx.settings.policies_dir).exam_course(course)
    account, person = account_of(db, account_id)
    if person.employee_number == trainer.staff.employee_number:  # separation of duties:
        # the act pair `exam_own_result` of policies/separation_of_duties.toml points here
        raise Forbidden("exam.own_result", "Nobody records their own exam result.")
    if account.state == REVOKED:
        raise Conflict("account.revoked", f"{account_id} is revoked; its record is closed.")
    repo.lock_account(db, account_id)  # two trainers at once must not both see "first attempt"
    standing = exam_standing(repo.exam_history(db, account_id, course))
    attempts = len(repo.results(db, account_id, course))
    outcome = grade(standing, attempts, score, ctx.settings.exam_pass_mark)
    result = ExamResult(
        account_id=account_id,
        course=course,
        score=score,
        passed=outcome.passed,
        attempt=outcome.attempt,
        recorded_by=trainer.label,
    )
    _archive(db, ctx, result)
    case = None
    if outcome.opens_hr_case:
        case = _open_case(db, ctx, trainer.label, account_id, course)
    db.commit()
    return RecordedResult(result, outcome, case)


def _archive(db: Session, ctx: Context, result: ExamResult) -> None:
    """Archive `result` as recorded now, with its event (R-TRN-5). The caller commits."""
    result.recorded_at = ctx.clock.now()
    db.add(result)
    db.flush()
    ctx.trail.record(
        db,
        "exam.result.recorded",
        result.recorded_by,
        result.account_id,
        course=result.course,
        result=result.id,
        passed=result.passed,
        attempt=result.attempt,
    )


def _open_case(
    db: Session, ctx: Context, trainer_account: str, account_id: str, course: str
) -> HrCase:
    case = HrCase(id=new_id("HR"), account_id=account_id, course=course, opened_at=ctx.clock.now())
    db.add(case)
    ctx.trail.record(db, "hr.case.opened", trainer_account, account_id, case=case.id, course=course)
    return case


def list_cases(db: Session, open_only: bool) -> list[HrCase]:
    return repo.cases(db, open_only=open_only)


@dataclass(frozen=True)
class CaseLine:
    case: HrCase
    person: Identity


def cases_with_people(db: Session, open_only: bool) -> list[CaseLine]:
    """`list_cases`, each with the person it concerns (HR's page names them)."""
    return [CaseLine(case, person) for case, person in repo.cases_with_people(db, open_only)]


def decide_case(
    db: Session,
    ctx: Context,
    hr: Actor,
    case_id: str,
    decision: str,
    note: str,
) -> HrCase:
    """HR closes a case: `allow_retake` lets results in again, `no_retake` keeps them out.

    Raises NotFound `hr_case.unknown`, Forbidden `hr_case.own`, Conflict `hr_case.decided`.
    """
    case = db.get(HrCase, case_id, with_for_update=True)  # one decision, even when two click
    if case is None:
        raise NotFound("hr_case.unknown", f"No HR case {case_id}.")
    if account_of(db, case.account_id)[1].employee_number == hr.staff.employee_number:
        raise Forbidden("hr_case.own", "Nobody decides their own case.")
    if case.decision is not None:
        raise Conflict("hr_case.decided", f"{case_id} was decided on {case.decided_at}.")
    case.decision, case.note = decision, note.strip() or None
    case.decided_by, case.decided_at = hr.label, ctx.clock.now()
    ctx.trail.record(
        db, "hr.case.decided", hr.label, case.account_id, case=case.id, decision=decision
    )
    db.commit()
    return case


def recorded_since(db: Session, account_id: str, course: str, since: datetime) -> bool:
    """Whether a result of `course` was recorded for the account at or after `since` (a
    session's start: its form records one result a person, never a resubmission's retake)."""
    return any(result.recorded_at >= since for result in repo.results(db, account_id, course))


def results_of(
    db: Session, viewer: Staff, account_id: str, readers: frozenset[str]
) -> list[ExamResult]:
    """Someone's archived results, oldest first (`readers`: `visible_account`).

    Raises NotFound `account.unknown`, Forbidden `training.not_visible`.
    """
    visible_account(db, viewer, account_id, readers)
    return repo.results(db, account_id)
