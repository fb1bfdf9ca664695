"""departure runs: a sweep or reconciliation started from the console, its progress and its
report, so that whichever worker answers the page that follows it can show it

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departure_runs",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", govern.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", govern.db.UTCDateTime(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("departure_runs")
