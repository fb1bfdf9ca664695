"""debtors (sealed personal fields, lookup digests), the access policy (casbin_rule, version),
break-glass grants

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC = govern.db.UTCDateTime
SEALED = ("name", "phones", "id_number", "address", "family", "employer", "emergency_contacts")


def upgrade() -> None:
    op.create_table(
        "debtors",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("case_no", sa.String(length=64), nullable=False, unique=True),
        sa.Column("client", sa.String(length=128), nullable=False),
        sa.Column("amount_owed", sa.Numeric(14, 2), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("project_group", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("imported_at", UTC(), nullable=False),
        sa.Column("import_batch", sa.String(length=16), nullable=False),
        *(sa.Column(name, sa.LargeBinary(), nullable=False) for name in SEALED),
    )
    op.create_index("ix_debtors_project_group", "debtors", ["project_group"])
    op.create_index("ix_debtors_key_id", "debtors", ["key_id"])
    op.create_table(
        "debtor_lookup",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("debtor_id", sa.String(length=16), sa.ForeignKey("debtors.id"), nullable=False),
    )
    op.create_index("ix_debtor_lookup_digest", "debtor_lookup", ["kind", "digest"])
    op.create_index("ix_debtor_lookup_debtor_id", "debtor_lookup", ["debtor_id"])
    op.create_table(
        "casbin_rule",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        *(
            sa.Column(name, sa.String(length=255), nullable=True)
            for name in ("ptype", "v0", "v1", "v2", "v3", "v4", "v5")
        ),
    )
    op.create_table(
        "policy_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", UTC(), nullable=False),
    )
    op.create_table(
        "break_glass_grants",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("account_id", sa.String(length=16), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("debtor_id", sa.String(length=16), nullable=True),
        sa.Column("project_group", sa.String(length=128), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("granted_by", sa.String(length=32), nullable=False),
        sa.Column("granted_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
    )
    op.create_index("ix_break_glass_grants_account_id", "break_glass_grants", ["account_id"])


def downgrade() -> None:
    for table in (
        "break_glass_grants",
        "policy_version",
        "casbin_rule",
        "debtor_lookup",
        "debtors",
    ):
        op.drop_table(table)
