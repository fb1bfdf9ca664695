"""separation of duties: the conflicts the last directory sync found (a role withheld, a pair
held) and the exceptions policy admins accepted, with their reason and end date

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duty_conflicts",
        sa.Column(
            "employee_number",
            sa.String(length=64),
            sa.ForeignKey("identities.employee_number"),
            primary_key=True,
        ),
        sa.Column("rule_id", sa.String(length=64), primary_key=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("since", govern.db.UTCDateTime(), nullable=False),
        sa.Column("sync_run", sa.String(length=32), nullable=False),
    )
    op.create_table(
        "duty_exceptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "employee_number",
            sa.String(length=64),
            sa.ForeignKey("identities.employee_number"),
            nullable=False,
        ),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("accepted_by", sa.String(length=64), nullable=False),
        sa.Column("accepted_at", govern.db.UTCDateTime(), nullable=False),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("ended_at", govern.db.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_duty_exceptions_employee_number", "duty_exceptions", ["employee_number"])


def downgrade() -> None:
    op.drop_index("ix_duty_exceptions_employee_number", table_name="duty_exceptions")
    op.drop_table("duty_exceptions")
    op.drop_table("duty_conflicts")
