"""Investigations opened by auditors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime


class Investigation(Base):
    """A leak under investigation: which debtors and fields leaked, or which account is
    suspected (`suspect`), in which window.

    One that only ranks who saw the records queries the trail and opens nothing. One that asks
    to open the debtors' fields to its auditor carries a case reference and a justification,
    and opens them only once a second person approved it, until it expires or is closed.
    """

    __tablename__ = "investigations"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    opened_by: Mapped[str] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    debtor_ids: Mapped[list[str]] = mapped_column(JSON)
    fields: Mapped[list[str]] = mapped_column(JSON)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: it only queries the trail; else pending, approved or refused (investigations.rules)
    field_access: Mapped[str | None] = mapped_column(String(16))
    case_reference: Mapped[str | None] = mapped_column(String(64))
    justification: Mapped[str | None] = mapped_column(Text)
    hours: Mapped[int | None] = mapped_column(Integer)  # asked for; the approver may shorten
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refusal: Mapped[str | None] = mapped_column(Text)
    #: the account suspected of the leak (None: the leaked debtor ids say what leaked)
    suspect: Mapped[str | None] = mapped_column(String(128))
    #: the incident's grade (investigations.rules.GRADES), who gave it and when: one grade
    #: for every report of the incident
    grade: Mapped[str | None] = mapped_column(String(32))
    graded_by: Mapped[str | None] = mapped_column(String(128))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LegalHold(Base):
    """A legal hold on an investigation: while it stands (placed, not released), the trail's
    windows holding any event about its debtors or in its period are never archived or
    removed, however old (docs/governance.md, "Retention"). Placed again after a release,
    the same row starts over."""

    __tablename__ = "legal_holds"

    investigation_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("investigations.id"), primary_key=True
    )
    placed_by: Mapped[str] = mapped_column(String(128))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(String(128))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
