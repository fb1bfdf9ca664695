"""Verify the trail against its signed checkpoints and say where and how it was tampered with.

Kinds of problem: `changed` (an event's bytes, or a checkpoint's root, no longer match),
`missing` (a sequence number is gone), `inserted` (an event was slipped in and later ones
renumbered), `reordered` (events swapped places), `truncated` (the trail ends before a signed
checkpoint), `bad signature`, `checkpoint missing` (deleted from the database but still in the
copy outside it) and `index changed` (what investigations read differs from the events).
Events after the last checkpoint are reported as *unanchored*.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, create_engine, select

from audit import store
from audit.entry import field_row, micros
from audit.merkle import Frontier, leaf_hash
from audit.signing import Checkpoint, verify_checkpoint

MAX_PER_KIND = 100
INDEX_BATCH = 10_000


@dataclass(frozen=True)
class Problem:
    seq: int | None
    kind: str
    message: str


@dataclass
class Report:
    first: int
    last: int
    events: int = 0
    checkpoints: int = 0
    anchored_to: int = 0
    unanchored: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        located = [p for p in self.problems if p.seq is not None]
        # At one number, what happened to the trail comes before what it did to the index.
        earliest = min(located, key=lambda p: (p.seq, p.kind == "index changed"), default=None)
        return earliest or (self.problems or [None])[0]


def trusted_checkpoints(
    stored: Iterable[Checkpoint], copied: Iterable[Checkpoint], public_key: Ed25519PublicKey
) -> tuple[dict[int, Checkpoint], list[Problem]]:
    """Checkpoints from the database and the file copy whose signatures hold, by tree size."""
    problems: list[Problem] = []
    trusted: dict[int, Checkpoint] = {}
    in_database = {c.tree_size for c in stored}
    for source, checkpoints in (("database", stored), ("checkpoint file", copied)):
        for checkpoint in checkpoints:
            size = checkpoint.tree_size
            if not verify_checkpoint(checkpoint, public_key):
                problems.append(
                    Problem(
                        size,
                        "bad signature",
                        f"the {source}'s checkpoint at size {size} is not signed by this key",
                    )
                )
                continue
            known = trusted.get(size)
            if known is not None and known.root_hash != checkpoint.root_hash:
                problems.append(
                    Problem(size, "changed", f"two signed checkpoints at size {size} disagree")
                )
            trusted.setdefault(size, checkpoint)
            if source == "checkpoint file" and size not in in_database:
                problems.append(
                    Problem(
                        size,
                        "checkpoint missing",
                        f"the checkpoint at size {size} was deleted from the database",
                    )
                )
    return trusted, problems


def signed_checkpoints(
    connection: Connection, copied: Iterable[Checkpoint], public_key: Ed25519PublicKey
) -> list[Checkpoint]:
    """Every checkpoint, from the database or the file copy, whose signature holds; oldest first."""
    trusted, _ = trusted_checkpoints(store.stored_checkpoints(connection), list(copied), public_key)
    return [trusted[size] for size in sorted(trusted)]


def verify_trail(
    connection: Connection,
    public_key: Ed25519PublicKey,
    copied: Iterable[Checkpoint],
    first: int = 1,
    last: int | None = None,
    check_index: bool = True,
    workers: int = 1,
    parallel_from: int = 200_000,
) -> Report:
    """Check events `first`..`last` (all by default) against every trustworthy checkpoint,
    and (unless `check_index` is off) the searchable columns against the entries.

    With `workers` > 1 a range of at least `parallel_from` events (below it, starting
    processes costs more than it saves) is split at checkpoints and verified in that many
    processes, each window starting from its checkpoint's stored frontier.
    """
    stored = store.stored_checkpoints(connection)
    trusted, problems = trusted_checkpoints(stored, list(copied), public_key)
    size = store.size(connection)
    last = size if last is None else min(last, size)
    report = Report(first=first, last=last, checkpoints=len(trusted), problems=problems)
    start, frontier = _starting_point(connection, trusted, first, report)
    end = min([s for s in trusted if s >= last] or [size])
    windows = _windows(trusted, start, end, workers if end - start >= parallel_from else 1)
    if len(windows) > 1:
        url = connection.engine.url.render_as_string(hide_password=False)
        _verify_in_parallel(url, windows, frontier, trusted, check_index, report)
    else:
        _verify_window_into(connection, start, end, frontier, trusted, check_index, report)
    _check_ends(size, trusted, report)
    return report


def _windows(
    trusted: dict[int, Checkpoint], start: int, end: int, workers: int
) -> list[tuple[int, int]]:
    """[start, end] cut at trusted checkpoints into at most `workers` windows of like size."""
    if workers < 2:
        return [(start, end)]
    sizes = sorted(s for s in trusted if start <= s < end)
    cuts, step = [], (end - start) / workers
    for k in range(1, workers):
        target = start + k * step
        cut = next((s for s in sizes if s >= target), None)
        if cut is not None and (not cuts or cut > cuts[-1]):
            cuts.append(cut)
    bounds = [start - 1, *cuts, end]
    return [(bounds[i] + 1, bounds[i + 1]) for i in range(len(bounds) - 1)]


def _verify_in_parallel(
    url: str,
    windows: list[tuple[int, int]],
    frontier: Frontier,
    trusted: dict[int, Checkpoint],
    check_index: bool,
    report: Report,
) -> None:
    context = multiprocessing.get_context("spawn")
    jobs = [
        (url, begin, stop, frontier if i == 0 else None, trusted, check_index)
        for i, (begin, stop) in enumerate(windows)
    ]
    with ProcessPoolExecutor(len(jobs), mp_context=context) as pool:
        for part in pool.map(_verify_window, jobs):
            report.events += part.events
            report.anchored_to = max(report.anchored_to, part.anchored_to)
            report.problems.extend(part.problems)


def _verify_window(job: tuple) -> Report:
    """One window in a worker process: its own connection, its own starting frontier."""
    url, begin, stop, frontier, trusted, check_index = job
    engine = create_engine(url, hide_parameters=True)
    part = Report(first=begin, last=stop)
    try:
        with engine.connect() as connection:
            if frontier is None:
                frontier = _frontier_at(connection, begin - 1, trusted, part)
            _verify_window_into(connection, begin, stop, frontier, trusted, check_index, part)
    finally:
        engine.dispose()
    return part


def _frontier_at(
    connection: Connection, size: int, trusted: dict[int, Checkpoint], report: Report
) -> Frontier:
    """The stored frontier of the checkpoint at `size` if it folds to the trusted signed root;
    otherwise an empty one, and the problem reported."""
    found = store.checkpoint_at_or_before(connection, size)
    good = trusted.get(size)
    if (
        found is None
        or found[0].tree_size != size
        or good is None
        or found[1].root() != good.root_hash
    ):
        report.problems.append(
            Problem(size, "changed", "a stored frontier does not match its checkpoint")
        )
        return Frontier()
    return found[1]


def _verify_window_into(
    connection: Connection,
    start: int,
    end: int,
    frontier: Frontier,
    trusted: dict[int, Checkpoint],
    check_index: bool,
    report: Report,
) -> None:
    _scan(connection, start, end, frontier, trusted, report)
    if check_index:
        _check_index(connection, start, end, report)


def _starting_point(
    connection: Connection, trusted: dict[int, Checkpoint], first: int, report: Report
) -> tuple[int, Frontier]:
    """Start at the last checkpoint before `first`, from its stored frontier (if sound)."""
    found = store.checkpoint_at_or_before(connection, first - 1) if first > 1 else None
    if found is None:
        return 1, Frontier()
    frontier = _frontier_at(connection, found[0].tree_size, trusted, report)
    return (found[0].tree_size + 1, frontier) if frontier.size else (1, Frontier())


def _scan(
    connection: Connection,
    start: int,
    end: int,
    frontier: Frontier,
    trusted: dict[int, Checkpoint],
    report: Report,
) -> None:
    """Rebuild the tree from the stored entries, checking each against its row and each
    trusted checkpoint's root as the tree reaches its size."""
    expected, window_start, window_clean = start, start, True
    misplaced: dict[int, int | None] = {}  # row seq → the seq its entry claims
    for seq, entry, stored_leaf in store.rows(connection, start, end):
        if seq != expected:
            _add(report, Problem(expected, "missing", f"events {expected}..{seq - 1} are missing"))
            window_clean = False
        expected = seq + 1
        claimed = _claimed_seq(entry)
        if claimed != seq:
            misplaced[seq] = claimed
            window_clean = False
        leaf = leaf_hash(entry)
        if leaf != stored_leaf:
            _add(report, Problem(seq, "changed", f"event {seq} no longer matches its hash"))
            window_clean = False
        frontier.append(leaf)
        report.events += 1
        checkpoint = trusted.get(seq)
        if checkpoint is not None:
            if frontier.root() != checkpoint.root_hash and window_clean:
                message = f"events {window_start}..{seq} do not match the checkpoint at size {seq}"
                _add(report, Problem(window_start, "changed", message))
            report.anchored_to, window_start, window_clean = seq, seq + 1, True
    limit = min(end, store.size(connection))  # beyond the trail's end is truncation, not this
    if expected <= limit:
        _add(report, Problem(expected, "missing", f"events {expected}..{limit} are missing"))
    report.problems.extend(_placement_problems(misplaced))


def _check_index(connection: Connection, start: int, end: int, report: Report) -> None:
    """What queries read must say exactly what the hashed entries say: each event's own
    columns (actor, action, object, time) and its field columns (how each field was shown,
    the project groups)."""
    stream = store.rows(connection, start, end)  # by rows, not numbers: a forged
    while batch := list(islice(stream, INDEX_BATCH)):  # far-off number must not stall it
        columns, index = set(), set()
        for seq, entry, _ in batch:
            own, shown = _derived(seq, entry)
            columns.add(own)
            index.add(shown)
        stored_columns, stored_index = _stored_derived(connection, batch[0][0], batch[-1][0])
        for kind, wrong in (
            ("changed", columns ^ stored_columns),
            ("index changed", index ^ stored_index),
        ):
            if wrong:
                seq = min(key[0] for key in wrong)
                message = f"what queries read of event {seq} differs from the event"
                _add(report, Problem(seq, kind, message))
                return


def _stored_derived(connection: Connection, first: int, last: int) -> tuple[set, set]:
    """The events' searchable columns and field columns as stored, as comparable tuples."""
    e = store.events.c
    rows = connection.execute(
        select(
            e.seq, e.at_us, e.actor, e.action, e.object, e.fields, e.viewer_group, e.object_group
        ).where(e.seq.between(first, last))
    )
    own, index = set(), set()
    for seq, at_us, actor, action, object_, *shown in rows:
        own.add((seq, at_us, actor, action, object_))
        index.add((seq, *shown))
    return own, index


def _derived(seq: int, entry: bytes) -> tuple[tuple, tuple]:
    """(the event's own columns, its field columns) as an entry calls for them."""
    try:
        event = json.loads(entry)
        at_us = micros(datetime.fromisoformat(event["time"][:-1] + "+00:00"))
        actor, action, object_ = event.get("actor"), event.get("action"), event.get("object")
        details = event.get("details") or {}
        shown = field_row(details)
    except (ValueError, KeyError, TypeError, AttributeError):
        return (seq, None, None, None, None), (seq, None, None, None)
    return (seq, at_us, actor, action, object_), (seq, *shown)


def _add(report: Report, problem: Problem) -> None:
    """Keep the first problems of each kind: they locate it, the rest repeat it (and junk of
    one kind must not crowd out the real damage of another)."""
    if sum(p.kind == problem.kind for p in report.problems) < MAX_PER_KIND:
        report.problems.append(problem)


def _claimed_seq(entry: bytes) -> int | None:
    """The top-level `seq` of a canonical entry. Keys are sorted, so it is the last `"seq":`
    before `"time"`; reading it there avoids parsing every entry on the hot path."""
    at = entry.rfind(b',"seq":')
    end = entry.find(b",", at + 7)
    try:
        return int(entry[at + 7 : end]) if at >= 0 else None
    except ValueError:
        return None


def _placement_problems(misplaced: dict[int, int | None]) -> list[Problem]:
    """Name the first event that sits where it does not belong, and how."""
    if not misplaced:
        return []
    seq = min(misplaced)
    claimed = misplaced[seq]
    if claimed is None:
        return [Problem(seq, "changed", f"event {seq} is not a readable entry")]
    if claimed < seq:
        return [
            Problem(
                seq - 1,
                "inserted",
                f"an event was inserted at {seq - 1}; event {claimed} now stands at {seq}",
            )
        ]
    if seq in misplaced.values():
        return [Problem(seq, "reordered", f"event {seq} holds event {claimed}, which moved")]
    return [Problem(seq, "missing", f"event {seq} was deleted and later events renumbered")]


def _check_ends(size: int, trusted: dict[int, Checkpoint], report: Report) -> None:
    signed = max(trusted, default=0)
    if signed > size:
        report.problems.append(
            Problem(
                size + 1,
                "truncated",
                f"the trail ends at {size} but a signed checkpoint covers {signed} events",
            )
        )
    report.unanchored = max(0, size - signed)
