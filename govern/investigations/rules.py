"""When an investigation opens debtors' fields, as plain functions (R-ACS-3, R-AUD-3).

An investigation that only queries the trail opens nothing. One that asks to open fields
needs a bounded scope, a second person's approval (another auditor or the general manager,
never its requester) and an expiry; it opens the fields of the debtors it covers to its
requester only, until it expires or is closed. No Flask, no SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from govern.errors import Conflict, Forbidden, Unprocessable
from govern.text import in_language

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"


class Request(Protocol):
    """What the rules read of an investigation (govern.investigations.models.Investigation)."""

    id: str
    opened_by: str
    debtor_ids: list[str]
    closed_at: datetime | None
    field_access: str | None
    justification: str | None
    expires_at: datetime | None


def check_scope(debtors: Sequence[str], maximum: int) -> None:
    """An investigation that opens fields covers at most `maximum` debtors.

    Raises Unprocessable `investigation.too_many_debtors`.
    """
    if len(set(debtors)) > maximum:
        raise Unprocessable(
            "investigation.too_many_debtors",
            f"An investigation that opens debtors' fields covers at most {maximum} debtors; "
            "rank who saw a larger set without opening it.",
        )


def check_hours(hours: int | None, maximum: int) -> None:
    """Raises Unprocessable `investigation.too_long` beyond `maximum` hours."""
    if hours is not None and hours > maximum:
        raise Unprocessable(
            "investigation.too_long", f"An investigation opens fields for at most {maximum} hours."
        )


def same_person(one: str, other: str, people: Mapping[str, str]) -> bool:
    """Whether two account ids are one person: `people` maps account ids to employee
    numbers (an id it lacks stands for itself alone)."""
    return one == other or people.get(one, one) == people.get(other, other)


def check_decider(request: Request, decider: str, people: Mapping[str, str]) -> None:
    """Four eyes: someone other than the requester decides a pending request; a person is
    the same under any of their accounts (`people`: account id → employee number).

    Raises Forbidden `investigation.own_request`, Conflict `investigation.not_pending`.
    """
    if request.field_access != PENDING or request.closed_at is not None:
        raise Conflict("investigation.not_pending", f"{request.id} waits for no decision.")
    if same_person(decider, request.opened_by, people):
        raise Forbidden(
            "investigation.own_request",
            "Another auditor or the general manager must approve your own request.",
            object=request.id,
        )


def check_approvable(request: Request) -> None:
    """A request opened before approvals existed has no justification to judge.

    Raises Conflict `investigation.request_incomplete`.
    """
    if not request.justification:
        raise Conflict(
            "investigation.request_incomplete",
            f"{request.id} has no case reference or justification: refuse it, and ask again.",
        )


def expiry(approved_at: datetime, hours: int) -> datetime:
    return approved_at + timedelta(hours=hours)


R = TypeVar("R", bound=Request)


def check_opens(
    request: R | None, viewer: str, debtor: str, now: datetime, people: Mapping[str, str]
) -> R:
    """`request`, when it opens `debtor`'s fields to `viewer` now: to the person who asked
    for it, under any of their accounts (`people`: account id → employee number).

    Raises Forbidden `investigation.not_covering` (unknown, closed, or not covering the
    debtor), `investigation.query_only`, `investigation.not_approved`,
    `investigation.not_yours`, `investigation.expired`.
    """
    if request is None or request.closed_at is not None or debtor not in request.debtor_ids:
        raise Forbidden("investigation.not_covering", "No open investigation covers this debtor.")
    if request.field_access is None:
        raise Forbidden(
            "investigation.query_only",
            "This investigation queries the trail only; ask for one that opens fields.",
        )
    if request.field_access != APPROVED:
        raise Forbidden(
            "investigation.not_approved",
            "This investigation opens no field until another auditor or the general manager "
            "approves it.",
        )
    if not same_person(viewer, request.opened_by, people):
        raise Forbidden(
            "investigation.not_yours", "An investigation opens fields to its requester."
        )
    if request.expires_at is not None and now >= request.expires_at:
        raise Forbidden("investigation.expired", "This investigation's access has expired.")
    return request


#: A leak's grade under the 2025 incident-reporting measures, least severe first (一般, 较大,
#: 重大, 特别重大); from `relatively_major` on it goes to the provincial CAC within 4 hours.
GRADES = ("ordinary", "relatively_major", "major", "especially_major")
#: Each grade's name in Chinese and in English (None: not graded yet), the one naming the
#: report's JSON, its PDF and its page use.
GRADE_NAMES: dict[str | None, tuple[str, str]] = {
    None: ("尚未定级", "Not graded yet"),
    "ordinary": ("一般（无须 4 小时内报告）", "Ordinary (not the 4-hour report)"),
    "relatively_major": ("较大", "Relatively major"),
    "major": ("重大", "Major"),
    "especially_major": ("特别重大", "Especially major"),
}
REPORT_WITHIN = timedelta(hours=4)


def grade_name(grade: str | None, language: str) -> str:
    """The grade's name for a person reading `language` ("zh", "en")."""
    chinese, english = GRADE_NAMES[grade]
    return in_language(language, chinese, english)


def reporting_clock(opened_at: datetime, now: datetime, grade: str | None) -> dict[str, Any]:
    """The 4-hour reporting clock of a leak opened at `opened_at`, read at `now`: its deadline,
    whether it binds (`due`: the auditor's grade is relatively major or worse; None: not graded
    yet), and the seconds left or overdue (one of them 0)."""
    deadline = opened_at + REPORT_WITHIN
    left = int((deadline - now).total_seconds())
    return {
        "opened_at": opened_at.isoformat(),
        "deadline": deadline.isoformat(),
        "now": now.isoformat(),
        "grade": grade,
        "due": None if grade is None else GRADES.index(grade) >= 1,
        "state": "running" if left > 0 else "overdue",
        "seconds_left": max(left, 0),
        "seconds_overdue": max(-left, 0),
    }


def categories_of(fields: Iterable[str], category_of: Mapping[str, str]) -> list[str]:
    """The categories (sorted) the `fields` fall in; a field without one stands for itself."""
    return sorted({category_of.get(field, field) for field in fields})


def account_state(state: str | None) -> str:
    """What a leak report says of an account now: its state (active, suspended, revoked),
    `unknown` for an actor that is no account. Whether its person left is a fact of its own
    (`person_state`): a leaver's account still active is what a report must show."""
    return "unknown" if state is None else state


def person_state(known: bool, gone: bool, departed: bool) -> str | None:
    """What a leak report says of an account's person now: `gone` once the directory no
    longer holds them, `departed` past their departure instant, else `present`; None for an
    actor that is no account."""
    if not known:
        return None
    return "gone" if gone else "departed" if departed else "present"


class Hold(Protocol):
    """What the rules read of a legal hold (govern.investigations.models.LegalHold)."""

    investigation_id: str
    placed_by: str
    released_at: datetime | None


def check_placeable(hold: Hold | None) -> None:
    """One standing hold per investigation. Raises Conflict `hold.standing`."""
    if hold is not None and hold.released_at is None:
        raise Conflict("hold.standing", f"{hold.investigation_id} is already under a legal hold.")


def check_releaser(
    hold: Hold | None,
    investigation_id: str,
    releaser: str,
    people: Mapping[str, str],
    suspect: str | None = None,
) -> Hold:
    """Four eyes: someone other than the person who placed a standing hold, and other than
    the investigation's `suspect`, releases it (another auditor or the general manager); a
    person is the same under any of their accounts (`people`: account id → employee
    number).

    Raises Conflict `hold.none`, Forbidden `hold.own_release`.
    """
    if hold is None or hold.released_at is not None:
        raise Conflict("hold.none", f"{investigation_id} is under no legal hold.")
    suspected = suspect is not None and same_person(releaser, suspect, people)
    if suspected or same_person(releaser, hold.placed_by, people):
        raise Forbidden(
            "hold.own_release",
            "Another auditor or the general manager must release the legal hold you placed.",
            object=investigation_id,
        )
    return hold


def retention_cutoff(now: datetime, years: int) -> datetime:
    """The instant `years` years before `now`: events older than it are past retention
    (29 February goes back to 28 February in a year without one)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)
