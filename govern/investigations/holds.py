"""Legal holds and retention (docs/governance.md, "Retention"): an auditor places a hold on
an investigation, a second person or the general manager releases it, and the trail keeper's
archive leaves every window a standing hold covers in place, however old.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audit.retention import ARCHIVED, Hold, Plan
from govern.accounts import repository as accounts
from govern.auditing import retention
from govern.context import Context
from govern.db import make_engine
from govern.errors import Conflict
from govern.investigations import repository, rules
from govern.investigations.models import LegalHold
from govern.investigations.service import investigation


def place_hold(db: Session, ctx: Context, auditor: str, investigation_id: str) -> LegalHold:
    """Keep the investigation's events past retention: its debtors', its own, its suspect's
    (as actor or object, under any of their accounts), and its period's.

    Raises NotFound `investigation.unknown`, Conflict `hold.standing`.
    """
    investigation(db, investigation_id)
    hold = db.get(LegalHold, investigation_id, with_for_update=True)
    rules.check_placeable(hold)
    if hold is None:
        hold = LegalHold(investigation_id=investigation_id)
        db.add(hold)
    hold.placed_by, hold.placed_at = auditor, ctx.clock.now()
    hold.released_by = hold.released_at = None
    try:
        db.flush()
    except IntegrityError:  # another auditor's first hold on it, placed at the same moment
        db.rollback()
        rules.check_placeable(db.get(LegalHold, investigation_id))
        raise
    ctx.trail.record(db, "audit.hold_placed", auditor, investigation_id)
    db.commit()
    return hold


def standing_hold(db: Session, investigation_id: str) -> LegalHold | None:
    """The investigation's hold while it stands (placed, not released)."""
    found = db.get(LegalHold, investigation_id)
    return found if found is not None and found.released_at is None else None


def release_hold(db: Session, ctx: Context, releaser: str, investigation_id: str) -> LegalHold:
    """Four eyes: another auditor or the general manager ends a standing hold.

    Raises NotFound `investigation.unknown`, Conflict `hold.none`, Forbidden
    `hold.own_release` (also for the investigation's suspect, under any account).
    """
    suspect = investigation(db, investigation_id).suspect
    found = db.get(LegalHold, investigation_id, with_for_update=True)
    named = [releaser, *([found.placed_by] if found else []), *([suspect] if suspect else [])]
    people = accounts.people_of(db, named)
    hold = rules.check_releaser(found, investigation_id, releaser, people, suspect)
    hold.released_by, hold.released_at = releaser, ctx.clock.now()
    ctx.trail.record(
        db, "audit.hold_released", releaser, investigation_id, placed_by=hold.placed_by
    )
    db.commit()
    return hold


def standing_holds(db: Session, end: bool = True) -> Hold:
    """What the standing holds keep: their investigations' debtors, and their periods
    (`end`: end the read before the trail's own connection reads)."""
    held = repository.held_investigations(db)
    suspects = _suspects_accounts(db, [found.suspect for found in held if found.suspect])
    if end:
        db.rollback()
    objects = {d for found in held for d in found.debtor_ids}
    objects |= {found.id for found in held} | suspects
    return Hold(
        frozenset(objects),
        tuple((found.window_start, found.window_end) for found in held),
        frozenset(suspects),
    )


def _suspects_accounts(db: Session, suspects: list[str]) -> set[str]:
    """The suspects' account ids and every other account of the same person."""
    people = accounts.people_of(db, suspects)
    found = set(suspects)
    for person in set(people.values()):
        found |= {account.id for account in accounts.accounts_of(db, person)}
    return found


def retention_plan(db: Session, ctx: Context) -> tuple[datetime, Plan]:
    """(cutoff, what an archive run would write): windows older than the retention period
    that no standing hold covers."""
    cutoff = _cutoff(ctx)
    return cutoff, retention.plan(ctx.trail, cutoff, standing_holds(db))


def _cutoff(ctx: Context) -> datetime:
    """The instant before which events are past retention, by Govern's clock."""
    return rules.retention_cutoff(ctx.clock.now(), ctx.settings.audit_retention_years)


#: How far Govern's clock may stand from the database's before a retention run is refused.
CLOCK_TOLERANCE = timedelta(hours=1)


def check_clock(db: Session, ctx: Context) -> None:
    """Refuse a retention run whose clock the database's contradicts (PostgreSQL: its own
    `now()`; SQLite has no clock of its own): a clock years ahead would archive and remove
    the whole trail. Raises Conflict `retention.clock`."""
    if db.get_bind().dialect.name != "postgresql":
        return
    database_now = db.execute(text("SELECT now()")).scalar_one()
    db.rollback()
    ours = ctx.clock.now()
    if abs(database_now - ours) > CLOCK_TOLERANCE:
        raise Conflict(
            "retention.clock",
            f"Govern's clock ({ours.isoformat()}) and the database's "
            f"({database_now.isoformat()}) differ by more than an hour; nothing was archived "
            "or removed. Correct the clock, or pass --trust-clock after checking it.",
        )


def archive(db: Session, ctx: Context, folder: Path) -> tuple[datetime, Plan, Path | None]:
    """Write the windows past retention (none held) as a bundle under `folder`, on disk
    whole, and verify it offline; nothing is recorded or removed (`remove` does, once the
    bundle is kept elsewhere). (cutoff, plan, bundle). Raises BadRequest `retention.folder`,
    Conflict `retention.archive_invalid` (see `retention.archive`)."""
    cutoff = _cutoff(ctx)
    found, bundle = retention.archive(ctx.trail, cutoff, standing_holds(db), folder)
    return cutoff, found, bundle


def remove(db: Session, ctx: Context, operator: str, bundle: Path) -> int:
    """Remove from the database the events the archive `bundle` holds: it must verify and
    start at the trail's first stored event, and no standing hold may keep any of them (read
    again, the holds locked, in the removal's own transaction). Records `audit.trail_archived`
    (the range and the manifest's SHA-256) and signs it first; then, as the trail's owner
    (GOVERN_MIGRATION_DATABASE_URL), removes them. Returns how many were removed. Raises
    Conflict `retention.archive_invalid`, `retention.held`, `retention.boundary`,
    `retention.not_owner`, `retention.failed` (see `retention.remove_archived`): nothing
    removed."""
    manifest = retention.verified_bundle(ctx.trail, bundle)
    digest = hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()
    ctx.trail.record(
        db,
        ARCHIVED,
        operator,
        None,
        first=manifest["first"],
        last=manifest["last"],
        bundle=bundle.name,
        manifest_sha256=digest,
    )
    db.commit()
    ctx.trail.checkpoint_now()  # the removal is vouched for by a signed event
    owner = make_engine(ctx.settings.migration_database_url)
    try:
        return retention.remove_archived(ctx.trail, owner, bundle, _held_now)
    finally:
        owner.dispose()


def _held_now(connection: Connection) -> Hold:
    """What the standing holds keep, read in the owner's removal transaction; on PostgreSQL
    the holds are locked until it ends, so no hold is placed between this read and the
    removal."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE legal_holds IN SHARE MODE"))
    return standing_holds(Session(bind=connection), end=False)
