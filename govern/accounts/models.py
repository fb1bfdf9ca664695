"""Accounts and the record of every change of their state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime

ACTIVE, SUSPENDED, REVOKED = "active", "suspended", "revoked"
STATES = (ACTIVE, SUSPENDED, REVOKED)


class Account(Base):
    """A personal account. Rows are never deleted, so an identifier is never handed out twice."""

    __tablename__ = "accounts"
    __table_args__ = (
        # One person, one live account (R-ACC-3), held by the database and not only by code.
        Index(
            "ux_accounts_one_live_per_person",
            "employee_number",
            unique=True,
            sqlite_where=text("state != 'revoked'"),
            postgresql_where=text("state != 'revoked'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    employee_number: Mapped[str] = mapped_column(
        ForeignKey("identities.employee_number"), index=True
    )
    state: Mapped[str] = mapped_column(String(16))
    issued_by: Mapped[str] = mapped_column(String(128))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: While suspended, the kind of suspension (policies/suspensions.toml): who may lift it.
    suspension_kind: Mapped[str | None] = mapped_column(String(32))


class AccountTransition(Base):
    """Who moved an account from one state to another, when and why. Append-only."""

    __tablename__ = "account_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when the account entered (or stayed in) `suspended`: the kind it was suspended for.
    suspension_kind: Mapped[str | None] = mapped_column(String(32))
