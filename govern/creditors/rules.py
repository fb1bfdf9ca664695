"""A creditor's contract as plain decisions: when it ends, whether it has, what may change."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from govern.errors import BadRequest, Conflict

FORMAT = "govern-deletion-certificate"
VERSION = 1


def ends_at(last_day: date, zone: ZoneInfo) -> datetime:
    """The instant a contract whose last day is `last_day` ends: midnight after it."""
    return datetime.combine(last_day + timedelta(days=1), time(), zone)


def starts_at(first_day: date, zone: ZoneInfo) -> datetime:
    """The instant a contract whose first day is `first_day` starts: that day's midnight."""
    return datetime.combine(first_day, time(), zone)


NOT_STARTED, RUNNING, DUE, ENDED = "not_started", "running", "due", "ended"


def contract_state(
    days: tuple[date, date], ended: datetime | None, now: datetime, zone: ZoneInfo
) -> str:
    """Of a contract of these (first, last) `days`: `not_started` before its first day (its
    debtors unreadable yet); `running`; `due` once its last day has passed (its debtors
    unreadable, the worker ends it within minutes); `ended` once its keys are destroyed."""
    if ended is not None:
        return ENDED
    if now >= ends_at(days[1], zone):
        return DUE
    return NOT_STARTED if now < starts_at(days[0], zone) else RUNNING


def check_period(start: date, end: date) -> None:
    """A contract ends on or after the day it starts. Raises BadRequest
    `creditor.period_reversed`."""
    if end < start:
        raise BadRequest(
            "creditor.period_reversed", "The contract's end must not come before its start."
        )


def check_not_passed(end: date, today: date) -> None:
    """A contract's last day set is today or later: a day already past would end the contract
    (its data destroyed for good) at the worker's next run, without the name typed again that
    an end asks for. Raises BadRequest `creditor.end_passed`."""
    if end < today:
        raise BadRequest(
            "creditor.end_passed",
            "The contract's last day must not lie in the past; end it now to end it.",
        )


def check_purposes(purposes: list[str], known: dict[str, str]) -> None:
    """Every agreed purpose is a reveal purpose of the policy (fields.toml [purposes]).
    Raises BadRequest `creditor.purpose_unknown` naming the first that is not."""
    for purpose in purposes:
        if purpose not in known:
            raise BadRequest(
                "creditor.purpose_unknown",
                f"{purpose} is not a reveal purpose; choose from: {', '.join(known)}.",
            )


def check_open(ended_at: datetime | None) -> None:
    """A creditor whose contract has ended (keys destroyed) changes no more. Raises Conflict
    `creditor.ended`."""
    if ended_at is not None:
        raise Conflict("creditor.ended", "The contract has ended and its data is destroyed.")
