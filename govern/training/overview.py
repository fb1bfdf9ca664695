"""Someone's own training at a glance (the console's "my training" page): track, certifications,
what each debtor field still waits for, upcoming sessions with any leave asked, exam results and
the agreements to sign. Every part is read through the same use case as its API route."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from govern.actor import Staff
from govern.context import Context
from govern.directory.models import Identity
from govern.training.attendance import LeaveView, leave_asked
from govern.training.catalogue import Agreement, load_catalogue
from govern.training.certifications import TrainingStatus, certifications_of, signed_current
from govern.training.exams import results_of
from govern.training.models import ExamResult
from govern.training.people import account_of
from govern.training.plans import list_sessions
from govern.training.rules import missing_for_fields
from govern.training.timetable import TrainingSession
from govern.training.workdays import YearNotCovered

#: How far ahead "upcoming sessions" looks.
AHEAD = timedelta(days=62)


@dataclass(frozen=True)
class DebtorFields:
    """What start-up hands the training pages of policies/access/fields.toml (access sits
    above training): each debtor field's label by language ("zh", "en") and the
    certifications it requires."""

    labels: dict[str, dict[str, str]]
    needs: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class SignedAgreement:
    agreement: Agreement
    signed_at: datetime | None


@dataclass(frozen=True)
class Overview:
    status: TrainingStatus
    #: debtor field → the certifications it requires that do not hold (empty: none missing)
    missing: dict[str, list[str]]
    results: list[ExamResult]
    sessions: list[TrainingSession]
    sessions_until: date  # the last day `sessions` covers
    #: a year whose holidays are unknown, so its sessions cannot be told yet (None: none)
    unknown_year: int | None
    leave: dict[str, LeaveView]  # session id → the leave asked for it
    agreements: list[SignedAgreement]


def own_overview(
    db: Session, ctx: Context, me: Staff, account_id: str, needs: Mapping[str, Sequence[str]]
) -> Overview:
    """`account_id`'s own training as `me` sees it; `needs`: each debtor field's required
    certifications (policies/access/fields.toml, handed in at start-up).

    Sessions stop before a year whose holidays are not known yet (`unknown_year`).

    Raises NotFound `account.unknown`, Forbidden `training.not_visible`.
    """
    status = certifications_of(db, ctx, me, account_id)
    holding = {c.name for c in status.certifications if c.holds}
    _, person = account_of(db, account_id)
    ahead = _sessions_ahead(db, ctx, person)
    return Overview(
        status,
        missing_for_fields(holding, needs),
        results_of(db, me, account_id, ctx.roles.training_readers),
        ahead.sessions,
        ahead.until,
        ahead.unknown_year,
        leave_asked(db, ctx, account_id, [session.id for session in ahead.sessions]),
        _agreements(db, ctx.settings.policies_dir, account_id),
    )


@dataclass(frozen=True)
class _Ahead:
    sessions: list[TrainingSession]
    until: date
    unknown_year: int | None


def _sessions_ahead(db: Session, ctx: Context, person: Identity) -> _Ahead:
    """The sessions `person` is expected at in the coming `AHEAD`, stopping before a year
    whose holidays are not known yet."""
    now = ctx.clock.now()
    today = now.astimezone(ctx.settings.timezone).date()
    until, unknown_year = today + AHEAD, None
    try:
        found = list_sessions(db, ctx, today, until)
    except YearNotCovered as unknown:
        until, unknown_year = date(unknown.year - 1, 12, 31), unknown.year
        found = list_sessions(db, ctx, today, until) if until >= today else []
    mine = [s for s in found if s.starts > now and s.is_for(person.track, person.hire_date)]
    return _Ahead(mine, until, unknown_year)


def _agreements(db: Session, policies_dir: Path, account_id: str) -> list[SignedAgreement]:
    """Every agreement of the catalogue, with when `account_id` signed its current version."""
    return [
        SignedAgreement(a, signed_current(db, policies_dir, account_id, a.name))
        for a in load_catalogue(policies_dir).agreements.values()
    ]
