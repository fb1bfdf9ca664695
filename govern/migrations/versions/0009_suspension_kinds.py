"""accounts: the kind of each suspension (policies/suspensions.toml), which says who may lift it

Suspensions made before this revision get a kind from their last transition into `suspended`:
the daily inactivity sweep's (actor `deprovision`, reason "unused for N days") become
`inactivity`; every other one becomes `security`, which only IT lifts, so no suspension made
by hand can be undone by a department head after the upgrade.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SWEEP = "actor = 'deprovision' AND reason LIKE 'unused for %'"
KIND = f"CASE WHEN {SWEEP} THEN 'inactivity' ELSE 'security' END"


# Plain ALTER TABLE on both databases (SQLite has dropped columns itself since 3.35): a batch
# copy of `accounts` would trip over the foreign keys that point at it.
TABLES = ("accounts", "account_transitions")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("suspension_kind", sa.String(length=32), nullable=True))
    op.execute(
        f"UPDATE account_transitions SET suspension_kind = {KIND} WHERE to_state = 'suspended'"
    )
    # Each suspended account takes the kind of its latest move into `suspended`.
    op.execute(
        "UPDATE accounts SET suspension_kind = ("
        " SELECT t.suspension_kind FROM account_transitions t"
        " WHERE t.account_id = accounts.id AND t.to_state = 'suspended'"
        " ORDER BY t.id DESC LIMIT 1"
        ") WHERE state = 'suspended'"
    )
    op.execute(
        "UPDATE accounts SET suspension_kind = 'security' "
        "WHERE state = 'suspended' AND suspension_kind IS NULL"
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "suspension_kind")
