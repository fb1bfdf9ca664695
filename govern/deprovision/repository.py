"""Small queries the departure use cases, the reconciliation and the scheduler stand on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.orm import Session

from govern.accounts.models import ACTIVE, REVOKED, Account
from govern.deprovision.models import REVOKED as DONE
from govern.deprovision.models import Departure
from govern.directory.models import Identity


def leaving_by(db: Session, cutoff: date) -> list[tuple[Account, Identity]]:
    """Accounts not yet revoked whose departure date (the directory's or Govern's) is on or
    before `cutoff`, with their person, by account id."""
    query = (
        select(Account, Identity)
        .join(Identity, Identity.employee_number == Account.employee_number)
        .where(Account.state != REVOKED)
        .where(or_(Identity.departure_date <= cutoff, Identity.departure_override <= cutoff))
    )
    return [(a, i) for a, i in db.execute(query.order_by(Account.id))]


def lock_accounts(
    db: Session, account_ids: Sequence[str], *, skip_locked: bool = False
) -> list[tuple[Account, Identity]]:
    """Those of these accounts not yet revoked, with their person, their rows locked, as they
    are once locked (by account id: two sweeps lock in one order and never deadlock).
    `skip_locked`: on PostgreSQL, leave out the rows another transaction holds instead of
    waiting for them (SQLite has one writer: nothing to skip)."""
    query = (
        select(Account, Identity)
        .join(Identity, Identity.employee_number == Account.employee_number)
        .where(Account.id.in_(account_ids), Account.state != REVOKED)
        .order_by(Account.id)
        .with_for_update(of=Account, skip_locked=skip_locked)
        .execution_options(populate_existing=True)  # the state as it is once locked, not as read
    )
    return [(account, person) for account, person in db.execute(query)]


def departure_records(db: Session, accounts: Sequence[tuple[str, str]]) -> dict[str, Departure]:
    """The departure record of each (account id, employee number), made (with no attempt
    yet) for those that have none, by account id."""
    ids = [account_id for account_id, _ in accounts]
    found = {
        d.account_id: d for d in db.scalars(select(Departure).where(Departure.account_id.in_(ids)))
    }
    for account_id, employee_number in accounts:
        if account_id not in found:
            found[account_id] = Departure(
                account_id=account_id, employee_number=employee_number, attempts=0
            )
            db.add(found[account_id])
    return found


def failed_entry_locks(db: Session, error: str) -> Sequence[Departure]:
    """Revoked departures whose directory entry is not locked because locking failed."""
    return db.scalars(
        select(Departure).where(
            Departure.state == DONE,
            Departure.entry_locked.is_(False),
            Departure.last_error == error,
        )
    ).all()


def keep_entry_locks(db: Session, locked: Sequence[str], failed: Sequence[str], error: str) -> None:
    """Keep on these accounts' departures that their directory entry is locked (`locked`),
    or that locking it failed with `error` (`failed`)."""
    if locked:
        done = update(Departure).where(Departure.account_id.in_(locked))
        db.execute(done.values(entry_locked=True, last_error=None))
    if failed:
        db.execute(
            update(Departure).where(Departure.account_id.in_(failed)).values(last_error=error)
        )


def unused_since(db: Session, since: datetime) -> list[str]:
    """Active accounts last used (never used: issued) before `since`, by id."""
    query = select(Account.id).where(
        Account.state == ACTIVE, func.coalesce(Account.last_used_at, Account.issued_at) < since
    )
    return list(db.scalars(query.order_by(Account.id)))


def live_account_id(db: Session, employee_number: str) -> str | None:
    """The person's account not yet revoked, if any."""
    return db.scalar(
        select(Account.id).where(
            Account.employee_number == employee_number, Account.state != REVOKED
        )
    )


def latest_account(db: Session, employee_number: str) -> Account | None:
    """The person's most recently issued account, if any."""
    return db.scalars(
        select(Account)
        .where(Account.employee_number == employee_number)
        .order_by(Account.issued_at.desc())
    ).first()


def leaving_between(db: Session, start: date, end: date) -> list[tuple[Identity, Account | None]]:
    """People with a departure date (the directory's or Govern's) in [start, end], with each
    of their accounts (None if they have none)."""
    query = (
        select(Identity, Account)
        .outerjoin(Account, Account.employee_number == Identity.employee_number)
        .where(
            or_(
                Identity.departure_date.between(start, end),
                Identity.departure_override.between(start, end),
            )
        )
    )
    return [(person, account) for person, account in db.execute(query)]


def people_with_live_accounts(db: Session) -> Sequence[Identity]:
    """Everyone who has an account not yet revoked."""
    return db.scalars(
        select(Identity)
        .join(Account, Account.employee_number == Identity.employee_number)
        .where(Account.state != REVOKED)
    ).all()


def live_accounts(db: Session) -> Sequence[Row[tuple[str, str, str | None]]]:
    """Every account not yet revoked: its id, its employee number and that number again if
    Govern knows the person (None if not)."""
    return db.execute(
        select(Account.id, Account.employee_number, Identity.employee_number)
        .outerjoin(Identity, Identity.employee_number == Account.employee_number)
        .where(Account.state != REVOKED)
    ).all()
