"""audit trail: the append lock and the next sequence number in one round trip

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from alembic import op

from audit.store import APPEND_LOCK

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # as it stood then (0012 replaces it)
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_next_seq() RETURNS bigint LANGUAGE plpgsql "
            f"VOLATILE AS $$ BEGIN PERFORM pg_advisory_xact_lock({APPEND_LOCK}); "
            "RETURN coalesce((SELECT max(seq) FROM audit_events), 0) + 1; END $$"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_next_seq()")
