"""runs: the departure runs' table kept for every long action started from the console (the
trail's verification, a leak triage's ranking too), so it is named for what it holds; a run
may be about one thing (its subject: an investigation), and says when it last wrote its
progress (so a run whose process died can be told)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("departure_runs", "runs")
    op.add_column("runs", sa.Column("subject", sa.String(length=64), nullable=True))
    op.add_column("runs", sa.Column("updated_at", govern.db.UTCDateTime(), nullable=True))
    op.create_index("ix_runs_subject", "runs", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_runs_subject", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("subject")
        batch.drop_column("updated_at")
    op.rename_table("runs", "departure_runs")
