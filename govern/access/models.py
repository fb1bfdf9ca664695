"""The access policy as stored: casbin's policy lines (the sqlalchemy-adapter's table), the
policy version every instance checks, and break-glass grants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime


class PolicyLine(Base):
    """One casbin policy line (`p, collector, *, phones, on_purpose`), in the table and shape
    of casbin's SQLAlchemy adapter (`casbin_rule`)."""

    __tablename__ = "casbin_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ptype: Mapped[str | None] = mapped_column(String(255))
    v0: Mapped[str | None] = mapped_column(String(255))
    v1: Mapped[str | None] = mapped_column(String(255))
    v2: Mapped[str | None] = mapped_column(String(255))
    v3: Mapped[str | None] = mapped_column(String(255))
    v4: Mapped[str | None] = mapped_column(String(255))
    v5: Mapped[str | None] = mapped_column(String(255))

    def __str__(self) -> str:
        """The line as casbin's adapter hands it to casbin: `p, collector, *, name, full`."""
        values = (self.ptype, self.v0, self.v1, self.v2, self.v3, self.v4, self.v5)
        return ", ".join(v for v in values if v is not None)


class PolicyVersion(Base):
    """One row: `version` bumped in the transaction of every policy change, `contracts` in
    that of every contract change; each debtor read compares both."""

    __tablename__ = "policy_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The creditors' contracts' version: bumped in the transaction of every creditor created,
    #: its contract changed or ended (`repository.bump_contracts`), read with `version`.
    contracts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class BreakGlassGrant(Base):
    """A supervisor's time-boxed grant to one account, for one debtor or one project group
    outside the account's own; every use is flagged to auditors."""

    __tablename__ = "break_glass_grants"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    debtor_id: Mapped[str | None] = mapped_column(String(16))
    project_group: Mapped[str | None] = mapped_column(String(128))
    justification: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
