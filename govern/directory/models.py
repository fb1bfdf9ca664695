"""Identities as synced from the directory, and the record of every change to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime

#: The advisory lock key of the directory sync (PostgreSQL), held for its transaction; what
#: else changes a person's roles (separation of duties' exceptions) waits for it.
SYNC_LOCK = 0x60_5E_4E_01

#: The identity fields a sync compares, in report order.
SYNCED_FIELDS = (
    "username",
    "name",
    "department",
    "project_group",
    "title",
    "track",
    "hire_date",
    "departure_date",
    "roles",
)


class Identity(Base):
    __tablename__ = "identities"

    employee_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(256))
    department: Mapped[str] = mapped_column(String(128), index=True)
    project_group: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(256))
    track: Mapped[str | None] = mapped_column(String(32))
    hire_date: Mapped[date | None] = mapped_column(Date)
    departure_date: Mapped[date | None] = mapped_column(Date)
    # Set in Govern by HR or IT; a sync never changes it. The earlier of the two dates wins.
    departure_override: Mapped[date | None] = mapped_column(Date)
    override_by: Mapped[str | None] = mapped_column(String(64))
    override_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    roles: Mapped[list[str]] = mapped_column(JSON)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def leaving_on(self) -> date | None:
        """The departure date that counts: the earlier of the directory's and Govern's."""
        dates = [
            d
            for d in (self.departure_date, self.departure_override)
            if d is not None and (self.hire_date is None or d >= self.hire_date)
        ]  # a date before the (re-)hire date belongs to an earlier employment
        return min(dates, default=None)


class IdentityChange(Base):
    """One attribute of one identity changed by one sync run (or its arrival or departure)."""

    __tablename__ = "identity_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sync_run: Mapped[str] = mapped_column(String(32), index=True)
    employee_number: Mapped[str] = mapped_column(
        ForeignKey("identities.employee_number"), index=True
    )
    attribute: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DutyConflict(Base):
    """A person's pair of duties a rule of separation of duties forbids, as the last sync found
    it: the later role withheld, the pair held, or held under an exception (`duties.py`)."""

    __tablename__ = "duty_conflicts"

    employee_number: Mapped[str] = mapped_column(
        ForeignKey("identities.employee_number"), primary_key=True
    )
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    #: the role withheld, or let through by an exception; None when nothing a sync grants is
    role: Mapped[str | None] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    sync_run: Mapped[str] = mapped_column(String(32))


class DutyException(Base):
    """A policy admin's acceptance of one person's conflict under one rule, with a reason, until
    the end of `ends_on` (company time); ended early with `ended_at`."""

    __tablename__ = "duty_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    employee_number: Mapped[str] = mapped_column(
        ForeignKey("identities.employee_number"), index=True
    )
    rule_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    ends_on: Mapped[date] = mapped_column(Date)
    accepted_by: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(Text)
