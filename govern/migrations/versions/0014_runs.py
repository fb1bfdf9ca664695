"""runs: the departure runs' table kept for every long action started from the console (the
trail's verification too), so it is named for what it holds

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("departure_runs", "runs")


def downgrade() -> None:
    op.rename_table("runs", "departure_runs")
