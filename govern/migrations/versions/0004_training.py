"""training: plans, exam results, HR cases, agreement signatures, leave, attendance, feedback

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC = govern.db.UTCDateTime


def _account() -> sa.Column:
    account = sa.ForeignKey("accounts.id")
    return sa.Column("account_id", sa.String(length=16), account, nullable=False)


def upgrade() -> None:
    op.create_table(
        "training_plans",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("term", sa.String(length=8), nullable=False),
        sa.Column("tracks", sa.JSON(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("drafted_by", sa.String(length=32), nullable=False),
        sa.Column("drafted_at", UTC(), nullable=False),
        sa.Column("approved_by", sa.String(length=32), nullable=True),
        sa.Column("approved_at", UTC(), nullable=True),
    )
    op.create_table(
        "exam_results",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _account(),
        sa.Column("course", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", UTC(), nullable=False),
    )
    op.create_index("ix_exam_results_account_id", "exam_results", ["account_id"])
    op.create_table(
        "hr_cases",
        sa.Column("id", sa.String(length=16), primary_key=True),
        _account(),
        sa.Column("course", sa.String(length=32), nullable=False),
        sa.Column("opened_at", UTC(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
    )
    op.create_index("ix_hr_cases_account_id", "hr_cases", ["account_id"])
    op.create_table(
        "agreement_signatures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _account(),
        sa.Column("agreement", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("signed_at", UTC(), nullable=False),
        sa.UniqueConstraint("account_id", "agreement", "version"),
    )
    op.create_index("ix_agreement_signatures_account_id", "agreement_signatures", ["account_id"])
    op.create_table(
        "training_leave",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _account(),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("session_day", sa.Date(), nullable=False),
        sa.Column("session_starts", UTC(), nullable=False),
        sa.Column("submitted_at", UTC(), nullable=False),
        sa.Column("approved_by", sa.String(length=32), nullable=True),
        sa.Column("approved_at", UTC(), nullable=True),
        sa.UniqueConstraint("account_id", "session_id"),
    )
    op.create_index("ix_training_leave_account_id", "training_leave", ["account_id"])
    op.create_index("ix_training_leave_session_id", "training_leave", ["session_id"])
    op.create_index("ix_training_leave_session_day", "training_leave", ["session_day"])
    op.create_table(
        "training_attendance",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("session_day", sa.Date(), nullable=False),
        sa.Column("session_starts", UTC(), nullable=False),
        _account(),
        sa.Column("plans", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", UTC(), nullable=False),
        sa.UniqueConstraint("session_id", "account_id"),
    )
    op.create_index("ix_training_attendance_account_id", "training_attendance", ["account_id"])
    op.create_index("ix_training_attendance_session_id", "training_attendance", ["session_id"])
    op.create_index("ix_training_attendance_session_day", "training_attendance", ["session_day"])
    op.create_table(
        "training_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "plan_id", sa.String(length=16), sa.ForeignKey("training_plans.id"), nullable=False
        ),
        _account(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("returned_by", sa.String(length=32), nullable=False),
        sa.Column("returned_at", UTC(), nullable=False),
        sa.UniqueConstraint("plan_id", "account_id"),
    )
    op.create_index("ix_training_feedback_account_id", "training_feedback", ["account_id"])
    op.create_index("ix_training_feedback_plan_id", "training_feedback", ["plan_id"])


def downgrade() -> None:
    for table in (
        "training_feedback",
        "training_attendance",
        "training_leave",
        "agreement_signatures",
        "hr_cases",
        "exam_results",
        "training_plans",
    ):
        op.drop_table(table)
