"""an investigation's incident grade, stored with who graded it and when, so that every leak
report of one incident reads the same grade (issue 18)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("grade", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("graded_by", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("graded_at", govern.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("investigations") as batch:
        batch.drop_column("graded_at")
        batch.drop_column("graded_by")
        batch.drop_column("grade")
