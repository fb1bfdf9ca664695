"""Whose training records a viewer may see, and who answers for a person (approves their
leave, returns their feedback form)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from govern.accounts import repository as accounts
from govern.accounts.models import Account
from govern.accounts.rules import DEPARTMENT_HEAD, Staff, missing_superior
from govern.clock import Clock
from govern.config import Settings
from govern.directory.models import Identity
from govern.errors import Forbidden, NotFound
from govern.training import repository as repo


def account_of(db: Session, account_id: str) -> tuple[Account, Identity]:
    """The account and its person. Raises NotFound `account.unknown`."""
    found = repo.account_with_identity(db, account_id)
    if found is None:
        raise NotFound("account.unknown", f"No account {account_id}.")
    return found


def visible_account(
    db: Session, viewer: Staff, account_id: str, readers: frozenset[str]
) -> tuple[Account, Identity]:
    """`account_of`, for the person themself, their head or one of `readers` (the roles that
    see everyone's training records: policies/roles.toml, `company_wide.training`).

    Raises NotFound `account.unknown`, Forbidden `training.not_visible`.
    """
    account, person = account_of(db, account_id)
    own = viewer.employee_number == person.employee_number
    head = DEPARTMENT_HEAD in viewer.roles and viewer.department == person.department
    if not (own or head or viewer.roles & readers):
        raise Forbidden(
            "training.not_visible", "This person's training is outside what you may see."
        )
    return account, person


def department_in_view(
    viewer: Staff, department: str | None, readers: frozenset[str]
) -> str | None:
    """The department a report covers: any (None: all) for `readers` (as in `visible_account`),
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


def check_superior(
    db: Session, clock: Clock, settings: Settings, actor: Staff, person: Identity, what: str
) -> None:
    """`actor` must answer for `person`: their head, or the general manager for heads and
    departments without one; never themself (R-TRN-6, R-TRN-7).

    Raises Forbidden `<what>.self_approval`, `<what>.not_department_head`,
    `<what>.not_general_manager`.
    """
    has_head = accounts.department_has_active_head(
        db, person.department, person.employee_number, clock.now(), settings
    )
    missing = missing_superior(actor, accounts.staff_of(person), has_head)
    if missing == "self":
        raise Forbidden(f"{what}.self_approval", "Nobody approves their own.")
    if missing is not None:
        who = "the general manager" if missing == "general_manager" else "their department head"
        raise Forbidden(f"{what}.not_{missing}", f"For {person.employee_number}, {who} decides.")
