"""The records a viewer may see, read for them (the decision is `rules.check_visible`), and who
answers for a person (approves their leave, returns their feedback form)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from govern.accounts import repository as accounts
from govern.accounts.models import Account
from govern.accounts.rules import missing_superior
from govern.actor import Staff
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import Forbidden, NotFound
from govern.training import repository as repo
from govern.training.rules import check_visible


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
    check_visible(viewer, person.employee_number, person.department, readers)
    return account, person


def check_superior(db: Session, ctx: Context, actor: Staff, person: Identity, what: str) -> None:
    """`actor` must answer for `person`: their head, or the general manager for heads and
    departments without one; never themself (R-TRN-6, R-TRN-7; for leave, the act pair
    `leave_own_approval` of policies/separation_of_duties.toml points here).

    Raises Forbidden `<what>.self_approval`, `<what>.not_department_head`,
    `<what>.not_general_manager`.
    """
    has_head = accounts.department_has_active_head(
        db, person.department, person.employee_number, ctx.clock.now(), ctx.settings.departures
    )
    missing = missing_superior(actor, accounts.staff_of(person), has_head)
    if missing == "self":
        raise Forbidden(f"{what}.self_approval", "Nobody approves their own.")
    if missing is not None:
        who = "the general manager" if missing == "general_manager" else "their department head"
        raise Forbidden(f"{what}.not_{missing}", f"For {person.employee_number}, {who} decides.")


def superior_of(db: Session, ctx: Context, actor: Staff) -> Callable[[Identity], bool]:
    """Whether `actor` answers for a person, as `check_superior` decides, for a list of people:
    the departments with an active head are read once, not once a person. (A head with no
    other head in their department is the general manager's whether or not they count
    themself, so the whole list of headed departments answers as `check_superior` does.)"""
    headed = accounts.departments_with_active_head(db, ctx.clock.now(), ctx.settings.departures)

    def answers_for(person: Identity) -> bool:
        staff = accounts.staff_of(person)
        return missing_superior(actor, staff, person.department in headed) is None

    return answers_for
