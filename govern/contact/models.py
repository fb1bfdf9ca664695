"""The tables of contact: lines, calls, the guard's permits, do-not-call blocks and complaint
stops. A person's number is never stored in the clear: sealed for reading back, and its keyed
digest (`Vault.digest("phone", …)`) for matching and counting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime


class Line(Base):
    """One of the agency's recorded landlines (R-NTE-2). Its number is the agency's own, not a
    person's: kept plain."""

    __tablename__ = "lines"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    location: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))  # active | retired
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by: Mapped[str] = mapped_column(String(128))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retired_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    retire_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Call(Base):
    """A call detail record as the telephone system reported it, once per system call id."""

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_number_started", "number_digest", "started_at"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    system_call_id: Mapped[str] = mapped_column(String(128), unique=True)
    line_number: Mapped[str] = mapped_column(String(32))  # as reported
    line_id: Mapped[str | None] = mapped_column(ForeignKey("lines.id"), nullable=True)
    unregistered_line: Mapped[bool] = mapped_column(default=False)  # flagged (R-NTE-2)
    direction: Mapped[str] = mapped_column(String(8))  # outbound | inbound
    number_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    number: Mapped[bytes] = mapped_column(LargeBinary)  # sealed
    key_id: Mapped[str] = mapped_column(String(32))
    debtor_id: Mapped[str | None] = mapped_column(
        ForeignKey("debtors.id"), nullable=True, index=True
    )
    party: Mapped[str | None] = mapped_column(String(32), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recording_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactPermit(Base):
    """An allow the guard gave: it counts against the day's caps until its call is reported
    (then the call counts) or, untaken, until its company day ends (a call is reported
    only when it ends); its expiry bounds which reported call may take it."""

    __tablename__ = "contact_permits"
    __table_args__ = (Index("ix_contact_permits_number_issued", "number_digest", "issued_at"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"), index=True)
    party: Mapped[str] = mapped_column(String(32))
    number_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    account_id: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id"), nullable=True)


class ContactBlock(Base):
    """A party who asked not to be contacted (R-CON-4): blocked for good."""

    __tablename__ = "contact_blocks"
    __table_args__ = (UniqueConstraint("debtor_id", "party", name="uq_contact_blocks_party"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"), index=True)
    party: Mapped[str] = mapped_column(String(32))
    # the contact's number when blocked: it stays blocked under any debtor or party listing it
    number_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True, index=True)
    reason: Mapped[str] = mapped_column(String(32))  # do_not_call
    note_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    blocked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_by: Mapped[str] = mapped_column(String(128))


class WrongNumber(Base):
    """A contact check refused because the number is not the party's: counted per account and
    debtor per company day, so the check cannot be used to guess a masked number."""

    __tablename__ = "contact_wrong_numbers"
    __table_args__ = (
        Index("ix_contact_wrong_numbers_asked", "account_id", "debtor_id", "refused_at"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(16))
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"))
    party: Mapped[str] = mapped_column(String(32))
    refused_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComplaintCase(Base):
    """A complaint or complaint tendency (R-CON-5): collection on the debtor stops while a case
    is open; supervisors and the complaint desk resume it, with a reason."""

    __tablename__ = "complaint_cases"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # complaint | tendency
    note_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(128))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))  # open | resumed
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resumed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resume_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
