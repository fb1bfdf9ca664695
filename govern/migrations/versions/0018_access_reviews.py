"""access reviews (issue 18, item 1): campaigns, one item per account reviewed, and the
reminders sent to the reviewers before a campaign's deadline

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_campaigns",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("started_by", sa.String(length=128), nullable=False),
        sa.Column("started_at", govern.db.UTCDateTime(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=True),
        sa.Column("deadline", govern.db.UTCDateTime(), nullable=False),
        sa.Column("at_deadline", sa.String(length=16), nullable=False),
        sa.Column("every_months", sa.Integer(), nullable=True),
        sa.Column("follows", sa.String(length=16), nullable=True),
        sa.Column("closed_at", govern.db.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_review_campaigns_deadline", "review_campaigns", ["deadline"])
    op.create_table(
        "review_items",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("campaign_id", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=16), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("employee_number", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=128), nullable=False),
        sa.Column("reviewer", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", govern.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["review_campaigns.id"]),
        sa.UniqueConstraint("campaign_id", "account_id"),
    )
    op.create_index("ix_review_items_campaign_id", "review_items", ["campaign_id"])
    op.create_index("ix_review_items_account_id", "review_items", ["account_id"])
    op.create_index("ix_review_items_department", "review_items", ["department"])
    op.create_table(
        "review_reminders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=128), nullable=False),
        sa.Column("reviewer", sa.String(length=32), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("undecided", sa.Integer(), nullable=False),
        sa.Column("sent_at", govern.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["review_campaigns.id"]),
        sa.UniqueConstraint("campaign_id", "department", "reviewer", "days"),
    )
    op.create_index("ix_review_reminders_campaign_id", "review_reminders", ["campaign_id"])


def downgrade() -> None:
    op.drop_table("review_reminders")
    op.drop_table("review_items")
    op.drop_table("review_campaigns")
