"""Small queries sign-in and the check of every request stand on (the failed-login counters
are `ratelimit.py`'s)."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from govern.accounts.models import Account
from govern.directory.models import Identity
from govern.sessions.models import LoginSession


def session_with_account(db: Session, hashed: str) -> tuple[LoginSession, Account, Identity] | None:
    """The session, its account and the account's person: one query, read fresh."""
    row = db.execute(_SESSION_WITH_ACCOUNT, {"hashed": hashed}).first()
    return None if row is None else (row[0], row[1], row[2])


# Every request asks it: the statement is built once (its building and cache key cost more
# than its round trip).
_SESSION_WITH_ACCOUNT = (
    select(LoginSession, Account, Identity)
    .join(Account, Account.id == LoginSession.account_id)
    .join(Identity, Identity.employee_number == Account.employee_number)
    .where(LoginSession.token_hash == bindparam("hashed"))
)


def employee_named(db: Session, username: str) -> str | None:
    """The employee number of the person with this username (any case, trimmed), if any."""
    query = select(Identity.employee_number).where(
        func.lower(Identity.username) == username.strip().lower()
    )
    return db.scalars(query).first()


def end_session(db: Session, hashed: str) -> None:
    """Delete the session with this token hash (the caller commits)."""
    db.execute(delete(LoginSession).where(LoginSession.token_hash == hashed))
