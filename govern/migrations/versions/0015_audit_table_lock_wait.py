"""audit trail: a state change's bounded wait covers the trail's table too, not its append lock
only (`audit_next_seq(wait)` takes the table for writing within the wait): a lock someone holds
on `audit_events` (a maintenance, an index being built) refuses the change with 503 within its
wait instead of holding the request, and the append lock with it, for as long

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from alembic import op

from audit.store import APPEND_LOCK, next_seq_ddl

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in next_seq_ddl("postgresql"):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(  # revision 0012's: the append lock's wait only
        "CREATE OR REPLACE FUNCTION audit_next_seq(wait text DEFAULT NULL) RETURNS bigint "
        "LANGUAGE plpgsql VOLATILE AS $$ DECLARE before text := current_setting('lock_timeout'); "
        "BEGIN IF wait IS NOT NULL THEN PERFORM set_config('lock_timeout', wait, true); END IF; "
        f"PERFORM pg_advisory_xact_lock({APPEND_LOCK}); "
        "IF wait IS NOT NULL THEN PERFORM set_config('lock_timeout', before, true); END IF; "
        "RETURN coalesce((SELECT max(seq) FROM audit_events), 0) + 1; END $$"
    )
