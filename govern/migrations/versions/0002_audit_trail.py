"""audit trail: events, their field index and signed checkpoints, append-only

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from audit.store import append_only_ddl, drop_append_only_ddl

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The trail's tables as this revision made them (0007 folded audit_fields into audit_events).
TABLES = ("audit_events", "audit_fields", "audit_checkpoints", "audit_nodes")


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("time", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size"),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object", sa.String(length=128), nullable=True),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "audit_fields",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=64), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=True),
        sa.Column("object", sa.String(length=128), nullable=True),
        sa.Column("viewer_group", sa.String(length=128), nullable=True),
        sa.Column("object_group", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("seq", "field"),
    )
    op.create_index("ix_audit_fields_object_field_at", "audit_fields", ["object", "field", "at_us"])
    op.create_index("ix_audit_fields_actor_at", "audit_fields", ["actor", "at_us"])
    op.create_index("ix_audit_fields_at", "audit_fields", ["at_us"])
    op.create_table(
        "audit_nodes",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("size", "start"),
    )
    op.create_index("ix_audit_events_action_at", "audit_events", ["action", "at_us"])
    op.create_index("ix_audit_events_actor_at", "audit_events", ["actor", "at_us"])
    op.create_index("ix_audit_events_object_at", "audit_events", ["object", "at_us"])
    for statement in append_only_ddl(op.get_bind().dialect.name, TABLES):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_append_only_ddl(op.get_bind().dialect.name, TABLES):
        op.execute(statement)
    op.drop_index("ix_audit_events_object_at", table_name="audit_events")
    op.drop_index("ix_audit_events_actor_at", table_name="audit_events")
    op.drop_index("ix_audit_events_action_at", table_name="audit_events")
    op.drop_table("audit_nodes")
    op.drop_table("audit_fields")
    op.drop_table("audit_events")
    op.drop_table("audit_checkpoints")
