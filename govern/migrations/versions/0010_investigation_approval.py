"""investigations that open debtors' fields: case reference, justification, four-eyes approval
and expiry. Investigations open before this revision open nothing until approved.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC = govern.db.UTCDateTime
COLUMNS = (
    ("field_access", sa.String(length=16)),
    ("case_reference", sa.String(length=64)),
    ("justification", sa.Text()),
    ("hours", sa.Integer()),
    ("decided_by", sa.String(length=128)),
    ("decided_at", UTC()),
    ("expires_at", UTC()),
    ("refusal", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("investigations") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    # Before 0010 an open investigation opened its debtors' fields to any auditor naming it.
    # It becomes a request nobody approved (and without a justification, one that can only be
    # refused or closed): it opens nothing.
    op.execute("UPDATE investigations SET field_access = 'pending' WHERE closed_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("investigations") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
