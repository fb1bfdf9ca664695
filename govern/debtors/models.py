"""Debtor cases. Personal fields are sealed (`vault.py`) and only their lookup digests are
searchable; the rest (client, amount, days overdue, project group) is plain for caseloads."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from govern.db import Base, UTCDateTime

#: The sealed fields, in the order a record shows them.
PERSONAL_FIELDS = (
    "name",
    "phones",
    "id_number",
    "address",
    "family",
    "employer",
    "emergency_contacts",
)
#: The plain fields; still gated field by field like the personal ones.
CASE_FIELDS = ("client", "amount_owed", "days_overdue", "project_group")
FIELDS = PERSONAL_FIELDS + CASE_FIELDS


class Debtor(Base):
    __tablename__ = "debtors"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    case_no: Mapped[str] = mapped_column(String(64), unique=True)
    client: Mapped[str] = mapped_column(String(128))
    amount_owed: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    days_overdue: Mapped[int] = mapped_column(Integer)
    project_group: Mapped[str] = mapped_column(String(128), index=True)
    #: IANA zone of the debtor's location where a contact profile judges hours in the
    #: debtor's local time (US Regulation F); None: the company's zone.
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    key_id: Mapped[str] = mapped_column(String(32), index=True)  # the key every field is under
    #: the lookup key its digests (`DebtorLookup`, and contact's of its numbers) are made
    #: under: its creditor's own; None: the keys file's `lookup` (govern/debtors/vault.py)
    lookup_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    import_batch: Mapped[str] = mapped_column(String(16))
    name: Mapped[bytes] = mapped_column(LargeBinary)
    phones: Mapped[bytes] = mapped_column(LargeBinary)
    id_number: Mapped[bytes] = mapped_column(LargeBinary)
    address: Mapped[bytes] = mapped_column(LargeBinary)
    family: Mapped[bytes] = mapped_column(LargeBinary)
    employer: Mapped[bytes] = mapped_column(LargeBinary)
    emergency_contacts: Mapped[bytes] = mapped_column(LargeBinary)


class DebtorLookup(Base):
    """Keyed digests of phone and identity numbers: find a debtor without storing plaintext;
    made under the debtor's lookup key (`Debtor.lookup_key_id`)."""

    __tablename__ = "debtor_lookup"
    __table_args__ = (Index("ix_debtor_lookup_digest", "kind", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"), index=True)
