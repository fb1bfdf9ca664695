"""Retention of the trail, Govern's side (docs/governance.md, "Retention"): what a run would
archive, the archive written and checked offline with the service's key, and the removal of
archived events as the trail's owner. Which windows may go and how an archive is built are
`audit.retention`'s; this module adds the service's key, Govern's errors, and the one thing a
run needs of the trail's door (`Trail`): its signed checkpoints and its key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

import audit.retention as windows
from audit import store
from audit.offline import verify_bundle
from audit.retention import Hold, Plan
from audit.verify import sound_at
from govern.auditing.trail import Trail
from govern.errors import BadRequest, Conflict


@contextmanager
def one_run(trail: Trail) -> Iterator[None]:
    """Hold the retention run's lock for the `with` block: two instances, or an instance and
    the worker, never archive or remove at once. On PostgreSQL an advisory lock held by a
    transaction of its own (a run that dies lets it go with its connection); SQLite has one
    writer and one instance. Raises Conflict `retention.running` when another run holds it,
    without waiting."""
    with trail.engine.connect() as connection:
        if not store.try_lock(connection, store.RETENTION_LOCK):
            raise Conflict(
                "retention.running",
                "Another retention run is archiving or removing events; nothing was done. "
                "Run it again once that one is done.",
            )
        yield


def plan(trail: Trail, before: datetime, hold: Hold) -> Plan:
    """The windows whose events are all older than `before` and none held by `hold`, from the
    start of the trail: what `archive` would write."""
    with trail.reading() as connection:
        return windows.plan(connection, trail.signed_checkpoints(connection), before, hold)


def archive(trail: Trail, before: datetime, hold: Hold, folder: Path) -> tuple[Plan, Path | None]:
    """Write the windows `plan` names as one bundle in a new folder under `folder`
    (trail-FIRST-LAST), then check it offline with the service's public key. Returns the
    plan and the bundle (None when nothing is old enough).

    Raises BadRequest `retention.folder` when `folder` cannot be written, Conflict
    `retention.archive_invalid` when the written bundle does not verify."""
    with trail.reading() as connection:
        checkpoints = trail.signed_checkpoints(connection)
        found = windows.plan(connection, checkpoints, before, hold)
        if not found.archive:
            return found, None
        first, last = found.archive[0].first, found.archive[-1].last
        bundle = folder / f"trail-{first}-{last}"
        try:
            if not bundle.exists():  # else a run before wrote it: checked below
                pem = trail.public_key_pem()
                windows.write_archive(connection, checkpoints, found.archive, pem, bundle)
        except OSError as error:
            raise BadRequest(
                "retention.folder",
                f"Cannot write the archive in {folder} ({type(error).__name__}); "
                "nothing was archived or removed.",
            ) from None
    manifest = verified_bundle(trail, bundle)
    if (manifest["first"], manifest["last"]) != (first, last):
        raise Conflict(
            "retention.archive_invalid",
            f"The archive {bundle} does not hold the events its name says; nothing was removed.",
        )
    return found, bundle


def remove_archived(
    trail: Trail, owner: Engine, bundle: Path, held_now: Callable[[Connection], Hold]
) -> int:
    """Delete the events the archive `bundle` holds (from the trail's first stored event to
    the bundle's last, its boundary) through `owner` (the trail's owner: the service role
    may not), once the bundle verifies with the service's key and the checkpoint at its
    boundary is signed with a sound frontier (the trail kept starts from it). In the owner's
    transaction, `held_now` (which locks the holds until it ends) says what the standing
    holds keep, read again there. Returns how many events were deleted.

    Raises Conflict `retention.archive_invalid` when the bundle does not verify or does not
    start at the trail's first stored event; `retention.held` when a standing hold keeps one
    of its events; `retention.boundary` without that checkpoint; `retention.not_owner` when
    the database refuses the owner's rights, `retention.failed` when it fails otherwise:
    nothing removed."""
    boundary = verified_bundle(trail, bundle)["last"]
    try:
        with owner.begin() as connection:
            hold, start = held_now(connection), windows.first_stored(connection)
            _check_removable(trail, connection, bundle, hold, start, boundary)
            found = store.checkpoint_at_or_before(connection, boundary)
            if found is None or not sound_at(*found, trail.signer.public_key, boundary):
                raise Conflict(
                    "retention.boundary",
                    f"No signed checkpoint with a sound frontier at {boundary}; nothing removed.",
                )
            return windows.remove_archived(connection, boundary, found[1])
    except SQLAlchemyError as error:
        raise _refused(error) from None


def _check_removable(
    trail: Trail, connection: Connection, bundle: Path, hold: Hold, start: int, boundary: int
) -> None:
    """Raise Conflict `retention.archive_invalid` when the bundle does not start at `start`,
    the first event the trail holds, `retention.held` when `hold` keeps one of its events."""
    if verified_bundle(trail, bundle)["first"] != start:
        raise Conflict(
            "retention.archive_invalid",
            f"The archive {bundle} does not start at event {start}, the first the trail "
            "holds; nothing was removed.",
        )
    if windows.held(connection, start, boundary, hold):
        raise Conflict(
            "retention.held",
            f"A standing legal hold keeps events of {start}..{boundary}; nothing was removed.",
        )


def verified_bundle(trail: Trail, bundle: Path) -> dict[str, Any]:
    """The manifest of the archive `bundle` once it verifies offline with the service's key.
    Raises Conflict `retention.archive_invalid`."""
    try:
        problems, manifest = verify_bundle(bundle, trail.public_key_pem())
    except (OSError, ValueError, KeyError, TypeError) as error:
        problems, manifest = [f"unreadable: {type(error).__name__}"], {}
    if problems or not manifest:
        raise Conflict(
            "retention.archive_invalid",
            f"The archive {bundle} does not verify ({(problems or ['no manifest'])[0]}); "
            "nothing was removed.",
        )
    return manifest


def _refused(error: SQLAlchemyError) -> Conflict:
    """The database's refusal of a removal: the owner's rights missing (PostgreSQL's
    SQLSTATE 42501, a read-only SQLite file), or another failure named by its class."""
    original = getattr(error, "orig", None)
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state == "42501" or "readonly" in str(original).lower():
        return Conflict(
            "retention.not_owner",
            f"The database refused the removal ({type(error).__name__}): it runs as the "
            "trail's owner, GOVERN_MIGRATION_DATABASE_URL. The archive is kept; nothing "
            "was removed.",
        )
    return Conflict(
        "retention.failed",
        f"The removal failed ({type(error).__name__}); the archive is kept, nothing was removed.",
    )
