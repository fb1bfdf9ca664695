"""Access review campaigns, their items (one account each, snapshot at the start) and the
reminders sent to the reviewers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime


class ReviewCampaign(Base):
    """A review started by the general manager or a policy admin: its scope (departments, or
    None for the whole agency), its deadline and what happens then to undecided items."""

    __tablename__ = "review_campaigns"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    started_by: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    departments: Mapped[list[str] | None] = mapped_column(JSON)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: "suspend" or "report" (rules.AT_DEADLINE)
    at_deadline: Mapped[str] = mapped_column(String(16))
    #: A recurring campaign's period: the worker starts the next one when this one closes.
    every_months: Mapped[int | None] = mapped_column(Integer)
    #: The campaign this one follows, for a recurring one.
    follows: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who cancelled it and why, if it was cancelled (then at `closed_at`; no successor).
    cancelled_by: Mapped[str | None] = mapped_column(String(128))
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class ReviewItem(Base):
    """One account to review in one campaign, and its decision once made."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("campaign_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("review_campaigns.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    employee_number: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(128), index=True)
    #: Who reviews it: "department_head" (of `department`) or "general_manager".
    reviewer: Mapped[str] = mapped_column(String(32))
    #: None until decided: certified, revoked, suspended, suspended_at_deadline, lapsed
    decision: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReviewReminder(Base):
    """A reminder sent to the reviewers of one department `days` before a campaign's deadline;
    the reviewers see it on their review page, and the trail has it."""

    __tablename__ = "review_reminders"
    __table_args__ = (UniqueConstraint("campaign_id", "department", "reviewer", "days"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("review_campaigns.id"), index=True)
    department: Mapped[str] = mapped_column(String(128))
    reviewer: Mapped[str] = mapped_column(String(32))
    days: Mapped[int] = mapped_column(Integer)
    undecided: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
