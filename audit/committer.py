"""Group commit: many readers' events, one durable transaction.

A read (a debtor view, an auditor query) must not answer before its event is durable. Each
caller hands its record to one thread per process, which appends everything waiting in one
transaction and wakes the callers after the commit. The durable commit and the trail's lock,
not hashing, are the cost; batching is where the speed comes from, so the thread takes the lock
first and only then everyone waiting by then (callers keep arriving while it waits).

One commit at a time per process, on one kept connection: whoever holds the turn commits. When
nobody does and nobody waits, a caller takes the turn and commits its own events (with those of
whoever arrives meanwhile) on its own thread, instead of handing them over and waiting to be
woken: the hand-over and the wake-up cost a quiet process more than the commit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from audit import store
from audit.entry import Prepared, Record, prepare_all

log = logging.getLogger(__name__)


class AuditUnavailable(Exception):
    """The event could not be made durable; whatever it was for must not happen."""


#: A caller's events and the one future for all their numbers.
Waiting = tuple[list[Prepared], Future[list[int]]]


class _Line:
    """The callers waiting for a commit, in the order they came (None: stop). The committer's
    thread waits here for someone to arrive, but takes them only once it holds the turn: a
    caller committing meanwhile takes them into its own commit instead."""

    def __init__(self) -> None:
        self._items: deque[Waiting | None] = deque()
        self._arrived = threading.Condition()
        self._nudged = False  # a caller committed its own events: `after_commit` is due

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: Waiting | None, first: bool = False) -> None:
        with self._arrived:
            self._items.appendleft(item) if first else self._items.append(item)
            self._arrived.notify_all()

    def nudge(self) -> None:
        """Wake the committer's thread: a caller committed its own events."""
        with self._arrived:
            self._nudged = True
            self._arrived.notify_all()

    def wait(self, seconds: float) -> None:
        """Until anyone waits or nudges, at most `seconds`."""
        with self._arrived:
            self._arrived.wait_for(lambda: self._items or self._nudged, seconds)
            self._nudged = False

    def take(self, seconds: float = 0.0) -> Waiting | None:
        """The first in line, waiting at most `seconds` for one. Raises queue.Empty."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: self._items, seconds):
                raise queue.Empty
            return self._items.popleft()


class GroupCommitter:
    def __init__(
        self,
        engine: Engine,
        now: Callable[[], datetime],
        *,
        after_commit: Callable[[int], None] | None = None,
        committed: Callable[[int, float], None] | None = None,
        max_batch: int = 1000,
        idle_seconds: float = 1.0,
        gather_seconds: float = 0.0,
        lock_seconds: float = 10.0,
    ) -> None:
        self._engine, self._now = engine, now
        self._after_commit = after_commit or (lambda committed: None)
        #: Told each durable commit's size in events and how long it took (seconds), once
        #: its callers are answered, for whoever watches (Govern's metrics).
        self._committed = committed or (lambda events, seconds: None)
        self._max_batch, self._idle = max_batch, idle_seconds
        self._gather = gather_seconds
        #: How long a commit waits for the trail's lock (its connections made from then on).
        self.lock_seconds = lock_seconds
        self._queue = _Line()
        self._thread: threading.Thread | None = None
        #: Held by whoever commits (the thread, or a caller committing its own events).
        self._turn = threading.Lock()
        self._connection: Connection | None = None  # kept between commits; under `_turn`
        self._direct = 0  # events callers committed themselves, not yet told `after_commit`
        self._start_lock = threading.Lock()
        self._checkpoints_failing = False  # told once when they start failing, once when back
        self._commits_failing = False  # a traceback when they start failing, a line when back

    def append(self, record: Record, timeout: float = 10.0) -> int:
        """Append and wait until durable. Returns the sequence number; raises AuditUnavailable."""
        return self.append_many([record], timeout)[0]

    def append_many(self, records: list[Record], timeout: float = 10.0) -> list[int]:
        """Append several events (a list of debtors shown at once) and wait until all are
        durable. Raises AuditUnavailable if they are not."""
        if not records:
            return []
        self.start()
        at = self._now()  # the time the events happened, before they wait their turn
        done: Future[list[int]] = Future()
        waiting = (prepare_all(records, at), done)  # encoded here
        if not self._commit_own(waiting):
            self._queue.put(waiting)
        try:
            try:
                return done.result(timeout)
            except FutureTimeout:
                if done.cancel():  # not yet taken by the committer: it will never be written
                    raise
                return done.result()  # being committed: its fate is decided within one commit
        except (Exception, CancelledError) as error:
            raise AuditUnavailable(f"audit event not written: {type(error).__name__}") from error

    def _commit_own(self, waiting: Waiting) -> bool:
        """When nobody commits and nobody waits, commit `waiting` on this thread (its future
        answered as the thread answers it). Returns whether it did."""
        if len(self._queue) or not self._turn.acquire(blocking=False):
            return False
        try:
            waiting[1].set_running_or_notify_cancel()
            batch = [waiting]
            self._connection = self._commit(self._connection, batch)
            self._direct += sum(len(items) for items, _ in batch)
        finally:
            self._turn.release()
        self._queue.nudge()  # `after_commit` on the committer's thread, not this one
        return True

    def waiting(self) -> int:
        """Items in the committer's queue: callers not yet taken into a commit (with any that
        have stopped waiting), and a stop request if one is pending."""
        return len(self._queue)

    def state(self) -> str:
        """ "running", "not started" (it starts with the first append) or "stopped" (it ran and
        stopped, or died; the next append starts it again)."""
        if self._thread is None:
            return "not started"
        return "running" if self._thread.is_alive() else "stopped"

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="audit-committer", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            self._queue.wait(self._idle)  # someone waits, a caller committed, or time passed
            committed = self._take_turn()
            if committed is None:
                break
            self._safely(self._after_commit, committed + self._told_direct())
        self._safely(self._after_commit, self._told_direct())
        with self._turn:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _take_turn(self) -> int | None:
        """Commit the callers waiting, if any (a caller committing its own events may have
        taken them); returns how many events, None when asked to stop."""
        with self._turn:
            try:
                first = self._queue.take()
            except queue.Empty:
                return 0
            if first is None:
                return None
            if not first[1].set_running_or_notify_cancel():  # its caller gave up waiting
                return 0
            batch = [first]
            if self._gather > 0:  # without a window, whoever waits joins with the lock held
                self._take_waiting(batch, self._gather)
            self._connection = self._commit(self._connection, batch)
            return sum(len(items) for items, _ in batch)

    def _told_direct(self) -> int:
        """The events callers committed themselves since last asked (for `after_commit`:
        checkpoints are signed on this thread, never on a caller's)."""
        with self._turn:
            told, self._direct = self._direct, 0
        return told

    def _take_waiting(self, batch: list[Waiting], seconds: float) -> None:
        """Add to `batch` the callers waiting now or arriving within `seconds`, up to the
        batch limit. A stop request ends the taking and is left for the loop."""
        size, until = sum(len(items) for items, _ in batch), time.monotonic() + seconds
        while size < self._max_batch:
            try:
                item = self._queue.take(max(0.0, until - time.monotonic()))
            except queue.Empty:
                return
            if item is None:
                self._queue.put(None, first=True)  # finish this batch, then stop
                return
            if item[1].set_running_or_notify_cancel():  # its caller still waits
                batch.append(item)
                size += len(item[0])

    def _commit(self, connection: Connection | None, batch: list[Waiting]) -> Connection | None:
        """Append and commit one batch; returns the connection to reuse (None if broken).

        Callers arriving while the trail's lock is being taken join the batch: with the lock
        held, waiting costs nothing more, and the next turn would pay for its own round trips."""
        began = time.perf_counter()
        try:
            connection, numbers = self._append(connection, batch)
        except Exception as error:  # every waiter learns its events were not written
            self._tell_failure(error)
            for _, done in batch:
                done.set_exception(error)
            return None
        if self._commits_failing:
            log.warning("audit group commits succeed again")
            self._commits_failing = False
        seconds, start = time.perf_counter() - began, 0
        for items, done in batch:
            done.set_result(numbers[start : start + len(items)])
            start += len(items)
        try:  # after the callers are answered: watching never delays them
            self._committed(len(numbers), seconds)
        except Exception:
            log.exception("the audit commit's watcher failed")
        return connection

    def _append(
        self, kept: Connection | None, batch: list[Waiting]
    ) -> tuple[Connection, list[int]]:
        """Append `batch` and commit it on the kept connection, or a new one; returns the
        connection and the events' numbers, or raises after closing the connection.

        A kept connection lost before the batch's commit was asked (the database restarted
        while it sat idle) is replaced once: nothing of the batch was written on it. A failure
        of the commit itself is never tried again: the commit may have been done."""
        connection = kept or self._connect()
        transaction = connection.begin()
        try:
            taken = [p for items, _ in batch for p in items]
            numbers = store.append_prepared(connection, taken, more=lambda: self._take_more(batch))
        except DBAPIError as error:
            connection.close()
            if kept is None or not error.connection_invalidated:
                raise
            return self._append(None, batch)
        except Exception:
            connection.close()
            raise
        try:
            transaction.commit()
        except Exception:
            connection.close()
            raise
        return connection, numbers

    def _tell_failure(self, error: Exception) -> None:
        """Log a failed commit: with its traceback the first time, then a line each until one
        succeeds again (an outage must not bury the log under tracebacks)."""
        if self._commits_failing:
            cause = getattr(error, "orig", None) or error  # the driver's own, e.g. DiskFull
            log.error("audit group commit failed again: %s", type(cause).__name__)
        else:
            log.exception("audit group commit failed")
        self._commits_failing = True

    def _take_more(self, batch: list[Waiting]) -> list[Prepared]:
        """Callers waiting now join `batch`; returns their events."""
        taken = len(batch)
        self._take_waiting(batch, 0.0)
        return [p for items, _ in batch[taken:] for p in items]

    def _connect(self) -> Connection:
        """The committer's own connection, out of the pool, waiting at most `lock_seconds` for
        the trail's lock: a commit that cannot have it fails its callers instead of holding
        them past their own time limits."""
        connection = self._engine.connect()
        connection.detach()  # its session setting must not go back to the pool
        wait_ms = int(self.lock_seconds * 1000)
        driver = connection.connection.dbapi_connection
        try:
            if connection.dialect.name == "postgresql":
                driver.execute(f"SET lock_timeout = {wait_ms}")  # type: ignore[union-attr]
            else:
                driver.execute(f"PRAGMA busy_timeout = {wait_ms}")  # type: ignore[union-attr]
            driver.commit()  # type: ignore[union-attr]
        except Exception:
            connection.close()
            raise
        return connection

    def _safely(self, action: Callable[[int], None], committed: int) -> None:
        """Sign a checkpoint; a failure is told once (with its traceback) until one succeeds
        again, not every second of an outage."""
        try:
            action(committed)
        except Exception:
            if not self._checkpoints_failing:
                log.exception("audit checkpoint failed; the next one will cover these events")
            self._checkpoints_failing = True
            return
        if self._checkpoints_failing:
            log.warning("audit checkpoints are signed again")
        self._checkpoints_failing = False
