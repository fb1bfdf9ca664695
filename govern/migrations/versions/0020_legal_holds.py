"""retention: legal holds on investigations (an auditor places one; a second person or the
general manager releases it); the events a hold covers are never archived or removed

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column(
            "investigation_id",
            sa.String(length=16),
            sa.ForeignKey("investigations.id"),
            primary_key=True,
        ),
        sa.Column("placed_by", sa.String(length=128), nullable=False),
        sa.Column("placed_at", govern.db.UTCDateTime(), nullable=False),
        sa.Column("released_by", sa.String(length=128), nullable=True),
        sa.Column("released_at", govern.db.UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("legal_holds")
