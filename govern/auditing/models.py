"""Leak investigations opened by auditors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime


class Investigation(Base):
    """A leak under investigation: which debtors and fields leaked, in which window.

    Later issues let auditors see debtor fields only inside an open investigation.
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
