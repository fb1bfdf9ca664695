"""access reviews: a campaign cancelled by the general manager or a policy admin, who and why
(its time is the campaign's closed_at)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_campaigns") as batch:
        batch.add_column(sa.Column("cancelled_by", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_campaigns") as batch:
        batch.drop_column("cancel_reason")
        batch.drop_column("cancelled_by")
