"""notes and contact: lines, calls, the guard's permits, do-not-call blocks, complaint cases,
collection notes (append-only), call scripts; a debtor's time zone

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = govern.db.UTCDateTime
NOTES = "collection_notes"


def upgrade() -> None:
    with op.batch_alter_table("debtors") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    _lines_and_calls()
    _guard_state()
    _complaint_cases()
    _notes_and_scripts()
    for statement in _append_only(op.get_bind().dialect.name):
        op.execute(statement)


def _lines_and_calls() -> None:
    op.create_table(
        "lines",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("number", sa.String(length=32), nullable=False, unique=True),
        sa.Column("location", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("registered_at", UTC(), nullable=False),
        sa.Column("registered_by", sa.String(length=128), nullable=False),
        sa.Column("retired_at", UTC(), nullable=True),
        sa.Column("retired_by", sa.String(length=128), nullable=True),
        sa.Column("retire_reason", sa.Text(), nullable=True),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("system_call_id", sa.String(length=128), nullable=False, unique=True),
        sa.Column("line_number", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.String(length=16), sa.ForeignKey("lines.id"), nullable=True),
        sa.Column("unregistered_line", sa.Boolean(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("number_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("number", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("debtor_id", sa.String(length=16), sa.ForeignKey("debtors.id"), nullable=True),
        sa.Column("party", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.String(length=16), nullable=True),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("answered_at", UTC(), nullable=True),
        sa.Column("ended_at", UTC(), nullable=False),
        sa.Column("recording_id", sa.String(length=128), nullable=True),
        sa.Column("received_at", UTC(), nullable=False),
    )
    op.create_index("ix_calls_number_started", "calls", ["number_digest", "started_at"])
    op.create_index("ix_calls_debtor_id", "calls", ["debtor_id"])
    op.create_index("ix_calls_account_id", "calls", ["account_id"])


def _guard_state() -> None:
    op.create_table(
        "contact_permits",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("debtor_id", sa.String(length=16), sa.ForeignKey("debtors.id"), nullable=False),
        sa.Column("party", sa.String(length=32), nullable=False),
        sa.Column("number_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=16), nullable=False),
        sa.Column("issued_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("call_id", sa.String(length=16), sa.ForeignKey("calls.id"), nullable=True),
    )
    op.create_index("ix_contact_permits_debtor_id", "contact_permits", ["debtor_id"])
    op.create_index(
        "ix_contact_permits_number_issued", "contact_permits", ["number_digest", "issued_at"]
    )
    op.create_table(
        "contact_blocks",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("debtor_id", sa.String(length=16), sa.ForeignKey("debtors.id"), nullable=False),
        sa.Column("party", sa.String(length=32), nullable=False),
        sa.Column("number_digest", sa.LargeBinary(length=32), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note_id", sa.String(length=16), nullable=True),
        sa.Column("blocked_at", UTC(), nullable=False),
        sa.Column("blocked_by", sa.String(length=128), nullable=False),
        sa.UniqueConstraint("debtor_id", "party", name="uq_contact_blocks_party"),
    )
    op.create_index("ix_contact_blocks_debtor_id", "contact_blocks", ["debtor_id"])
    op.create_index("ix_contact_blocks_number_digest", "contact_blocks", ["number_digest"])
    op.create_table(
        "contact_wrong_numbers",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("account_id", sa.String(length=16), nullable=False),
        sa.Column("debtor_id", sa.String(length=16), sa.ForeignKey("debtors.id"), nullable=False),
        sa.Column("party", sa.String(length=32), nullable=False),
        sa.Column("refused_at", UTC(), nullable=False),
    )
    op.create_index(
        "ix_contact_wrong_numbers_asked",
        "contact_wrong_numbers",
        ["account_id", "debtor_id", "refused_at"],
    )


def _complaint_cases() -> None:
    op.create_table(
        "complaint_cases",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("debtor_id", sa.String(length=16), sa.ForeignKey("debtors.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note_id", sa.String(length=16), nullable=True),
        sa.Column("opened_at", UTC(), nullable=False),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.Column("deadline", UTC(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resumed_at", UTC(), nullable=True),
        sa.Column("resumed_by", sa.String(length=128), nullable=True),
        sa.Column("resume_reason", sa.Text(), nullable=True),
        sa.Column("reported_at", UTC(), nullable=True),
    )
    op.create_index("ix_complaint_cases_debtor_id", "complaint_cases", ["debtor_id"])


def _notes_and_scripts() -> None:
    op.create_table(
        NOTES,
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("debtor_id", sa.String(length=16), sa.ForeignKey("debtors.id"), nullable=False),
        sa.Column("party", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=True),
        sa.Column("flags", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("call_id", sa.String(length=16), sa.ForeignKey("calls.id"), nullable=True),
        sa.Column("corrects", sa.String(length=16), sa.ForeignKey(f"{NOTES}.id"), nullable=True),
        sa.Column("text", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", UTC(), nullable=False),
        sa.Column("recorded_at", UTC(), nullable=False),
    )
    op.create_index("ix_collection_notes_debtor_recorded", NOTES, ["debtor_id", "recorded_at"])
    op.create_index("ix_collection_notes_call_id", NOTES, ["call_id"])
    op.create_index("ix_collection_notes_account_id", NOTES, ["account_id"])
    op.create_table(
        "call_scripts",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("changed_at", UTC(), nullable=False),
        sa.Column("changed_by", sa.String(length=128), nullable=False),
    )


def _append_only(dialect: str) -> list[str]:
    """Notes are never edited or deleted, by anyone: the database refuses it."""
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION notes_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'collection notes are append-only'; END $$",
            f"CREATE TRIGGER {NOTES}_append_only BEFORE UPDATE OR DELETE ON {NOTES} "
            "FOR EACH ROW EXECUTE FUNCTION notes_append_only()",
            f"CREATE TRIGGER {NOTES}_no_truncate BEFORE TRUNCATE ON {NOTES} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notes_append_only()",
        ]
    return [
        f"CREATE TRIGGER {NOTES}_no_{verb.lower()} BEFORE {verb} ON {NOTES} "
        "BEGIN SELECT RAISE(ABORT, 'collection notes are append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS notes_append_only() CASCADE")
    for table in (
        "call_scripts",
        NOTES,
        "complaint_cases",
        "contact_wrong_numbers",
        "contact_blocks",
        "contact_permits",
        "calls",
        "lines",
    ):
        op.drop_table(table)
    with op.batch_alter_table("debtors") as batch:
        batch.drop_column("time_zone")
