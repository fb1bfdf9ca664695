"""Revoking departed accounts: at the instant (scheduled), at start-up (catch-up), by the daily
sweep and by hand. Every path goes through `revoke_departed`, which locks the account row so
that two instances revoke it exactly once, and records when access was due and when it ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from govern.accounts.models import REVOKED, Account
from govern.accounts.rules import INACTIVITY
from govern.accounts.service import revoke_account, suspend_account
from govern.actor import Actor
from govern.auditing.trail import Trail
from govern.context import Context
from govern.deprovision import repository
from govern.deprovision.models import FAILED, Departure
from govern.deprovision.models import REVOKED as DONE
from govern.deprovision.rules import (
    check_departure_date,
    dates_conflict,
    departure_state,
    last_departed_day,
)
from govern.directory.departure import Departures
from govern.directory.models import Identity
from govern.directory.source import Directory, DirectoryUnavailable
from govern.errors import BadRequest, GovernError, NotFound

ACTOR = "deprovision"
DISABLE_FAILED = "directory.disable_failed"


@dataclass
class SweepReport:
    revoked: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    due: list[str] = field(default_factory=list)  # a dry run's list


def due_accounts(
    db: Session, now: datetime, departures: Departures
) -> list[tuple[Account, Identity]]:
    """Accounts not yet revoked whose departure instant is at or before `now` (never only
    those due *today*: back-dated departures count too)."""
    return repository.leaving_by(db, last_departed_day(now, departures))


def revoke_due(
    db: Session,
    ctx: Context,
    *,
    directory: Directory | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SweepReport:
    """Revoke every account past its departure instant; idempotent. A failure is recorded on
    its departure and left for the next sweep, never raised into the scheduler.

    Its unit of work is one account, on purpose: each is locked, revoked and committed in
    turn (its directory lock or its failure too, by `_lock_entry` and `_record_failure`),
    and no transaction is held between two, so one failure never undoes another's
    revocation and no lock is held across the whole sweep."""
    report = SweepReport()
    due = [account.id for account, _ in due_accounts(db, ctx.clock.now(), ctx.settings.departures)]
    db.rollback()  # no transaction held while each account is locked in turn
    for account_id in due:
        if dry_run:
            report.due.append(account_id)
        else:
            _revoke_one(db, ctx, account_id, report, directory)
        if progress is not None:
            progress(1)
    if directory is not None and not dry_run:
        retry_entry_locks(db, ctx.trail, directory)
    return report


def _revoke_one(
    db: Session, ctx: Context, account_id: str, report: SweepReport, directory: Directory | None
) -> None:
    try:
        if revoke_departed(db, ctx, account_id, directory):
            report.revoked.append(account_id)
    except Exception as error:
        db.rollback()
        report.failed[account_id] = type(error).__name__
        _record_failure(db, ctx.settings.departures, account_id, type(error).__name__)


def revoke_departed(
    db: Session, ctx: Context, account_id: str, directory: Directory | None = None
) -> bool:
    """Revoke one departed account, exactly once across instances (its row is locked), and
    lock its directory entry where Govern may write there; returns whether this call revoked
    it."""
    row = repository.lock_account(db, account_id)
    if row is None or row[0].state == REVOKED or row[1].leaving_on is None:
        db.rollback()
        return False
    person = row[1]
    due = ctx.settings.departures.instant(person.leaving_on)
    if ctx.clock.now() < due:
        db.rollback()
        return False
    departure = _departure(db, account_id, person, ctx.settings.departures)
    departure.state, departure.revoked_at, departure.last_error = DONE, ctx.clock.now(), None
    reason = f"departure on {person.leaving_on.isoformat()}"
    revoke_account(db, ctx.clock, ctx.trail, account_id, ACTOR, reason)  # commits sessions too
    if directory is not None:
        _lock_entry(db, ctx.trail, directory, departure)
    return True


def _lock_entry(db: Session, trail: Trail, directory: Directory, departure: Departure) -> None:
    """The directory backstop; a failure is recorded for IT, the revocation stands. Commits:
    one departure's unit of work (see `revoke_due`)."""
    try:
        locked = directory.disable(departure.employee_number)
    except DirectoryUnavailable:
        departure.last_error = DISABLE_FAILED
        db.commit()
        return
    if locked:
        departure.entry_locked, departure.last_error = True, None
        trail.record(db, "directory.entry_locked", ACTOR, departure.account_id)
        db.commit()


def retry_entry_locks(db: Session, trail: Trail, directory: Directory) -> int:
    """Lock again the directory entries whose lock failed; returns how many are locked now."""
    failed = repository.failed_entry_locks(db, DISABLE_FAILED)
    for departure in failed:
        _lock_entry(db, trail, directory, departure)
    return sum(1 for departure in failed if departure.entry_locked)


def _record_failure(db: Session, departures: Departures, account_id: str, error: str) -> None:
    """Keep the failure on the departure for the next sweep and IT. Commits: one departure's
    unit of work (see `revoke_due`)."""
    account = db.get(Account, account_id)
    person = db.get(Identity, account.employee_number) if account else None
    if person is None or person.leaving_on is None or account.state == REVOKED:
        return  # what failed came after the revocation, which stands
    departure = _departure(db, account_id, person, departures)
    departure.state, departure.last_error = FAILED, error
    db.commit()


def _departure(db: Session, account_id: str, person: Identity, departures: Departures) -> Departure:
    """The account's departure record (made on the first attempt), due now at the instant of
    the date that counts, with this attempt counted."""
    departure = repository.departure_record(db, account_id, person.employee_number)
    departure.due_at = departures.instant(person.leaving_on)  # type: ignore[arg-type]
    departure.attempts += 1
    return departure


def suspend_inactive(db: Session, ctx: Context, dry_run: bool = False) -> list[str]:
    """Suspend active accounts nobody signed in to for GOVERN_INACTIVE_DAYS (never used:
    counted from issue), as of kind inactivity: the head can reactivate them (or whom
    policies/suspensions.toml names); returns the suspended ids (`dry_run`: those it would
    suspend, changing nothing). Its unit of work is one account, on purpose:
    `suspend_account` locks and commits each in turn."""
    days = ctx.settings.inactive_days
    if not days:
        return []
    idle = repository.unused_since(db, ctx.clock.now() - timedelta(days=days))
    db.rollback()
    if dry_run:
        return list(idle)
    reason = f"unused for {days} days"
    suspended = []
    for account_id in idle:
        try:
            suspend_account(db, ctx, account_id, ACTOR, reason, INACTIVITY)
            suspended.append(account_id)
        except GovernError:  # revoked meanwhile: nothing to suspend
            db.rollback()
    return suspended


# ---- departure dates set in Govern (HR, IT) ------------------------------------------------------


@dataclass(frozen=True)
class DepartureView:
    employee_number: str
    directory_date: date | None
    override: date | None
    effective: date | None
    instant: datetime | None
    conflict: bool
    state: str
    account_id: str | None
    revoked_at: datetime | None
    due_at: datetime | None
    last_error: str | None
    attempts: int = 0


def set_departure(
    db: Session,
    ctx: Context,
    setter: Actor,
    employee_number: str,
    day: date | None,
    directory: Directory | None = None,
) -> DepartureView:
    """Set (or with None clear) the departure date Govern holds for a person; the earlier of
    it and the directory's counts. One already past revokes at once (back-dated leavers).

    Everything that can refuse the date is decided before it is kept (`departure_person`).
    """
    person = departure_person(db, ctx, setter, employee_number, day)
    actor, now = setter.label, ctx.clock.now()
    person.departure_override, person.override_by, person.override_at = day, actor, now
    action = "departure.set" if day else "departure.cleared"
    ctx.trail.record(db, action, actor, employee_number, date=day.isoformat() if day else None)
    db.commit()
    live = repository.live_account_id(db, employee_number)
    if live is not None:  # revokes only if the instant has passed (a back-dated leaver)
        revoke_departed(db, ctx, live, directory)
    return departure_of(db, ctx, employee_number)


def departure_person(
    db: Session, ctx: Context, setter: Actor, employee_number: str, day: date | None
) -> Identity:
    """The person whose departure date `setter` may set to `day` (None: clear), changing
    nothing: everything that can refuse the date, asked before it is kept or confirmed.
    Raises NotFound `identity.unknown`, Forbidden `departure.own`, BadRequest
    `departure.before_hire`, `departure.out_of_range`."""
    person = db.get(Identity, employee_number)
    if person is None:
        raise NotFound("identity.unknown", f"No one with employee number {employee_number}.")
    setter_number = setter.staff.employee_number
    departures = ctx.settings.departures
    check_departure_date(employee_number, day, person.hire_date, departures, setter_number)
    return person


def departure_of(db: Session, ctx: Context, employee_number: str) -> DepartureView:
    person = db.get(Identity, employee_number)
    if person is None:
        raise NotFound("identity.unknown", f"No one with employee number {employee_number}.")
    return _view(db, ctx, person, repository.latest_account(db, employee_number))


def list_departures(db: Session, ctx: Context, start: date, end: date) -> list[DepartureView]:
    """Everyone whose departure date that counts lies in [start, end], with its state.

    Raises BadRequest `range.invalid`.
    """
    if end < start:
        raise BadRequest("range.invalid", "`from` must not be after `to`.")
    views = [
        _view(db, ctx, person, account)
        for person, account in repository.leaving_between(db, start, end)
    ]
    return sorted(
        (v for v in views if v.effective is not None and start <= v.effective <= end),
        key=lambda v: (v.effective, v.employee_number),
    )


def _view(db: Session, ctx: Context, person: Identity, account: Account | None) -> DepartureView:
    effective = person.leaving_on
    instant = ctx.settings.departures.instant(effective) if effective else None
    record = db.get(Departure, account.id) if account else None
    conflict = dates_conflict(person.departure_date, person.departure_override)
    return DepartureView(
        person.employee_number,
        person.departure_date,
        person.departure_override,
        effective,
        instant,
        conflict,
        departure_state(
            account is not None,
            account is not None and account.state == REVOKED,
            record is not None and record.state == FAILED,
            instant,
            ctx.clock.now(),
        ),
        account.id if account else None,
        record.revoked_at if record else (account.revoked_at if account else None),
        record.due_at if record else instant,
        record.last_error if record else None,
        record.attempts if record else 0,
    )
