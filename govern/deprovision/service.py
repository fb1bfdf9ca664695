"""Revoking departed accounts: at the instant (scheduled), at start-up (catch-up), by the daily
sweep and by hand. Every path goes through `_revoke_batch` (a sweep's batch of accounts, or
`revoke_departed`'s one), which locks the accounts' rows so that two instances revoke each
exactly once, and records when access was due and when it ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple, TypeVar

from sqlalchemy.orm import Session

from govern.accounts.models import REVOKED, Account
from govern.accounts.rules import INACTIVITY
from govern.accounts.service import revoke_locked, suspend_account
from govern.actor import Actor
from govern.auditing.trail import Trail
from govern.context import Context
from govern.db import in_batches
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
from govern.directory.source import Directory
from govern.errors import BadRequest, GovernError, NotFound

ACTOR = "deprovision"
DISABLE_FAILED = "directory.disable_failed"
#: How many due accounts one transaction of a sweep revokes. Measured in
#: docs/benchmarks.md (Mass departures): larger gains little, and a failed batch is done
#: again one account at a time.
BATCH = 500
log = logging.getLogger(__name__)
_Item = TypeVar("_Item")


class Revoked(NamedTuple):
    """An account a sweep revoked, whose directory entry it is to lock."""

    account_id: str
    employee_number: str


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
    batch: int = BATCH,
) -> SweepReport:
    """Revoke every account past its departure instant, then lock their directory entries;
    idempotent. A failure is recorded on its departure and left for the next sweep, never
    raised into the scheduler. `progress` is told how many more accounts are revoked (or
    found not to need it), after each batch.

    Its unit of work is a batch of `batch` accounts, one transaction each: their rows locked,
    each revoked with its departure recorded, its sessions ended and its event appended, then
    one commit. On PostgreSQL a batch skips the rows another sweep holds, and a last pass
    waits for those and finds them revoked (or revokes them): each account once, and two
    sweeps at once share the work instead of queueing behind each other. A batch that fails
    is done again one account at a time, so one account's failure is recorded on it and never
    undoes another's revocation. The directory entries are locked once every account is
    revoked (the directory, a write each, is the slow part and only the backstop: Govern
    refuses them already), with no transaction open."""
    report = SweepReport()
    due = [account.id for account, _ in due_accounts(db, ctx.clock.now(), ctx.settings.departures)]
    db.rollback()  # no transaction held between two batches
    if dry_run:
        report.due.extend(due)
        _tell(progress, len(due))
        return report
    revoked, held = _sweep(db, ctx, due, report, progress, batch, skip_locked=True)
    more, _ = _sweep(db, ctx, held, report, progress, batch, skip_locked=False)
    if directory is not None:
        for departures in in_batches([*revoked, *more], batch):
            _lock_entries(db, ctx.trail, directory, departures)
        retry_entry_locks(db, ctx.trail, directory)
    return report


def _sweep(
    db: Session,
    ctx: Context,
    account_ids: list[str],
    report: SweepReport,
    progress: Callable[[int], None] | None,
    batch: int,
    *,
    skip_locked: bool,
) -> tuple[list[Revoked], list[str]]:
    """Revoke what is due of these accounts batch by batch. Returns the accounts revoked
    and the ids left out because another transaction held them (`skip_locked`: to be waited
    for) or because they were revoked already."""
    revoked: list[Revoked] = []
    left_out: list[str] = []
    for ids in in_batches(account_ids, batch):
        done, skipped = _sweep_batch(db, ctx, ids, report, skip_locked=skip_locked)
        revoked.extend(done)
        if skip_locked:
            left_out.extend(skipped)
        _tell(progress, len(ids) - (len(skipped) if skip_locked else 0))
    return revoked, left_out


def _sweep_batch(
    db: Session, ctx: Context, account_ids: list[str], report: SweepReport, *, skip_locked: bool
) -> tuple[list[Revoked], list[str]]:
    """One batch in one transaction or, if it fails, one account at a time (see `_sweep`)."""
    try:
        revoked, left_out = _revoke_batch(db, ctx, account_ids, skip_locked=skip_locked)
    except Exception as error:
        db.rollback()
        log.warning("departure batch failed (%s): one account at a time", type(error).__name__)
        revoked = [d for one in account_ids for d in _revoke_one(db, ctx, one, report)]
        return revoked, []
    report.revoked.extend(account_id for account_id, _ in revoked)
    return revoked, left_out


def _revoke_one(db: Session, ctx: Context, account_id: str, report: SweepReport) -> list[Revoked]:
    """One account in a transaction of its own; a failure is recorded on its departure."""
    try:
        revoked, _ = _revoke_batch(db, ctx, [account_id], skip_locked=False)
    except Exception as error:
        db.rollback()
        report.failed[account_id] = type(error).__name__
        _record_failure(db, ctx.settings.departures, account_id, type(error).__name__)
        return []
    report.revoked.extend(account_id for account_id, _ in revoked)
    return revoked


def revoke_departed(
    db: Session, ctx: Context, account_id: str, directory: Directory | None = None
) -> bool:
    """Revoke one departed account, exactly once across instances (its row is locked), and
    lock its directory entry where Govern may write there; returns whether this call revoked
    it."""
    revoked, _ = _revoke_batch(db, ctx, [account_id], skip_locked=False)
    if directory is not None:
        _lock_entries(db, ctx.trail, directory, revoked)
    return bool(revoked)


def _revoke_batch(
    db: Session, ctx: Context, account_ids: list[str], *, skip_locked: bool
) -> tuple[list[Revoked], list[str]]:
    """Lock these accounts, revoke those past their departure instant and record their
    departures, in one transaction, committed. Returns the accounts revoked, and the ids
    not locked: revoked already, or held by another transaction (`skip_locked`)."""
    now, departures = ctx.clock.now(), ctx.settings.departures
    rows = repository.lock_accounts(db, account_ids, skip_locked=skip_locked)
    locked = {account.id for account, _ in rows}
    left_out = [account_id for account_id in account_ids if account_id not in locked]
    due = [
        (account, person) for account, person in rows if departures.passed(person.leaving_on, now)
    ]
    if not due:
        db.rollback()
        return [], left_out
    records = repository.departure_records(db, [(a.id, a.employee_number) for a, _ in due])
    for account, person in due:
        record = _count_attempt(records[account.id], person, departures)
        record.state, record.revoked_at, record.last_error = DONE, now, None
    revocations = [(account, f"departure on {person.leaving_on}") for account, person in due]
    revoke_locked(db, ctx.clock, ctx.trail, revocations, ACTOR)
    db.commit()
    return [Revoked(account.id, account.employee_number) for account, _ in due], left_out


def _lock_entries(db: Session, trail: Trail, directory: Directory, revoked: list[Revoked]) -> int:
    """The directory backstop for revoked accounts, asked with no transaction open; an entry
    that fails is recorded for IT and locked again by the next sweep, the revocations stand.
    Commits; returns how many entries it locked."""
    if not revoked:
        return 0
    locks = directory.disable_all([employee_number for _, employee_number in revoked])
    locked = [account for account, number in revoked if number in locks.locked]
    failed = [account for account, number in revoked if number in locks.failed]
    try:
        _record_locks(db, trail, locked, failed)
    except Exception as error:  # e.g. the trail refused the events: lock them again later
        db.rollback()
        log.warning("directory locks not recorded (%s)", type(error).__name__)
        _record_locks(db, trail, [], [account for account, _ in revoked])
        return 0
    return len(locked)


def _record_locks(db: Session, trail: Trail, locked: list[str], failed: list[str]) -> None:
    """Keep on the departures what the directory did, with an event for each entry locked."""
    repository.keep_entry_locks(db, locked, failed, DISABLE_FAILED)
    trail.record_all(db, [("directory.entry_locked", ACTOR, account, {}) for account in locked])
    db.commit()


def retry_entry_locks(db: Session, trail: Trail, directory: Directory) -> int:
    """Lock again the directory entries whose lock failed; returns how many are locked now."""
    failed = [
        Revoked(departure.account_id, departure.employee_number)
        for departure in repository.failed_entry_locks(db, DISABLE_FAILED)
    ]
    db.rollback()  # no transaction open while the directory answers (SQLite's one writer)
    return sum(_lock_entries(db, trail, directory, some) for some in in_batches(failed, BATCH))


def _record_failure(db: Session, departures: Departures, account_id: str, error: str) -> None:
    """Keep the failure on the departure for the next sweep and IT. Commits: one departure's
    unit of work (see `revoke_due`)."""
    account = db.get(Account, account_id)
    person = db.get(Identity, account.employee_number) if account else None
    if person is None or person.leaving_on is None or account.state == REVOKED:
        return  # what failed came after the revocation, which stands
    departure = repository.departure_records(db, [(account_id, person.employee_number)])
    departure = _count_attempt(departure[account_id], person, departures)
    departure.state, departure.last_error = FAILED, error
    db.commit()


def _count_attempt(departure: Departure, person: Identity, departures: Departures) -> Departure:
    """The account's departure record, due now at the instant of the date that counts, with
    this attempt counted."""
    departure.due_at = departures.instant(person.leaving_on)  # type: ignore[arg-type]
    departure.attempts += 1
    return departure


def _tell(progress: Callable[[int], None] | None, count: int) -> None:
    if progress is not None and count:
        progress(count)


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
