"""Login, logout and the check every request passes through."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from govern import signals
from govern.accounts import repository as accounts
from govern.accounts.models import Account
from govern.accounts.rules import check_usable
from govern.actor import Caller
from govern.auditing.trail import AuditNotWritten, Trail
from govern.config import SignInLimits
from govern.context import Context
from govern.directory.departure import Departures
from govern.directory.models import Identity
from govern.directory.person import username_key
from govern.directory.source import Directory
from govern.errors import BEARER, Forbidden, GovernError, NotAuthenticated, TooManyRequests
from govern.sessions import ratelimit, repository
from govern.sessions.models import LoginSession
from govern.text import is_safe_text

WRONG_CREDENTIALS = "Wrong username or password."
#: The challenge of a token that names no session now (RFC 6750 3.1).
INVALID_TOKEN = f'{BEARER}, error="invalid_token"'
STILL_SIGNED_IN = (
    "The audit trail cannot be written, so you are still signed in; sign out again shortly."
)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewSession:
    token: str
    expires_at: datetime
    caller: Caller


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt: the credentials typed, from where, on which channel (api, page)."""

    username: str
    password: str = field(repr=False)
    client: str
    channel: str


def log_in(db: Session, directory: Directory, ctx: Context, attempt: Attempt) -> NewSession:
    """Check credentials against the directory and open a session for an active account.

    Every refusal is audited (`session.refused`, with the account's employee number when the
    username is known, never the username itself), an unexpected error too (code
    `internal`, then re-raised). Raises TooManyRequests `login.rate_limited`,
    NotAuthenticated `login.failed` (never says which part was wrong), Forbidden
    `login.no_account`, a `check_usable` refusal, DirectoryUnavailable, or AuditNotWritten
    `audit.unavailable` when the trail can take neither the session nor its refusal.
    """
    try:
        opened = _log_in(db, directory, ctx, attempt)
    except GovernError as refusal:
        signals.signed_in.send(_outcome(refusal))
        _record_refusal(db, ctx.trail, attempt, refusal.code)
        raise
    except Exception:
        signals.signed_in.send("error")  # something unexpected failed
        _record_refusal(db, ctx.trail, attempt, "internal")
        raise
    signals.signed_in.send("ok")
    return opened


def _outcome(refusal: GovernError) -> str:
    """How a refused sign-in ends, for the metrics: over a limit, refused, or our error."""
    if isinstance(refusal, TooManyRequests):
        return "limited"
    return "error" if refusal.status >= 500 else "refused"


def log_out(db: Session, trail: Trail, caller: Caller) -> None:
    """End the caller's session. Raises AuditNotWritten `audit.unavailable` when the trail
    cannot take `session.closed`: the session then stays open, and the message says so
    (a sign-out nobody can see in the trail never happened)."""
    repository.end_session(db, caller.session_hash)
    try:
        trail.record(db, "session.closed", caller.account_id, caller.account_id)
    except AuditNotWritten:
        raise AuditNotWritten("audit.unavailable", STILL_SIGNED_IN) from None
    db.commit()


def authenticate(db: Session, ctx: Context, token: str, channel: str) -> Caller:
    """The caller behind a session token, checked afresh against account and identity.

    Raises NotAuthenticated `session.invalid` / `session.expired`, or a `check_usable` refusal
    (audited as `session.refused`).
    """
    found = repository.session_with_account(db, token_hash(token)) if token else None
    if found is None or found[0].channel != channel:
        raise NotAuthenticated("session.invalid", "Sign in first.", INVALID_TOKEN)
    session, account, person = found
    now = ctx.clock.now()
    if now >= session.expires_at:
        db.delete(session)
        db.commit()
        raise NotAuthenticated(
            "session.expired", "Your session has expired; sign in again.", INVALID_TOKEN
        )
    try:
        _ensure_usable(account, person, now, ctx.settings.departures)
    except Forbidden as refusal:
        refused = session.account_id
        db.rollback()  # a refused session keeps nothing; its event is made durable after
        ctx.trail.record_now(
            db, "session.refused", refused, refused, code=refusal.code, channel=channel
        )
        raise
    return _caller(account, person, session.token_hash)


def _log_in(db: Session, directory: Directory, ctx: Context, attempt: Attempt) -> NewSession:
    username, client, channel = attempt.username, attempt.client, attempt.channel
    settings, now = ctx.settings, ctx.clock.now()
    limits = settings.sign_in_limits
    slots = _reserve_attempt(db, limits.window_minutes, username_key(username), client, now)
    db.commit()  # the attempt counts from now, before the directory is asked
    refused = _over_limits(limits, slots, now)
    if refused is not None:  # it never reaches the directory, so it does not count
        _give_back(db, slots)
        db.commit()
        raise refused
    try:
        employee_number = directory.authenticate(username.strip(), attempt.password)
    except Exception:  # the directory did not answer: nobody guessed, nothing counts
        _give_back(db, slots)
        db.commit()
        raise
    if employee_number is None:
        raise NotAuthenticated("login.failed", WRONG_CREDENTIALS)
    _give_back(db, slots)
    db.commit()  # given back for good, whatever refuses the sign-in next
    account, person = _live_account(db, ctx, employee_number)
    _ensure_usable(account, person, now, settings.departures)
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.session_hours)
    db.add(
        LoginSession(
            token_hash=token_hash(token),
            account_id=account.id,
            channel=channel,
            client=client,
            created_at=now,
            expires_at=expires,
        )
    )
    account.last_used_at = now
    ctx.trail.record(db, "session.opened", account.id, account.id, channel=channel)
    db.commit()
    return NewSession(token, expires, _caller(account, person, token_hash(token)))


def _record_refusal(db: Session, trail: Trail, attempt: Attempt, code: str) -> None:
    """One `session.refused` event for a refused attempt; nothing the attempt began is kept.
    Raises AuditNotWritten."""
    db.rollback()
    employee = _employee_named(db, attempt.username)
    db.rollback()  # the lookup's read ends before the event is made durable
    trail.record_now(db, "session.refused", None, employee, code=code, channel=attempt.channel)


def _employee_named(db: Session, username: str) -> str | None:
    """The employee number behind a username, if it names someone: a mistyped password in
    the username field must never reach the trail. None when the lookup itself fails (the
    refusal is recorded without it)."""
    if not is_safe_text(username):  # names nobody, and the database cannot compare it
        return None
    try:
        return repository.employee_named(db, username)
    except SQLAlchemyError:
        log.exception("the account behind a refused sign-in could not be looked up")
        db.rollback()
        return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _reserve_attempt(
    db: Session, minutes: int, username: str, client: str, now: datetime
) -> list[ratelimit.Slot]:
    """Reserve this attempt's place in each limit (see docs/security.md, "Sign-in limits"):
    failures of this username from this client (tight), of this username from anywhere
    (looser), and usernames that failed from this client (counted once each, so one busy
    office address is not locked out by its staff's typos), each counted over the last
    `minutes`. The caller commits."""
    ratelimit.forget_old(db, now, minutes)
    pair = ratelimit.reserve(db, "pair", f"{username}\n{client}", now, minutes)
    slots = [pair, ratelimit.reserve(db, "user", username, now, minutes)]
    if pair.count == 1:  # a username not yet failing from this client in this window
        slots.append(ratelimit.reserve(db, "client", client, now, minutes))
    return slots


def _over_limits(
    limits: SignInLimits, slots: list[ratelimit.Slot], now: datetime
) -> TooManyRequests | None:
    """The refusal of an attempt that goes over a limit, or None."""
    minutes = limits.window_minutes
    most = {
        "pair": limits.per_user_and_client,
        "user": limits.per_user,
        "client": limits.usernames_per_client,
    }
    over = [slot for slot in slots if slot.count > most[slot.scope]]
    if not over:
        return None
    return TooManyRequests(
        "login.rate_limited",
        "Too many failed logins; wait before trying again.",
        retry_after=max(ratelimit.seconds_left(slot, now, minutes) for slot in over),
    )


def _give_back(db: Session, slots: list[ratelimit.Slot]) -> None:
    """An attempt the directory did not refuse does not count: return its places (in a
    transaction of their own, begun here; the caller commits it)."""
    db.rollback()
    for slot in slots:
        ratelimit.give_back(db, slot)


def _live_account(db: Session, ctx: Context, employee_number: str) -> tuple[Account, Identity]:
    """The person's live account (else their last). Raises Forbidden `account.departed` for
    someone who left without ever having one (told they left, not that none was issued),
    else `login.no_account`."""
    person = accounts.identity(db, employee_number)
    past = accounts.accounts_of(db, employee_number) if person else []
    if (
        person is not None
        and not past
        and accounts.has_left(person, ctx.clock.now(), ctx.settings.departures)
    ):
        raise Forbidden("account.departed", "You have left the company.")
    if person is None or not past:
        raise Forbidden(
            "login.no_account",
            "You have no Govern account yet; your department head issues it.",
        )
    return accounts.live_account(db, employee_number) or past[-1], person


def _caller(account: Account, person: Identity, session_hash: str) -> Caller:
    staff = accounts.staff_of(person)
    return Caller(account.id, person.name, staff, session_hash, person.project_group)


def why_ended(db: Session, ctx: Context, account_id: str) -> str | None:
    """Why this account may no longer act (`check_usable`'s code: departed, gone from the
    directory, revoked, suspended), or None when it still may: the reason a page gives
    someone whose session ended with their account."""
    account = db.get(Account, account_id)
    person = accounts.identity(db, account.employee_number) if account else None
    if account is None or person is None:
        return None
    try:
        _ensure_usable(account, person, ctx.clock.now(), ctx.settings.departures)
    except Forbidden as refused:
        return refused.code
    return None


def _ensure_usable(
    account: Account, person: Identity, now: datetime, departures: Departures
) -> None:
    """Raises the `check_usable` refusal when this account may not act now."""
    check_usable(
        account.state, person.gone_at is not None, accounts.has_left(person, now, departures)
    )
