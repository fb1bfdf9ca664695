"""The training rules as plain functions: exams and retakes, certifications, induction owed,
leave and attendance, feedback forms, whose records a viewer sees, the ranges one may ask for.
They take facts and return decisions; no Flask, no SQL."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from govern.accounts.rules import DEPARTMENT_HEAD
from govern.actor import Staff
from govern.errors import BadRequest, Conflict, Forbidden
from govern.text import in_language

if TYPE_CHECKING:
    from govern.training.catalogue import Agreement, Certification

PRESENT, ABSENT, LEFT_EARLY = "present", "absent", "left_early"
ALLOW_RETAKE, NO_RETAKE = "allow_retake", "no_retake"
PASSED, NOT_TAKEN, RETAKE_REQUIRED, HR_CASE_OPEN, HR_NO_RETAKE = (
    "passed",
    "not_taken",
    "retake_required",
    "hr_case_open",
    "hr_no_retake",
)


# ---- exams (R-TRN-5) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamEvent:
    """One thing that happened to someone's exam in one course, in time order."""

    at: datetime
    kind: str  # "pass", "fail", "hr_case", ALLOW_RETAKE or NO_RETAKE


@dataclass(frozen=True)
class Outcome:
    passed: bool
    attempt: int
    opens_hr_case: bool

    @property
    def next_step(self) -> str:
        if self.passed:
            return PASSED
        return HR_CASE_OPEN if self.opens_hr_case else RETAKE_REQUIRED


def exam_standing(history: Iterable[ExamEvent]) -> str:
    """Where someone stands in one course: passed, not_taken, retake_required, hr_case_open
    or hr_no_retake. A fail after HR's `allow_retake` is a failed retake again."""
    after = {
        "pass": PASSED,
        "fail": RETAKE_REQUIRED,
        "hr_case": HR_CASE_OPEN,
        ALLOW_RETAKE: RETAKE_REQUIRED,
        NO_RETAKE: HR_NO_RETAKE,
    }
    order = list(after)  # at one instant a result comes before the case it opens
    standing = NOT_TAKEN
    for event in sorted(history, key=lambda e: (e.at, order.index(e.kind))):
        standing = after[event.kind]
    return standing


def grade(standing: str, attempts_so_far: int, score: int, pass_mark: int) -> Outcome:
    """The outcome of a new result. Below the pass mark a first attempt needs a retake; a
    failed retake goes to HR (§15.1). Raises Conflict while HR holds the course."""
    if standing == HR_CASE_OPEN:
        raise Conflict(
            "exam.hr_case_open",
            "HR is handling this person's repeated failure; results wait for HR's decision.",
        )
    if standing == HR_NO_RETAKE:
        raise Conflict("exam.hr_no_retake", "HR decided this person takes no further retake.")
    passed = score >= pass_mark
    return Outcome(passed, attempts_so_far + 1, not passed and standing == RETAKE_REQUIRED)


class Titled:
    """A catalogue entry with a Chinese `title` and an optional English `title_en`."""

    title: str
    title_en: str

    def title_in(self, language: str) -> str:
        """The title in the console's `language`: English when given, else the Chinese."""
        return in_language(language, self.title, self.title_en)


# ---- certifications ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamRecord:
    passed: bool
    at: datetime


@dataclass(frozen=True)
class CertificationStatus(Titled):
    name: str
    title: str
    holds: bool
    since: datetime | None
    until: datetime | None
    missing: list[str] = field(default_factory=list)
    title_en: str = ""


def certification_status(
    certification: Certification,
    results: Mapping[str, Sequence[ExamRecord]],
    signed: Mapping[str, datetime],
    agreement: Agreement | None,
    now: datetime,
    recertify_days: int,
) -> CertificationStatus:
    """Whether `certification` holds at `now`, since and until when, and what is missing.

    `results` are each course's results, oldest first; `signed` the signing time per version
    of the certification's agreement. Missing items are codes such as `exam.CMP-CONDUCT.failed`.
    """
    validity = timedelta(days=recertify_days) if recertify_days else None
    missing, since, until = [], [], []
    for course in certification.exams:
        problem, held_since, held_until = course_holding(results.get(course, ()), now, validity)
        if problem is not None:
            missing.append(f"exam.{course}.{problem}")
        since.append(held_since)
        until.append(held_until)
    if agreement is not None:
        problem, signed_at = _agreement_holding(agreement, signed)
        if problem is not None:
            missing.append(f"agreement.{agreement.name}.{problem}")
        since.append(signed_at)
    holds = not missing
    return CertificationStatus(
        certification.name,
        certification.title,
        holds,
        max((s for s in since if s), default=None) if holds else None,
        min((u for u in until if u), default=None) if holds else None,
        missing,
        certification.title_en,
    )


def course_holding(
    results: Sequence[ExamRecord], now: datetime, validity: timedelta | None
) -> tuple[str | None, datetime | None, datetime | None]:
    """(problem, since, until) for one course: `missing`, `failed` or `expired`, else held
    since the first pass of the unbroken run of passes that ends with the latest."""
    if not results:
        return "missing", None, None
    latest = results[-1]
    if not latest.passed:
        return "failed", None, None
    if validity is not None and latest.at + validity <= now:
        return "expired", None, None
    since = latest.at
    for earlier in reversed(results[:-1]):
        if not earlier.passed or (validity is not None and earlier.at + validity < since):
            break
        since = earlier.at
    return None, since, latest.at + validity if validity is not None else None


def _agreement_holding(
    agreement: Agreement, signed: Mapping[str, datetime]
) -> tuple[str | None, datetime | None]:
    if agreement.current in signed:
        return None, signed[agreement.current]
    return ("outdated" if signed else "unsigned"), None


#: The tracks that are past training by definition; any other track (intern, or `unknown` when
#: the directory does not say) is in training until the intern track's certifications hold.
TRAINED_TRACKS = ("ordinary", "management")


def in_training(track: str | None, required: Iterable[str], holding: set[str]) -> bool:
    """Interns are in training until every certification their track requires holds (R-TRN-1).
    So is anyone whose track is unknown: an unknown track never counts as trained."""
    return track not in TRAINED_TRACKS and not set(required) <= holding


# ---- induction (R-TRN-3) ---------------------------------------------------------------------


def induction_unscheduled(hire_date: date, present: bool, induction_days: Collection[date]) -> bool:
    """Whether a newcomer is owed induction (§10: on the hire date, whatever the track) that no
    approved plan schedules: still with the company, and no induction session on that day."""
    return present and hire_date not in induction_days


# ---- leave and attendance (R-TRN-6) --------------------------------------------------------------


@dataclass(frozen=True)
class Leave:
    submitted_at: datetime
    approved_at: datetime | None


def leave_problem(leave: Leave | None, session_start: datetime, notice: timedelta) -> str | None:
    """Why a leave does not excuse an absence (a reason code), or None when it does: it must
    be submitted `notice` before the session and approved by the head before it starts."""
    if leave is None:
        return "leave.none"
    if leave.submitted_at > session_start - notice:
        return "leave.too_late"
    if leave.approved_at is None or leave.approved_at >= session_start:
        return "leave.not_approved"
    return None


def attendance_verdict(status: str, problem: str | None) -> str:
    """present, excused, or unexcused (旷工): absence or leaving early without a valid leave."""
    if status == PRESENT:
        return "present"
    if status in (ABSENT, LEFT_EARLY) and problem is None:
        return "excused"
    return "unexcused"


# ---- feedback forms (R-TRN-7) ---------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def feedback_due(plan_end: date, months: int) -> date:
    """The last day the department head may return the form (§15.3: within three months)."""
    return add_months(plan_end, months)


def feedback_kind(hire_date: date | None, plan_end: date, probation_months: int) -> str:
    """《试用期员工培训反馈表》 while still in probation when the plan ends, else 《正式员工…》."""
    if hire_date is not None and plan_end < add_months(hire_date, probation_months):
        return "probation"
    return "regular"


def feedback_state(returned: bool, today: date, due: date) -> str:
    """A feedback form's state: returned, overdue (past its due day) or due."""
    return "returned" if returned else ("overdue" if today > due else "due")


def missing_for_fields(
    holding: Collection[str], needs: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """For each debtor field, the certifications it requires (`needs`: policies/access/
    fields.toml) that do not hold: what R-ACS-1 withholds it for, in the order required."""
    return {name: [c for c in required if c not in holding] for name, required in needs.items()}


# ---- whose records a viewer sees ---------------------------------------------------------------


def check_visible(
    viewer: Staff, employee_number: str, department: str | None, readers: frozenset[str]
) -> None:
    """The viewer sees a person's training records if they are that person, its department's
    head or hold one of `readers` (the roles that see everyone's: policies/roles.toml,
    `company_wide.training`).

    Raises Forbidden `training.not_visible`.
    """
    own = viewer.employee_number == employee_number
    head = DEPARTMENT_HEAD in viewer.roles and viewer.department == department
    if not (own or head or viewer.roles & readers):
        raise Forbidden(
            "training.not_visible", "This person's training is outside what you may see."
        )


def department_in_view(
    viewer: Staff, department: str | None, readers: frozenset[str]
) -> str | None:
    """The department a report covers: any (None: all) for `readers` (as in `check_visible`),
    a head's own.

    Raises Forbidden `account.department_not_visible`.
    """
    if viewer.roles & readers:
        return department
    if DEPARTMENT_HEAD in viewer.roles and department in (None, viewer.department):
        return viewer.department
    raise Forbidden(
        "account.department_not_visible",
        f"Department {department}'s training records are outside what you may see.",
    )


# ---- ranges ------------------------------------------------------------------------------------

#: The longest range of dates one may ask sessions or inductions for.
LONGEST_RANGE = timedelta(days=731)


def check_range(start: date, end: date) -> None:
    """Raises BadRequest `range.invalid` unless `start` is not after `end` and they are at
    most two years apart."""
    if end < start or end - start > LONGEST_RANGE:
        raise BadRequest("range.invalid", "Ask for at most two years, `from` before `to`.")
