"""audit trail: the append lock's wait set, the lock taken and the wait set back in the same
round trip as the next sequence number (`audit_next_seq(wait)`)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from alembic import op

from audit.store import APPEND_LOCK, next_seq_ddl

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS audit_next_seq()")
    for statement in next_seq_ddl("postgresql"):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS audit_next_seq(text)")
    op.execute(
        "CREATE OR REPLACE FUNCTION audit_next_seq() RETURNS bigint LANGUAGE plpgsql "
        f"VOLATILE AS $$ BEGIN PERFORM pg_advisory_xact_lock({APPEND_LOCK}); "
        "RETURN coalesce((SELECT max(seq) FROM audit_events), 0) + 1; END $$"
    )
