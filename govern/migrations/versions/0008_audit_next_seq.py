"""audit trail: the append lock and the next sequence number in one round trip

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from alembic import op

from audit.store import next_seq_ddl

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in next_seq_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_next_seq()")
