"""Retention: which windows of the trail are old enough to archive, and their archive.

A *window* is the events between two signed checkpoints. A window may be archived when every
event in it is older than the retention period and none of them is held; windows are taken
from the start of the trail in order and the first one that must stay stops the run, so what
remains is always one unbroken trail from a signed checkpoint on.

An archive is an export bundle (`audit.proofs.export_bundle`) of those windows, anchored by
the checkpoint at their end, with `consistency.json`: a proof that the newest signed
checkpoint extends that anchor, so the trail kept in the database still chains to what was
archived. `audit.offline.verify_bundle` checks both with the public key alone.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select

from audit import store
from audit.merkle import Frontier, aligned_subtrees
from audit.proofs import consistency_proof, export_bundle
from audit.signing import Checkpoint

#: The trail's own event naming an archive (`details.first`, `details.last`): once signed, the
#: one thing that lets `verify` start the trail after `last` when the events before are gone.
ARCHIVED = "audit.trail_archived"


@dataclass(frozen=True)
class Hold:
    """What a legal hold keeps: events about these objects, by these actors, and events in
    these periods."""

    objects: frozenset[str]
    periods: tuple[tuple[datetime, datetime], ...]
    actors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Window:
    first: int
    last: int
    newest: datetime  # the time of its newest event
    held: bool = False

    @property
    def events(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class Plan:
    """What a retention run would archive (`archive`, oldest first) and the window that stops
    it (`kept_from`: the first event that stays), with the windows kept because held."""

    archive: list[Window]
    held: list[Window]
    kept_from: int

    @property
    def events(self) -> int:
        return sum(w.events for w in self.archive)


def plan(
    connection: Connection, checkpoints: Sequence[Checkpoint], before: datetime, hold: Hold
) -> Plan:
    """The leading windows of the trail (from its first stored event) whose events are all
    older than `before` and none held by `hold`; the first window that is not stops the run.
    `checkpoints` are the signed ones, oldest first."""
    start = first_stored(connection)
    archive: list[Window] = []
    held: list[Window] = []
    for checkpoint in checkpoints:
        if checkpoint.tree_size < start:
            continue
        window = _window(connection, start, checkpoint.tree_size, hold)
        if window.newest >= before:
            break
        if window.held:
            held.append(window)
            break
        archive.append(window)
        start = checkpoint.tree_size + 1
    return Plan(archive, held, start)


def write_archive(
    connection: Connection,
    checkpoints: Sequence[Checkpoint],
    windows: Sequence[Window],
    public_key_pem: bytes,
    folder: Path,
) -> dict[str, Any]:
    """Windows (consecutive) written to `folder` as one bundle anchored by the checkpoint at
    their end, with `consistency.json` from it to the newest signed checkpoint. Returns the
    bundle's manifest."""
    first, last = windows[0].first, windows[-1].last
    anchor = next(c for c in checkpoints if c.tree_size == last)
    partial = folder.with_name(folder.name + ".partial")
    if partial.exists():  # a run that stopped half way: never a bundle, written again
        shutil.rmtree(partial)
    manifest = export_bundle(connection, list(checkpoints), first, last, public_key_pem, partial)
    proof = consistency_proof(connection, anchor, checkpoints[-1], public_key_pem)
    (partial / "consistency.json").write_text(json.dumps(proof, indent=1, sort_keys=True) + "\n")
    _make_durable(partial, folder)
    return manifest


def _make_durable(partial: Path, folder: Path) -> None:
    """Every file of `partial` on disk, then `partial` renamed to `folder` and the rename on
    disk: a bundle under its own name is always whole, whatever stops the run."""
    for path in partial.iterdir():
        _fsync(path)
    _fsync(partial)
    partial.rename(folder)
    _fsync(folder.parent)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def first_stored(connection: Connection) -> int:
    """The first event the database still holds (1 until events are removed)."""
    return connection.execute(select(func.min(store.events.c.seq))).scalar() or 1


def _window(connection: Connection, first: int, last: int, hold: Hold) -> Window:
    events = store.events.c
    in_window = events.seq.between(first, last)
    newest_us = connection.execute(select(func.max(events.at_us)).where(in_window)).scalar()
    newest = datetime.fromtimestamp((newest_us or 0) / 1_000_000, UTC)
    return Window(first, last, newest, _is_held(connection, first, last, hold))


def _is_held(connection: Connection, first: int, last: int, hold: Hold) -> bool:
    """Whether any event of first..last is about a held object, by a held actor or in a
    held period."""
    events = store.events.c
    reasons = [events.at_us.between(_us(start), _us(end)) for start, end in hold.periods]
    for column, values in ((events.object, hold.objects), (events.actor, hold.actors)):
        ordered = sorted(values)
        for chunk in range(0, len(ordered), 500):  # SQLite's and PostgreSQL's parameter limits
            reasons.append(column.in_(ordered[chunk : chunk + 500]))
    if not reasons:
        return False
    query = select(events.seq).where(events.seq.between(first, last), or_(*reasons)).limit(1)
    return connection.execute(query).first() is not None


def _us(instant: datetime) -> int:
    return int(instant.timestamp() * 1_000_000)


def held(connection: Connection, first: int, last: int, hold: Hold) -> bool:
    """Whether any event of first..last is kept by `hold` (about a held object or in a held
    period): such events are never removed."""
    return _is_held(connection, first, last, hold)


def archived_ends(connection: Connection, upto: int) -> set[int]:
    """The last events of the archives that `ARCHIVED` events up to event `upto` (the signed
    ones) name."""
    return {d["last"] for d in _archives(connection, upto)}


def archived_bundle(connection: Connection, boundary: int) -> str | None:
    """The name of the archive bundle an `ARCHIVED` event says ends at event `boundary`."""
    named = [d.get("bundle") for d in _archives(connection, None) if d["last"] == boundary]
    return str(named[-1]) if named and named[-1] else None


def _archives(connection: Connection, upto: int | None) -> list[dict[str, Any]]:
    """The details of the `ARCHIVED` events (up to event `upto`) that name a `last` event."""
    query = select(store.events.c.entry).where(store.events.c.action == ARCHIVED)
    if upto is not None:
        query = query.where(store.events.c.seq <= upto)
    found = (_archived_details(bytes(entry)) for entry in connection.scalars(query))
    return [details for details in found if details is not None]


def _archived_details(entry: bytes) -> dict[str, Any] | None:
    """The details of an entry that is itself `ARCHIVED` and names its `last` event (the
    searchable `action` column only finds candidates: it is not hashed); None for anything
    else or malformed (the check of the entries and the index reports those)."""
    try:
        found = json.loads(entry)
    except ValueError:
        return None
    if not isinstance(found, dict) or found.get("action") != ARCHIVED:
        return None
    details = found.get("details")
    if not isinstance(details, dict):
        return None
    last = details.get("last")
    return details if isinstance(last, int) and not isinstance(last, bool) else None


def remove_archived(connection: Connection, boundary: int, frontier: Frontier) -> int:
    """As the trail's owner, in the caller's transaction: note the hashes of the subtrees
    before `boundary` (the signed `frontier` there, so proofs of the events kept still
    rebuild), then delete events 1..`boundary`, which the append-only trigger lets through
    for this transaction alone (`store.removing`): no DDL, so no lock on the whole trail;
    readers and appenders go on. Returns how many events were deleted."""
    _note_frontier(connection, boundary, frontier)
    store.removing(connection, boundary)
    removed = connection.execute(delete(store.events).where(store.events.c.seq <= boundary))
    store.removing(connection, None)
    return removed.rowcount


def _note_frontier(connection: Connection, boundary: int, frontier: Frontier) -> None:
    """The subtrees of the events before `boundary` noted (those not noted yet)."""
    noted = {
        (size, start)
        for size, start in connection.execute(select(store.nodes.c.size, store.nodes.c.start))
    }
    pieces = zip(aligned_subtrees(0, boundary), frontier.hashes, strict=True)
    rows = [
        {"size": size, "start": start, "hash": piece}
        for (start, size), piece in pieces
        if (size, start) not in noted
    ]
    if rows:
        connection.execute(insert(store.nodes), rows)
