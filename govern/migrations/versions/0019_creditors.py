"""creditors: a creditor (甲方) with its project groups, contract period, agreed purposes and
its own data key; the deletion certificate issued when its contract ends (issue 18, item 4)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "creditors",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("name", sa.String(length=128), nullable=False, unique=True),
        sa.Column("project_groups", sa.JSON(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("contract_start", sa.Date(), nullable=False),
        sa.Column("contract_end", sa.Date(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", govern.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("ended_at", govern.db.UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
    )
    op.create_index("ix_creditors_ended_at", "creditors", ["ended_at"])
    op.create_table(
        "deletion_certificates",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column(
            "creditor_id",
            sa.String(length=16),
            sa.ForeignKey("creditors.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("issued_at", govern.db.UTCDateTime(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deletion_certificates")
    op.drop_index("ix_creditors_ended_at", table_name="creditors")
    op.drop_table("creditors")
