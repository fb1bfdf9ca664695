"""The access reviews' decisions, in plain Python: what a campaign may be started with, who
reviews an account, whether an item may still be decided, when reminders are due, and the
next deadline of a recurring campaign."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from govern.accounts.rules import DEPARTMENT_HEAD, GENERAL_MANAGER
from govern.actor import Staff
from govern.errors import BadRequest, Conflict, Forbidden

CERTIFY, REVOKE, SUSPEND = "certify", "revoke", "suspend"
#: What a reviewer may decide, and the decision it is kept as.
DECISIONS = {CERTIFY: "certified", REVOKE: "revoked", SUSPEND: "suspended"}
#: What happens at the deadline to an item nobody decided: the account is suspended, or the
#: item is only reported (`lapsed`) for the general manager to follow up.
AT_DEADLINE = {SUSPEND: "suspended_at_deadline", "report": "lapsed"}
#: What an item left to a `suspend` deadline is kept as when no review suspension applied:
#: its account revoked meanwhile, or already suspended for another reason (`…:<kind>`).
REVOKED_MEANWHILE, ALREADY_SUSPENDED = "revoked_meanwhile", "already_suspended"
#: How many days before the deadline each reviewer with undecided items is reminded.
REMINDER_DAYS = (3, 1)
#: The longest a campaign may run, and the longest period between recurring ones.
LONGEST = timedelta(days=366)
MAX_EVERY_MONTHS = 12


def check_draft(
    deadline: datetime, now: datetime, every_months: int | None, at_deadline: str
) -> None:
    """May a campaign end at `deadline`, started at `now`, repeated every `every_months`,
    doing `at_deadline` then?

    Raises BadRequest `review.deadline_past`, `review.deadline_too_far`,
    `review.period_invalid`, `review.at_deadline_unknown`.
    """
    if at_deadline not in AT_DEADLINE:
        raise BadRequest("review.at_deadline_unknown", "At the deadline: suspend or report.")
    if deadline <= now:
        raise BadRequest("review.deadline_past", "The deadline must be in the future.")
    if deadline - now > LONGEST:
        raise BadRequest("review.deadline_too_far", "A campaign runs at most a year.")
    if every_months is not None and not 1 <= every_months <= MAX_EVERY_MONTHS:
        raise BadRequest(
            "review.period_invalid", f"A campaign repeats every 1 to {MAX_EVERY_MONTHS} months."
        )


#: What separates departments typed in one box: commas, semicolons and the enumeration comma,
#: half-width or full-width (dept-a，dept-b、dept-c).
DEPARTMENT_SEPARATORS = re.compile(r"[,，、;；]")


def departments_typed(text: str) -> list[str]:
    """The departments named in `text`, separated as DEPARTMENT_SEPARATORS, blanks dropped."""
    return [d.strip() for d in DEPARTMENT_SEPARATORS.split(text) if d.strip()]


def end_of(day: date, zone: tzinfo) -> datetime:
    """The end of `day` in `zone` (the company's time): midnight that starts the next day."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


def scope_of(departments: list[str] | None) -> list[str] | None:
    """A campaign's scope as kept: its departments sorted, once each; None (or none named):
    the whole agency."""
    return sorted(set(departments)) if departments else None


def check_no_overlap(scope: list[str] | None, open_scopes: list[list[str] | None]) -> None:
    """May a campaign of `scope` (None: the whole agency) start while campaigns of
    `open_scopes` are open? Not over a department one of them reviews: an account is in one
    open campaign at a time.

    Raises Conflict `review.overlapping`.
    """
    for other in open_scopes:
        if scope is None or other is None or set(scope) & set(other):
            raise Conflict(
                "review.overlapping",
                "An open campaign already reviews these departments; wait for its deadline.",
            )


def reviewer_of(person: Staff, department_has_head: bool) -> str:
    """Who reviews `person`'s account: their department's head, or the general manager for
    heads and departments without an active head (as for issuing it, R-ACC-1)."""
    if not department_has_head or person.roles & SENIOR:
        return GENERAL_MANAGER
    return DEPARTMENT_HEAD


def reviewed(person: Staff) -> bool:
    """Whether a campaign reviews `person`'s account: everyone's but the general manager's,
    whom nobody in Govern answers for."""
    return GENERAL_MANAGER not in person.roles


#: The roles whose holders the general manager reviews wherever they work (`reviewer_of`).
SENIOR = frozenset({DEPARTMENT_HEAD, GENERAL_MANAGER})


@dataclass(frozen=True)
class Reviewing:
    """Whose items `actor` decides now, as a query asks it (`reviewer_of` and `reviews` for
    every person at once): as a head, the people of `department` (one with an active head)
    who hold no `SENIOR` role; as the general manager (`general`), everyone of a department
    outside `headed` and every holder of a `SENIOR` role."""

    department: str | None
    general: bool
    headed: frozenset[str]


def reviewing(actor: Staff, headed: set[str] | frozenset[str]) -> Reviewing:
    """Whose items `actor` decides now, `headed` the departments with an active head."""
    own = (
        actor.department if DEPARTMENT_HEAD in actor.roles and actor.department in headed else None
    )
    return Reviewing(own, GENERAL_MANAGER in actor.roles, frozenset(headed))


def reviews(actor: Staff, reviewer: str, department: str) -> bool:
    """Whether `actor` decides the items `reviewer` ("department_head" or "general_manager")
    reviews in `department`."""
    if reviewer == GENERAL_MANAGER:
        return GENERAL_MANAGER in actor.roles
    return DEPARTMENT_HEAD in actor.roles and actor.department == department


def check_reviewer(actor: Staff, reviewer: str, department: str, employee_number: str) -> None:
    """May `actor` decide an item of `department` that `reviewer` reviews now
    (`reviewer_of`: "department_head" or "general_manager"), of `employee_number`'s account?

    Raises Forbidden `self.approval` or `review.not_reviewer`.
    """
    if actor.employee_number == employee_number:
        raise Forbidden("self.approval", "Nobody reviews their own account.")
    if not reviews(actor, reviewer, department):
        who = "general manager" if reviewer == GENERAL_MANAGER else f"head of {department}"
        raise Forbidden("review.not_reviewer", f"This account is reviewed by the {who}.")


def check_open(decision: str | None, closed: bool, deadline: datetime, now: datetime) -> None:
    """May an item still be decided? Not once decided, nor from its campaign's deadline on
    (closed or not: the worker may not have run yet).

    Raises Conflict `review.decided` or `review.closed`.
    """
    if decision is not None:
        raise Conflict("review.decided", "This item has been decided already.")
    if closed or now >= deadline:
        raise Conflict("review.closed", "This campaign has ended.")


def lapsed_as(at_deadline: str, state: str, suspension_kind: str | None) -> str:
    """What an undecided item is kept as at the deadline, its account being in `state`
    ("active", "suspended" of `suspension_kind`, "revoked"): what happened to it, not what the
    campaign would have done. Only an active account is suspended at a `suspend` deadline."""
    if at_deadline != SUSPEND or state == "active":
        return AT_DEADLINE[at_deadline]
    if state == "revoked":
        return REVOKED_MEANWHILE
    return f"{ALREADY_SUSPENDED}:{suspension_kind}"


def check_decision(decision: str) -> str:
    """The decision as it is kept. Raises BadRequest `review.decision_unknown`."""
    if decision not in DECISIONS:
        raise BadRequest("review.decision_unknown", "Decide certify, revoke or suspend.")
    return DECISIONS[decision]


def reminders_due(deadline: datetime, now: datetime, sent: set[int]) -> list[int]:
    """The reminder (days before the deadline) to send at `now`: the most imminent one due,
    unless it was sent; an earlier one missed (the worker was down) is not sent late beside
    it. None once the deadline has passed."""
    due = [d for d in REMINDER_DAYS if now >= deadline - timedelta(days=d)]
    if now >= deadline or not due or min(due) in sent:
        return []
    return [min(due)]


def next_deadline(deadline: datetime, months: int, zone: tzinfo, day: int) -> datetime:
    """The deadline `months` calendar months after `deadline`, counted on the company's
    calendar (`zone`): the series' own `day` of the month (the month's last day if shorter,
    without drifting: 31 January, 28 February, 31 March), at the same time of day."""
    local = deadline.astimezone(zone)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    return local.replace(year=year, month=month, day=min(day, calendar.monthrange(year, month)[1]))


def deadline_day(deadline: datetime, zone: tzinfo) -> date | None:
    """The company-time day whose end `deadline` is (it falls at midnight), else None."""
    local = deadline.astimezone(zone)
    if local.time() != time():
        return None
    return local.date() - timedelta(days=1)
