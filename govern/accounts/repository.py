"""Small queries the account use cases stand on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from govern.accounts.models import ACTIVE, REVOKED, Account, AccountTransition
from govern.accounts.rules import DEPARTMENT_HEAD
from govern.actor import Staff
from govern.directory.departure import Departures
from govern.directory.models import Identity


@dataclass(frozen=True)
class Transition:
    """One move of an account, as `account_transitions` records it: to which state, by whom,
    why and when (`kind`: the kind of suspension, when the move is to suspended)."""

    to_state: str
    actor: str
    reason: str
    at: datetime
    kind: str | None = None


def identity(db: Session, employee_number: str) -> Identity | None:
    return db.get(Identity, employee_number)


def staff_of(person: Identity) -> Staff:
    return Staff(person.employee_number, person.department, frozenset(person.roles))


def accounts_of(db: Session, employee_number: str) -> list[Account]:
    query = select(Account).where(Account.employee_number == employee_number)
    return list(db.scalars(query.order_by(Account.issued_at)))


def people_of(db: Session, account_ids: Iterable[str]) -> dict[str, str]:
    """The employee number (the person) behind each of these account ids that names an
    account: a person re-hired has a new account id but the same employee number."""
    query = select(Account.id, Account.employee_number).where(Account.id.in_(set(account_ids)))
    return {account_id: person for account_id, person in db.execute(query)}


def live_account(db: Session, employee_number: str) -> Account | None:
    query = select(Account).where(
        Account.employee_number == employee_number, Account.state != REVOKED
    )
    return db.scalars(query).first()


def has_left(person: Identity, now: datetime, departures: Departures) -> bool:
    """At or past their departure instant (GOVERN_REVOKE_AT on the departure date)."""
    return departures.passed(person.leaving_on, now)


def is_present(person: Identity, now: datetime, departures: Departures) -> bool:
    """In the directory and not past their departure instant."""
    return person.gone_at is None and not has_left(person, now, departures)


def department_has_active_head(
    db: Session, department: str, excluding: str, now: datetime, departures: Departures
) -> bool:
    """Whether someone else heads `department` with an active account right now."""
    query = (
        select(Identity)
        .join(Account, Account.employee_number == Identity.employee_number)
        .where(Identity.department == department, Account.state == ACTIVE)
        .where(Identity.employee_number != excluding)
    )
    return any(
        DEPARTMENT_HEAD in head.roles and is_present(head, now, departures)
        for head in db.scalars(query)
    )


def departments_with_active_head(db: Session, now: datetime, departures: Departures) -> set[str]:
    """The departments someone present heads with an active account right now."""
    query = (
        select(Identity)
        .join(Account, Account.employee_number == Identity.employee_number)
        .where(Account.state == ACTIVE)
    )
    return {
        head.department
        for head in db.scalars(query)
        if DEPARTMENT_HEAD in head.roles and is_present(head, now, departures)
    }


def people_without_live_account(db: Session) -> list[tuple[Identity, list[Account]]]:
    """Everyone still in the directory with no account but revoked ones, each with those
    (oldest first), by department and employee number."""
    live = select(Account.employee_number).where(Account.state != REVOKED)
    query = (
        select(Identity)
        .where(Identity.gone_at.is_(None), Identity.employee_number.not_in(live))
        .order_by(Identity.department, Identity.employee_number)
    )
    people = list(db.scalars(query))
    past: dict[str, list[Account]] = {person.employee_number: [] for person in people}
    revoked = select(Account).where(Account.employee_number.in_(list(past)))
    for account in db.scalars(revoked.order_by(Account.issued_at)):
        past[account.employee_number].append(account)
    return [(person, past[person.employee_number]) for person in people]


def accounts_with_identity(db: Session, department: str | None) -> list[tuple[Account, Identity]]:
    query = select(Account, Identity).join(
        Identity, Identity.employee_number == Account.employee_number
    )
    if department is not None:
        query = query.where(Identity.department == department)
    return [(a, i) for a, i in db.execute(query.order_by(Identity.department, Account.id))]


def transitions(db: Session, account_id: str) -> list[AccountTransition]:
    query = select(AccountTransition).where(AccountTransition.account_id == account_id)
    return list(db.scalars(query.order_by(AccountTransition.id)))


def record_transition(
    db: Session, account: Account, move: Transition, *, issued: bool = False
) -> None:
    """Make `move` of `account`, recording who did it, when and why (`issued`: from nothing)."""
    db.add(
        AccountTransition(
            account_id=account.id,
            from_state=None if issued else account.state,
            to_state=move.to_state,
            actor=move.actor,
            reason=move.reason,
            at=move.at,
            suspension_kind=move.kind,
        )
    )
    account.state = move.to_state
    account.suspension_kind = move.kind
