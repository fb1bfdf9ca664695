"""departures: overrides set in Govern, the record of each revocation, APScheduler's job store

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import govern.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC = govern.db.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("identities") as batch:
        batch.add_column(sa.Column("departure_override", sa.Date(), nullable=True))
        batch.add_column(sa.Column("override_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("override_at", UTC(), nullable=True))
    op.create_table(
        "departures",
        sa.Column(
            "account_id", sa.String(length=16), sa.ForeignKey("accounts.id"), primary_key=True
        ),
        sa.Column("employee_number", sa.String(length=64), nullable=False),
        sa.Column("due_at", UTC(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("revoked_at", UTC(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("entry_locked", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_departures_employee_number", "departures", ["employee_number"])
    # APScheduler's SQLAlchemyJobStore table, created here: the service's role has no DDL rights.
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), primary_key=True),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_table("apscheduler_jobs")
    op.drop_table("departures")
    with op.batch_alter_table("identities") as batch:
        batch.drop_column("override_at")
        batch.drop_column("override_by")
        batch.drop_column("departure_override")
