"""Verify the trail against its signed checkpoints and say where and how it was tampered with.

Kinds of problem: `changed` (an event's bytes, or a checkpoint's root, no longer match),
`missing` (a sequence number is gone), `inserted` (an event was slipped in and later ones
renumbered), `reordered` (events swapped places), `truncated` (the trail ends before a signed
checkpoint), `bad signature`, `checkpoint missing` (deleted from the database but still in the
copy outside it), `checkpoint changed` (a stored checkpoint's frontier or root was altered),
`index changed` (what investigations read differs from the events) and `unchecked` (a window
that could not be checked on its own). Events after the last checkpoint are *unanchored*.

The trail is checked in *windows*, the events between two trusted checkpoints. Each window
starts from the signed state of the checkpoint before it, never from what the window before it
rebuilt: one tampered window is named alone, and the windows after it are reported intact.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, create_engine

from audit import store
from audit.index_check import check_index_columns
from audit.merkle import Frontier, leaf_hash
from audit.placement import claimed_seq, placement_problems
from audit.report import Problem, Report, Window
from audit.retention import archived_ends, first_stored
from audit.signing import Checkpoint, verify_checkpoint
from audit.tally import QUIET, Tally

NO_BOUNDARY = 2**63  # past any sequence number (BIGINT)
UNCHECKED = (
    "no trusted state to start them from (the events before them were tampered with, and the "
    "stored frontier of the checkpoint between does not match its signature, or is gone)"
)


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
                message = f"two signed checkpoints at size {size} disagree"
                problems.append(Problem(size, "checkpoint changed", message))
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


def sound_at(
    checkpoint: Checkpoint, frontier: Frontier, public_key: Ed25519PublicKey, size: int
) -> bool:
    """Whether `checkpoint` is the one at `size`, signed by `public_key`, with a stored
    `frontier` that folds to its signed root: one the trail kept may start from (the
    boundary of a removal of archived events)."""
    return (
        checkpoint.tree_size == size
        and verify_checkpoint(checkpoint, public_key)
        and frontier.root() == checkpoint.root_hash
    )


def verify_trail(
    connection: Connection,
    public_key: Ed25519PublicKey,
    copied: Iterable[Checkpoint],
    first: int = 1,
    last: int | None = None,
    check_index: bool = True,
    workers: int = 1,
    parallel_from: int = 200_000,
    tally: Tally = QUIET,
) -> Report:
    """Check events `first`..`last` (all by default) against every trustworthy checkpoint,
    and (unless `check_index` is off) the searchable columns against the entries.

    With `workers` > 1 a range of at least `parallel_from` events (below it, starting
    processes costs more than it saves) is split at checkpoints with sound stored frontiers
    and verified in that many processes, each starting from its checkpoint's frontier.
    `tally` hears how far it is: by window, or by process when there are several.
    """
    stored = store.stored_checkpoints(connection)
    trusted, problems = trusted_checkpoints(stored, list(copied), public_key)
    sound = _sound_frontiers(connection, trusted, problems)
    size = store.size(connection)
    last = size if last is None else min(last, size)
    first = max(first, _archived_boundary(connection, sound) + 1)
    report = Report(first=first, last=last, checkpoints=len(trusted), problems=problems)
    start, frontier = _starting_point(connection, trusted, sound, first)
    end = min([s for s in trusted if s >= last] or [size])
    # Workers start only where a stored frontier can be trusted.
    windows = _windows(sound, start, end, workers if end - start >= parallel_from else 1)
    tally.count((end - start + 1) * (2 if check_index else 1))
    if len(windows) > 1:
        url = connection.engine.url.render_as_string(hide_password=False)
        _verify_in_parallel(url, windows, frontier, trusted, check_index, report, tally)
    else:
        _verify_window_into(connection, start, end, frontier, trusted, check_index, report, tally)
    _check_ends(size, trusted, report)
    report.mark_tampered_windows()
    return report


def _archived_boundary(connection: Connection, sound: set[int]) -> int:
    """Where the trail kept in the database starts after its archived prefix was removed:
    the event before the first one stored, when a checkpoint with a sound frontier sits
    there and a signed `audit.trail_archived` event names it; else 0 (events missing from
    the start are then reported `missing`, as any deletion)."""
    boundary = first_stored(connection) - 1
    if boundary < 1 or boundary not in sound:
        return 0
    return boundary if boundary in archived_ends(connection, max(sound)) else 0


def _sound_frontiers(
    connection: Connection, trusted: dict[int, Checkpoint], problems: list[Problem]
) -> set[int]:
    """The sizes of the trusted checkpoints whose stored frontier folds to the signed root
    (a window may start from those); each stored one that does not is a problem."""
    sound = set()
    for checkpoint, frontier in store.checkpoints_with_frontiers(connection):
        size, good = checkpoint.tree_size, trusted.get(checkpoint.tree_size)
        if good is not None and frontier.root() == good.root_hash:
            sound.add(size)
        elif good is not None:
            message = f"the stored frontier of the checkpoint at size {size} does not match it"
            problems.append(Problem(size, "checkpoint changed", message))
    return sound


def _windows(sound: set[int], start: int, end: int, workers: int) -> list[tuple[int, int]]:
    """[start, end] cut at checkpoints with sound frontiers into at most `workers` windows of
    like size."""
    if workers < 2:
        return [(start, end)]
    sizes = sorted(s for s in sound if start <= s < end)
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
    tally: Tally,
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
            report.windows.extend(part.windows)
            tally.advance((part.last - part.first + 1) * (2 if check_index else 1))


def _verify_window(job: tuple) -> Report:
    """One window in a worker process: its own connection, its own starting frontier."""
    url, begin, stop, frontier, trusted, check_index = job
    engine = create_engine(url, hide_parameters=True)
    part = Report(first=begin, last=stop)
    try:
        with engine.connect() as connection:
            if frontier is None:
                frontier = _signed_frontier(connection, begin - 1, trusted)
            _verify_window_into(connection, begin, stop, frontier, trusted, check_index, part)
    finally:
        engine.dispose()
    return part


def _signed_frontier(
    connection: Connection, size: int, trusted: dict[int, Checkpoint]
) -> Frontier | None:
    """The stored frontier of the trusted checkpoint at `size` if it folds to the signed root
    (then it is as good as signed); None when it does not or the checkpoint is not in the
    database (`_sound_frontiers` and `trusted_checkpoints` report those)."""
    found = store.checkpoint_at_or_before(connection, size)
    good = trusted.get(size)
    if found is None or found[0].tree_size != size or good is None:
        return None
    return found[1] if found[1].root() == good.root_hash else None


def _verify_window_into(
    connection: Connection,
    start: int,
    end: int,
    frontier: Frontier | None,
    trusted: dict[int, Checkpoint],
    check_index: bool,
    report: Report,
    tally: Tally = QUIET,
) -> None:
    _scan(connection, start, end, frontier, trusted, report, tally)
    if check_index:
        check_index_columns(connection, start, end, report, tally)


def _starting_point(
    connection: Connection, trusted: dict[int, Checkpoint], sound: set[int], first: int
) -> tuple[int, Frontier]:
    """Start after the last checkpoint before `first` with a sound stored frontier, from it;
    from the first event when there is none."""
    size = max((s for s in sound if s < first), default=0)
    frontier = _signed_frontier(connection, size, trusted) if size else None
    return (size + 1, frontier) if frontier is not None else (1, Frontier())


def _scan(
    connection: Connection,
    start: int,
    end: int,
    frontier: Frontier | None,
    trusted: dict[int, Checkpoint],
    report: Report,
    tally: Tally,
) -> None:
    """Rebuild the tree from the stored entries, checking each against its row and, as the
    tree reaches each trusted checkpoint's size, its window against the signed root. Without
    a trusted `frontier` to start from, the first window is left unchecked."""
    windows = _Windows(connection, trusted, start, report, tally)
    windows.unchecked = frontier is None
    frontier = Frontier() if frontier is None else frontier
    expected, boundary = start, windows.boundary
    misplaced: dict[int, int | None] = {}  # row seq → the seq its entry claims
    for seq, entry, stored_leaf in store.rows(connection, start, end):
        if seq > boundary:  # the rows before this one close a window (or more)
            frontier, boundary = windows.close_before(seq, expected, frontier)
        if seq != expected:
            report.add(Problem(expected, "missing", f"events {expected}..{seq - 1} are missing"))
            windows.clean = False
        expected = seq + 1
        claimed = claimed_seq(entry)
        if claimed != seq:
            misplaced[seq] = claimed
            windows.clean = False
        leaf = leaf_hash(entry)
        if leaf != stored_leaf:
            report.add(Problem(seq, "changed", f"event {seq} no longer matches its hash"))
            windows.clean = False
        frontier.append(leaf)
        report.events += 1
    limit = min(end, store.size(connection))  # beyond the trail's end is truncation, not this
    if expected <= limit:
        report.add(Problem(expected, "missing", f"events {expected}..{limit} are missing"))
    windows.close_before(limit + 1, expected, frontier)
    tally.advance(max(0, end - windows.first + 1))  # the events after the last checkpoint
    report.problems.extend(placement_problems(misplaced))


class _Windows:
    """The checkpoint windows of one scan. Each is closed against its checkpoint's signed
    root; the next starts from that checkpoint's signed frontier, not from what this window
    rebuilt, so damage in one window does not spill into the windows after it."""

    def __init__(
        self,
        connection: Connection,
        trusted: dict[int, Checkpoint],
        start: int,
        report: Report,
        tally: Tally,
    ) -> None:
        self.connection, self.trusted, self.report, self.tally = connection, trusted, report, tally
        self.ends = deque(sorted(size for size in trusted if size >= start))
        self.first, self.clean, self.unchecked = start, True, False

    @property
    def boundary(self) -> int:
        """The size of the checkpoint that closes the current window (NO_BOUNDARY: none)."""
        return self.ends[0] if self.ends else NO_BOUNDARY

    def close_before(self, seq: int, expected: int, frontier: Frontier) -> tuple[Frontier, int]:
        """Close every window that ends before event `seq`, the scan having read the rows
        up to `expected` - 1. Returns the frontier the next window starts from, and where
        that window ends."""
        while self.boundary < seq:
            if expected <= self.boundary:  # the window's last event is gone
                self.clean = False
            frontier = self.close(frontier)
        return frontier, self.boundary

    def close(self, frontier: Frontier) -> Frontier:
        """Check the window that ends here; returns the frontier the next one starts from,
        and where that one ends."""
        size = self.ends.popleft()
        matches = frontier.size == size and frontier.root() == self.trusted[size].root_hash
        signed = frontier if matches else self._signed(size)
        if matches and self.clean:
            state = "intact"
        elif not self.clean:  # its events' problems are reported already
            state = "tampered"
        elif self.unchecked:
            message = f"events {self.first}..{size} could not be checked: {UNCHECKED}"
            state = "unchecked"
            self.report.add(Problem(self.first, "unchecked", message))
        else:
            state = "tampered"
            for first, last in _departures(frontier, signed, self.first, size):
                which = f"event {first} does" if first == last else f"events {first}..{last} do"
                message = f"{which} not match the checkpoint at size {size}"
                self.report.add(Problem(first, "changed", message))
        self.report.windows.append(Window(self.first, size, state))
        self.tally.advance(size - self.first + 1)
        self.report.anchored_to = size
        self.first, self.clean, self.unchecked = size + 1, True, signed is None
        return frontier if signed is None else signed

    def _signed(self, size: int) -> Frontier | None:
        return _signed_frontier(self.connection, size, self.trusted)


def _departures(
    rebuilt: Frontier, signed: Frontier | None, first: int, size: int
) -> list[tuple[int, int]]:
    """The events of window `first`..`size` the rebuilt tree departs from the signed one at:
    the frontier's subtrees whose hashes differ, cut to the window (what lies before it the
    checkpoint it started from vouched for). The whole window when that cannot be told."""
    if signed is None or signed.sizes != rebuilt.sizes:
        return [(first, size)]
    ranges, begin = [], 0
    for width, mine, theirs in zip(signed.sizes, rebuilt.hashes, signed.hashes, strict=True):
        if mine != theirs and begin + width >= first:
            ranges.append((max(begin + 1, first), begin + width))
        begin += width
    return ranges or [(first, size)]


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
