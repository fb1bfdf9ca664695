"""Account use cases: issue, bootstrap, revoke, suspend and lift a suspension, look up. Each
owns its transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govern.accounts import repository as repo
from govern.accounts.models import ACTIVE, REVOKED, SUSPENDED, Account, AccountTransition
from govern.accounts.repository import Transition
from govern.accounts.rules import (
    GENERAL_MANAGER,
    PastAccount,
    SuspensionKind,
    check_impose,
    check_issuer,
    check_lift,
    check_replace,
    may_view_account,
    may_view_department,
    missing_superior,
    needs_new_account,
    new_account_id,
)
from govern.accounts.suspensions import suspension_kinds
from govern.actor import Actor, Staff
from govern.auditing.trail import Trail
from govern.clock import Clock
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import Conflict, Forbidden, NotFound
from govern.justification import justification
from govern.sessions.models import LoginSession

#: The fewest characters, besides the spaces around them, of the reason kept in an account's
#: history when it is revoked, suspended or reactivated.
REASON_MIN_CHARS = 3

#: The audit action for entering each state: account.revoked, account.suspended, ...
VERBS = {REVOKED: "revoked", SUSPENDED: "suspended", ACTIVE: "reinstated"}


@dataclass(frozen=True)
class AccountView:
    account: Account
    identity: Identity
    history: list[AccountTransition]


def issue_account(
    db: Session,
    ctx: Context,
    issuer: Actor,
    employee_number: str,
) -> tuple[Account, bool]:
    """Issue `employee_number`'s account, or return the live one. Returns (account, created).

    Raises NotFound `identity.unknown`, Conflict `identity.gone` / `identity.departed` /
    `account.revoked`, Forbidden from `check_issuer`.
    """
    person = _present_person(db, ctx, employee_number)
    has_head = repo.department_has_active_head(
        db, person.department, employee_number, ctx.clock.now(), ctx.settings.departures
    )
    check_issuer(issuer.staff, repo.staff_of(person), has_head)
    past = [PastAccount(a.state, a.revoked_at) for a in repo.accounts_of(db, employee_number)]
    if not needs_new_account(past, person.hire_date, ctx.settings.timezone):
        return repo.live_account(db, employee_number), False  # type: ignore[return-value]
    issued = _create(
        db, ctx.clock, ctx.trail, employee_number, issuer.label, "issued by department head"
    )
    db.commit()
    return issued


def people_awaiting_account(db: Session, ctx: Context, issuer: Staff) -> list[Identity]:
    """The people `issuer` would issue an account to now (`issue_account` would create one):
    present in the directory, without a live account nor a revocation that stands (R-ACC-2),
    and answered for by the issuer (`check_issuer`: their department's head, the general
    manager for heads and departments without an active head). By department and number."""
    now, departures = ctx.clock.now(), ctx.settings.departures
    headed = repo.departments_with_active_head(db, now, departures)
    return [
        person
        for person, past in repo.people_without_live_account(db)
        if repo.is_present(person, now, departures)
        and missing_superior(issuer, repo.staff_of(person), person.department in headed) is None
        and _may_have_new_account(person, past, ctx)
    ]


def _may_have_new_account(person: Identity, past: list[Account], ctx: Context) -> bool:
    accounts = [PastAccount(a.state, a.revoked_at) for a in past]
    try:
        return needs_new_account(accounts, person.hire_date, ctx.settings.timezone)
    except Conflict:
        return False  # revoked and not re-hired: issuing would be refused


def bootstrap_general_manager(
    db: Session,
    ctx: Context,
    employee_number: str,
    operator: str,
) -> Account:
    """Issue the very first account, the general manager's, from the operator's console.

    `operator` is recorded as the issuer (`operator:<user>`). Raises Conflict
    `accounts.bootstrapped` once any general manager has an active account, and
    `account.revoked` for a revoked general manager who was not re-hired.
    """
    person = _present_person(db, ctx, employee_number)
    if GENERAL_MANAGER not in person.roles:
        raise Conflict(
            "bootstrap.not_general_manager",
            f"{employee_number} is not in the general managers' directory group.",
        )
    if any(
        GENERAL_MANAGER in i.roles
        for a, i in repo.accounts_with_identity(db, None)
        if a.state == ACTIVE
    ):
        raise Conflict(
            "accounts.bootstrapped",
            "A general manager already has an active account; issue accounts through them.",
        )
    past = [PastAccount(a.state, a.revoked_at) for a in repo.accounts_of(db, employee_number)]
    if not needs_new_account(past, person.hire_date, ctx.settings.timezone):
        raise Conflict("accounts.bootstrapped", f"{employee_number} already has an account.")
    account, _ = _create(db, ctx.clock, ctx.trail, employee_number, operator, "bootstrap")
    db.commit()
    return account


def revoke_account(
    db: Session, clock: Clock, trail: Trail, account_id: str, actor: str, reason: str
) -> Account:
    """Revoke for good: the account and every session of it stop working. Idempotent.

    Raises Unprocessable `justification.too_short` (the reason), NotFound `account.unknown`.
    """
    reason = justification(reason, REASON_MIN_CHARS, "reason")
    account = _locked_account(db, account_id)
    if account.state != REVOKED:
        revoke_locked(db, clock, trail, [(account, reason)], actor)
        db.commit()
    return account


def revoke_locked(
    db: Session, clock: Clock, trail: Trail, revocations: list[tuple[Account, str]], actor: str
) -> None:
    """Revoke for good accounts not yet revoked whose rows the caller holds locked, each with
    its reason (a sweep's batch: one append of their events, one delete of their sessions),
    in the caller's transaction; the caller commits.

    Raises Unprocessable `justification.too_short` (a reason).
    """
    now = clock.now()
    moves = []
    for account, reason in revocations:
        reason = justification(reason, REASON_MIN_CHARS, "reason")
        account.revoked_at = now  # a revocation ends any suspension too
        moves.append((account, Transition(REVOKED, actor, reason, now)))
    _move_all(db, trail, moves)


def suspend_account(
    db: Session,
    ctx: Context,
    account_id: str,
    actor: str,
    reason: str,
    kind: str,
) -> Account:
    """Suspend an active account for `kind` of reason; its sessions end. Idempotent. For the
    daily sweep and other jobs of Govern itself; people go through `impose_suspension`.

    Raises Unprocessable `justification.too_short` (the reason), NotFound `account.unknown`,
    Conflict `account.revoked`.
    """
    reason = justification(reason, REASON_MIN_CHARS, "reason")
    account = _locked_account(db, account_id)
    _not_revoked(account)
    if account.state == ACTIVE:
        moved = Transition(SUSPENDED, actor, reason, ctx.clock.now(), kind)
        _move(db, ctx.trail, account, moved)
        db.commit()
    return account


def impose_suspension(
    db: Session,
    ctx: Context,
    imposer: Actor,
    account_id: str,
    kind: str,
    reason: str,
) -> Account:
    """Suspend an account for a kind of reason the imposer's role may impose (IT for security,
    HR for an HR matter: policies/suspensions.toml); its sessions end. Suspending again for
    the same kind changes nothing; for another kind, the imposer must also be one who may lift
    the present kind, unless the policy marks the present kind `replaceable` by any imposer
    (inactivity: HR or IT may escalate it without a gap in which the owner could sign in).

    Raises BadRequest `suspension.kind_unknown`, Unprocessable `justification.too_short` (the
    reason), NotFound `account.unknown` / `identity.unknown`, Conflict `account.revoked`,
    Forbidden `self.approval` / `suspension.impose_denied` / `suspension.lift_denied`.
    """
    kinds = suspension_kinds(ctx.settings.policies_dir)
    chosen = kinds.named(kind)
    reason = justification(reason, REASON_MIN_CHARS, "reason")
    account = _locked_account(db, account_id)
    _not_revoked(account)
    person = repo.staff_of(_person(db, account.employee_number))
    with _refusing(account):
        if account.state == SUSPENDED:
            present = kinds.of(account.suspension_kind)
            has_head = _has_head(db, ctx, person)
            check_replace(present, chosen, imposer.staff, person, has_head)
        else:
            check_impose(chosen, imposer.staff, person)
    if account.state == ACTIVE or account.suspension_kind != chosen.name:
        moved = Transition(SUSPENDED, imposer.label, reason, ctx.clock.now(), chosen.name)
        _move(db, ctx.trail, account, moved)
        db.commit()
    return account


def reactivate_account(
    db: Session,
    ctx: Context,
    lifter: Actor,
    account_id: str,
    reason: str,
) -> Account:
    """Lift a suspension: make a suspended account active again, with a reason, if the
    lifter's role may lift its kind (policies/suspensions.toml): e.g. the owner's department
    head (the general manager for heads) after it was suspended for being unused, IT after a
    security suspension. A revoked account is never made active again (R-ACC-2). Idempotent.

    Raises Unprocessable `justification.too_short` (the reason), NotFound `account.unknown`,
    Forbidden `self.approval` / `suspension.lift_denied` / `issuer.not_department_head` /
    `issuer.not_general_manager`,
    Conflict `account.revoked` / `identity.gone` / `identity.departed`.
    """
    reason = justification(reason, REASON_MIN_CHARS, "reason")
    account = _locked_account(db, account_id)
    _not_revoked(account)
    person = _present_person(db, ctx, account.employee_number)
    if account.state != SUSPENDED:
        return account
    kind = suspension_kinds(ctx.settings.policies_dir).of(account.suspension_kind)
    staff = repo.staff_of(person)
    with _refusing(account):
        check_lift(kind, lifter.staff, staff, _has_head(db, ctx, staff))
    account.last_used_at = ctx.clock.now()  # or the next inactivity sweep suspends it again
    _move(db, ctx.trail, account, Transition(ACTIVE, lifter.label, reason, ctx.clock.now()))
    db.commit()
    return account


def _has_head(db: Session, ctx: Context, person: Staff) -> bool:
    return repo.department_has_active_head(
        db, person.department, person.employee_number, ctx.clock.now(), ctx.settings.departures
    )


@contextmanager
def _refusing(account: Account) -> Iterator[None]:
    """A refusal names the account, so its denial event does too (R-AUD-1)."""
    try:
        yield
    except Forbidden as refused:
        raise Forbidden(refused.code, refused.message, object=account.id) from None


def _not_revoked(account: Account) -> None:
    if account.state == REVOKED:
        raise Conflict("account.revoked", f"{account.id} is revoked for good.")


def _move(db: Session, trail: Trail, account: Account, move: Transition) -> None:
    """Record the transition and its audit event; leaving `active` ends every session.
    The caller commits."""
    _move_all(db, trail, [(account, move)])


def _move_all(db: Session, trail: Trail, moves: list[tuple[Account, Transition]]) -> None:
    """`_move` for several accounts: their events in one append, their sessions in one
    delete. The caller commits."""
    trail.record_all(db, [_moved_event(account, move) for account, move in moves])
    for account, move in moves:
        repo.record_transition(db, account, replace(move, reason=move.reason.strip()))
    leaving = [account.id for account, move in moves if move.to_state != ACTIVE]
    if leaving:
        db.execute(delete(LoginSession).where(LoginSession.account_id.in_(leaving)))


def _moved_event(account: Account, move: Transition) -> tuple[str, str, str, dict[str, str]]:
    """The audit event of `move`, as `Trail.record_all` takes it (before the account moves)."""
    state, kind = move.to_state, move.kind
    moved = {"from": account.state, "to": state} | ({"kind": kind} if kind else {})
    return f"account.{VERBS[state]}", move.actor, account.id, moved


def suspension_of(policies_dir: Path, account: Account) -> SuspensionKind | None:
    """The kind of suspension a suspended account is held for (who may lift it); else None."""
    if account.state != SUSPENDED:
        return None
    return suspension_kinds(policies_dir).of(account.suspension_kind)


def view_account(
    db: Session, viewer: Staff, account_id: str, readers: frozenset[str]
) -> AccountView:
    """One account with its history; `readers` see every department's (policies/roles.toml).

    Raises NotFound, Forbidden `account.not_visible`.
    """
    account = _account(db, account_id)
    person = db.get(Identity, account.employee_number)
    if not may_view_account(viewer, repo.staff_of(person), readers):  # type: ignore[arg-type]
        raise Forbidden("account.not_visible", "This account is outside what you may see.")
    return AccountView(account, person, repo.transitions(db, account.id))  # type: ignore[arg-type]


def list_accounts(
    db: Session, viewer: Staff, department: str | None, readers: frozenset[str]
) -> list[AccountView]:
    """Accounts of one department, or every one the viewer may see; `readers` see every
    department's (policies/roles.toml).

    Raises Forbidden `account.department_not_visible`.
    """
    if department is None and not viewer.roles & readers:
        department = viewer.department
    if department is not None and not may_view_department(viewer, department, readers):
        raise Forbidden(
            "account.department_not_visible",
            f"Department {department}'s accounts are outside what you may see.",
        )
    return [AccountView(a, i, []) for a, i in repo.accounts_with_identity(db, department)]


def _person(db: Session, number: str) -> Identity:
    person = repo.identity(db, number)
    if person is None:
        raise NotFound(
            "identity.unknown", f"No one with employee number {number} in the directory."
        )
    return person


def _present_person(db: Session, ctx: Context, number: str) -> Identity:
    person = _person(db, number)
    if person.gone_at is not None:
        raise Conflict("identity.gone", f"{number} is no longer in the directory.")
    if not repo.is_present(person, ctx.clock.now(), ctx.settings.departures):
        raise Conflict("identity.departed", f"{number} left on {person.leaving_on}.")
    return person


def _create(
    db: Session, clock: Clock, trail: Trail, employee_number: str, actor: str, reason: str
) -> tuple[Account, bool]:
    """Insert a new account (the caller commits); if a concurrent request won the race (its
    insert fails at the flush), return theirs."""
    now = clock.now()
    account = Account(
        id=new_account_id(),
        employee_number=employee_number,
        state=ACTIVE,
        issued_by=actor,
        issued_at=now,
    )
    try:
        db.add(account)
        db.flush()
        repo.record_transition(db, account, Transition(ACTIVE, actor, reason, now), issued=True)
        trail.record(db, "account.issued", actor, account.id, employee=employee_number)
    except IntegrityError:
        db.rollback()
        winner = repo.live_account(db, employee_number)
        if winner is None:
            raise
        return winner, False
    return account, True


def _account(db: Session, account_id: str) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise NotFound("account.unknown", f"No account {account_id}.")
    return account


def _locked_account(db: Session, account_id: str) -> Account:
    """The account as it stands once its row is locked for this transaction: a change decides
    on the state it changes, not on one another change moved meanwhile (SQLite's one writer
    already waits at BEGIN IMMEDIATE)."""
    account = db.get(Account, account_id, with_for_update=True, populate_existing=True)
    if account is None:
        raise NotFound("account.unknown", f"No account {account_id}.")
    return account
