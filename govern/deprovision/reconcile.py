"""`govern deprovision reconcile`: compare live accounts with what the directory says now.

Accounts of people the directory no longer has, or has locked (disabled), are revoked, unless
there are so many that the safety guard holds the run (a directory answering empty or half must
never wipe out the agency); accounts past their departure instant are revoked and flagged,
never held, since their dates were set before the run; accounts without an identity in Govern
are reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy.orm import Session

from govern import signals
from govern.accounts.service import revoke_account
from govern.context import Context
from govern.deprovision import repository
from govern.deprovision.service import ACTOR, due_accounts, revoke_departed
from govern.directory.guard import GuardVerdict, check_removals
from govern.directory.source import Directory


@dataclass
class ReconcileReport:
    outcome: str  # applied, held or dry_run
    guard: GuardVerdict
    gone: list[dict[str, str]] = field(default_factory=list)
    past_departure: list[dict[str, str]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "guard": {"held": self.guard.held, "limit": self.guard.limit}}


@signals.tells_outcome("reconcile")
def reconcile(
    db: Session,
    directory: Directory,
    ctx: Context,
    *,
    dry_run: bool = False,
    confirm: bool = False,
) -> ReconcileReport:
    """Read the directory now and bring live accounts in line with it (see the module)."""
    disabled = directory.locked()
    present = {person.employee_number for person in directory.people()} - disabled
    live = repository.live_accounts(db)
    settings = ctx.settings
    due = {account.id for account, _ in due_accounts(db, ctx.clock.now(), settings.departures)}
    gone = [
        {"account_id": a, "employee_number": e, "why": "disabled" if e in disabled else "gone"}
        for a, e, known in live
        if known is not None and e not in present and a not in due
    ]
    verdict = check_removals(len(gone), len(live), settings.guard_percent, settings.guard_count)
    report = ReconcileReport(
        "dry_run" if dry_run else ("held" if verdict.held and not confirm else "applied"),
        verdict,
        gone,
        [{"account_id": a, "employee_number": e} for a, e, _ in live if a in due],
        [a for a, _, known in live if known is None],
    )
    db.rollback()
    if not dry_run:
        _apply(db, directory, ctx, report)
        db.commit()
    return report


def _apply(db: Session, directory: Directory, ctx: Context, report: ReconcileReport) -> None:
    for item in report.past_departure:  # scheduled by their dates: never held
        revoke_departed(db, ctx, item["account_id"], directory)
    if report.outcome == "applied":
        for item in report.gone:
            revoke_account(
                db, ctx.clock, ctx.trail, item["account_id"], ACTOR, "gone from the directory"
            )
    ctx.trail.record(
        db,
        "directory.reconciled",
        ACTOR,
        None,
        outcome=report.outcome,
        gone=len(report.gone),
        past_departure=len(report.past_departure),
        orphans=len(report.orphans),
    )
