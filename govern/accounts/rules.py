"""Who may issue and see which account: plain decisions, no Flask, no SQL.

Each refusal raises a GovernError subclass with a stable code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from govern.actor import Staff
from govern.errors import Conflict, Forbidden
from govern.ids import new_id
from govern.text import in_language

DEPARTMENT_HEAD = "department_head"
GENERAL_MANAGER = "general_manager"
#: Roles that act only for the people they answer for (`missing_superior`).
SUPERIORS = frozenset({DEPARTMENT_HEAD, GENERAL_MANAGER})
#: The kind the daily sweep imposes, and the one assumed for a suspension of unknown kind.
INACTIVITY, SECURITY = "inactivity", "security"


@dataclass(frozen=True)
class SuspensionKind:
    """One kind of suspension of `policies/suspensions.toml`: who imposes it, who lifts it, and
    whether anyone who may impose another kind may replace it (`replaceable`)."""

    name: str
    title: str
    imposed_by: frozenset[str]
    lifted_by: frozenset[str]
    replaceable: bool = False
    title_zh: str = ""

    def title_in(self, language: str) -> str:
        """What the kind is for, for a person reading `language` ("zh", "en")."""
        return in_language(language, self.title_zh, self.title)


@dataclass(frozen=True)
class PastAccount:
    state: str
    revoked_at: datetime | None


def check_issuer(issuer: Staff, person: Staff, department_has_head: bool) -> None:
    """May `issuer` issue `person`'s account? (R-ACC-1)

    Raises Forbidden `self.approval`, `issuer.not_general_manager` or
    `issuer.not_department_head`.
    """
    missing = missing_superior(issuer, person, department_has_head)
    if missing == "self":
        raise Forbidden("self.approval", "Nobody issues or changes their own account.")
    if missing == GENERAL_MANAGER:
        raise Forbidden(
            "issuer.not_general_manager",
            "Accounts of department heads, and of departments without an active head, "
            "are issued by the general manager.",
        )
    if missing == DEPARTMENT_HEAD:
        raise Forbidden(
            "issuer.not_department_head",
            f"Only the head of department {person.department} issues its staff's accounts.",
        )


def missing_superior(actor: Staff, person: Staff, department_has_head: bool) -> str | None:
    """Whether `actor` answers for `person`: their department head, or the general manager
    for department heads, general managers and departments without an active head.

    Returns None when they do; else "self", or the role that would ("general_manager",
    "department_head").
    """
    if actor.employee_number == person.employee_number:
        return "self"
    if not department_has_head or person.roles & {DEPARTMENT_HEAD, GENERAL_MANAGER}:
        return None if GENERAL_MANAGER in actor.roles else GENERAL_MANAGER
    if DEPARTMENT_HEAD not in actor.roles or actor.department != person.department:
        return DEPARTMENT_HEAD
    return None


def needs_new_account(past: list[PastAccount], hire_date: date | None, zone: ZoneInfo) -> bool:
    """False when a live account exists (issue returns it); True when a new one is due.

    Raises Conflict `account.revoked` when every account was revoked and the directory
    shows no re-hire after the last revocation (R-ACC-2: a revoked id is never revived).
    """
    if not past:
        return True
    if any(account.state != "revoked" for account in past):
        return False
    last = max(account.revoked_at for account in past if account.revoked_at)
    if hire_date is not None and hire_date > last.astimezone(zone).date():
        return True
    raise Conflict(
        "account.revoked",
        f"This person's account was revoked on {last.astimezone(zone).date()}; a re-hire needs "
        "a later hire date in the directory.",
    )


def may_view_account(viewer: Staff, owner: Staff, readers: frozenset[str]) -> bool:
    """Owners see their own account, heads their department's, `readers` (the company-wide
    roles of policies/roles.toml) all."""
    if viewer.employee_number == owner.employee_number:
        return True
    return may_view_department(viewer, owner.department, readers)


def may_view_department(viewer: Staff, department: str, readers: frozenset[str]) -> bool:
    """Heads see their own department's accounts, `readers` every department's."""
    if viewer.roles & readers:
        return True
    return DEPARTMENT_HEAD in viewer.roles and viewer.department == department


def new_account_id() -> str:
    """A fresh identifier such as `GV-7K3M-9Q2X`."""
    return new_id("GV")


def check_usable(state: str, gone: bool, departed: bool) -> None:
    """May this account act right now? Checked at login and on every request.

    Raises Forbidden `account.departed`, `identity.gone`, `account.revoked` or
    `account.suspended`, in that order: someone who left is told so (and whom to ask), not
    that the account their departure revoked is revoked.
    """
    if departed:
        raise Forbidden("account.departed", "This account's owner has left the company.")
    if gone:
        raise Forbidden("identity.gone", "This account's owner is no longer in the directory.")
    if state == "revoked":
        raise Forbidden("account.revoked", "This account has been revoked.")
    if state == "suspended":
        raise Forbidden(
            "account.suspended", "This account is suspended; ask whoever may lift the suspension."
        )


def check_impose(kind: SuspensionKind, actor: Staff, person: Staff) -> None:
    """May `actor` suspend `person`'s account for this kind of reason?

    Raises Forbidden `self.approval` or `suspension.impose_denied` (naming who may).
    """
    if actor.employee_number == person.employee_number:
        raise Forbidden("self.approval", "Nobody issues or changes their own account.")
    if not actor.roles & kind.imposed_by:
        raise Forbidden(
            "suspension.impose_denied",
            f"A suspension of kind {kind.name} is imposed only by: {_roles(kind.imposed_by)}.",
        )


def check_lift(
    kind: SuspensionKind, actor: Staff, person: Staff, department_has_head: bool
) -> None:
    """May `actor` lift `person`'s suspension of this kind (make the account active again)?

    A role the kind names lifts it; a department head or the general manager only for the
    people they answer for (`check_issuer`). Raises Forbidden `self.approval`,
    `suspension.lift_denied` (naming the kind and who may lift it), or `check_issuer`'s codes.
    """
    if actor.employee_number == person.employee_number:
        raise Forbidden("self.approval", "Nobody issues or changes their own account.")
    allowed = actor.roles & kind.lifted_by
    if not allowed:
        raise Forbidden(
            "suspension.lift_denied",
            f"This account is suspended for {kind.name} ({kind.title}); only "
            f"{_roles(kind.lifted_by)} may lift it.",
        )
    if allowed <= SUPERIORS:
        check_issuer(actor, person, department_has_head)


def check_replace(
    present: SuspensionKind,
    chosen: SuspensionKind,
    actor: Staff,
    person: Staff,
    department_has_head: bool,
) -> None:
    """May `actor` turn `person`'s suspension of kind `present` into one of kind `chosen`?

    The actor must be one who imposes `chosen` (`check_impose`), and either one who may lift
    `present` (`check_lift`) or `present` must be `replaceable` by any imposer (inactivity:
    escalating it to a graver kind keeps the account suspended throughout). So a grave kind is
    never relabelled by someone who may not lift it into a kind others may lift.

    Raises `check_impose`'s and `check_lift`'s codes.
    """
    check_impose(chosen, actor, person)
    if present.name != chosen.name and not present.replaceable:
        check_lift(present, actor, person, department_has_head)


def _roles(roles: frozenset[str]) -> str:
    return ", ".join(sorted(roles)) or "nobody"
