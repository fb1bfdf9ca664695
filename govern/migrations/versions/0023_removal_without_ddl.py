"""audit trail: archived events removed without lifting the append-only trigger

The trigger of `audit_events` lets a DELETE through when the deleting transaction says it is
removing archived events up to that one (`audit.store.removable_ddl`): on PostgreSQL a
transaction-local setting, on SQLite a row of `audit_removing` written and deleted in that
transaction. A removal then takes no DDL lock (dropping a trigger locked the whole trail on
PostgreSQL). UPDATE and TRUNCATE stay refused; the service role still may not DELETE.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from audit.store import (
    REMOVING_TABLE,
    append_only_ddl,
    drop_append_only_ddl,
    removable_ddl,
)

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

EVENTS = ("audit_events",)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect != "postgresql":
        op.create_table(REMOVING_TABLE, sa.Column("boundary", sa.BigInteger(), nullable=False))
    for statement in drop_append_only_ddl(dialect, EVENTS) + removable_ddl(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_append_only_ddl(dialect, EVENTS) + append_only_ddl(dialect, EVENTS):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_guard()")
    else:
        op.drop_table(REMOVING_TABLE)
