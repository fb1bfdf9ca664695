"""debtors.lookup_key_id: the lookup key its digests are made under (a creditor's own; NULL:
the keys file's `lookup`), so that `govern keys rotate` finds the debtors whose digests are
still under the file's key (made before creditors had lookup keys) and moves them under their
creditor's, to be destroyed with it at its contract's end.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("debtors") as batch:
        batch.add_column(sa.Column("lookup_key_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("debtors") as batch:
        batch.drop_column("lookup_key_id")
