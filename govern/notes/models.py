"""The tables of notes: collection notes (append-only, text sealed) and call scripts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime

#: Tables the service role may read and append to but never change (govern/migrate.py).
APPEND_ONLY_NOTES = ("collection_notes",)


class Note(Base):
    """A collection note (R-NTE-1). Never updated or deleted (the database refuses it); a
    correction is a new note pointing at the one it corrects."""

    __tablename__ = "collection_notes"
    __table_args__ = (Index("ix_collection_notes_debtor_recorded", "debtor_id", "recorded_at"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"))
    party: Mapped[str] = mapped_column(String(32))  # debtor | contact:<n>
    direction: Mapped[str] = mapped_column(String(8))  # outbound | inbound | none
    outcome: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # what the note set in motion, space-separated: do_not_call, complaint, complaint_tendency
    flags: Mapped[str] = mapped_column(String(64), default="", server_default="")
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id"), nullable=True, index=True)
    corrects: Mapped[str | None] = mapped_column(ForeignKey("collection_notes.id"), nullable=True)
    text: Mapped[bytes] = mapped_column(LargeBinary)  # sealed
    key_id: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(16), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the call's, or the server's
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Script(Base):
    """A call script trainers keep; it opens with the agent statement (R-CON-6)."""

    __tablename__ = "call_scripts"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # active | retired
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(128))
