"""access: the version of the creditors' contracts, on the policy version's row: bumped with
every creditor created, its contract changed or ended, so that each instance reads the
contracts it keeps again at its next request (issue 17 item 5)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policy_version") as batch:
        batch.add_column(sa.Column("contracts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("policy_version") as batch:
        batch.drop_column("contracts")
