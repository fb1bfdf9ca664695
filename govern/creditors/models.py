"""A creditor (甲方, the debtors' `client`) and the deletion certificate issued at the end of
its contract."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime


class Creditor(Base):
    __tablename__ = "creditors"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: The debtors' `client` column names it: a debtor is this creditor's when they match.
    name: Mapped[str] = mapped_column(String(128), unique=True)
    project_groups: Mapped[list[str]] = mapped_column(JSON)
    purposes: Mapped[list[str]] = mapped_column(JSON)  # reveal purposes it agreed to
    contract_start: Mapped[date] = mapped_column(Date)
    contract_end: Mapped[date] = mapped_column(Date)  # its last day, in the company's zone
    key_id: Mapped[str] = mapped_column(String(32))  # its current data key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    ended_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DeletionCertificate(Base):
    """The signed statement of what was destroyed at a contract's end: `document` is its
    canonical JSON (the bytes signed), `signature` the audit key's Ed25519 signature (hex)."""

    __tablename__ = "deletion_certificates"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    creditor_id: Mapped[str] = mapped_column(ForeignKey("creditors.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    document: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(32))  # the audit signing key's
