"""Whether this process is live and ready, as named checks an operator's probe can poll.

Ready means every check passes or warns: the database answers and is migrated to the code's
head, the directory answers a bind, the audit signing key and the debtor data keys work, the
audit committer has not stopped, and the deprovisioning scheduler's state is known. Each check
gives a status (`pass`, `warn`, `fail`), what it saw in a few words, and how long it took; no
personal data, no key ids, no error text (the log has that): anyone may ask.

Polled every second by several probes, it stays cheap and never piles up: a report is kept for
`FRESH_SECONDS` of the injected clock, each check runs in a thread of its own with at most one
run of it at a time, and a caller waits at most `PATIENCE_SECONDS` for an answer: a check
still running by then fails as "no answer yet" and is not started again until it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, text

from audit.signing import Signer, verify_checkpoint
from govern.clock import Clock
from govern.context import Sealer
from govern.directory.source import Directory, DirectoryUnavailable
from govern.migrate import current_revision

PASS, WARN, FAIL = "pass", "warn", "fail"
FRESH_SECONDS = 1.0
PATIENCE_SECONDS = 2.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """What one check saw: its status and a few words, never personal data."""

    status: str
    state: str


@dataclass(frozen=True)
class Result:
    name: str
    status: str
    state: str
    duration_ms: float
    problem: str = ""  # the error's own words, for the log only (they may name a host)


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]

    @property
    def status(self) -> str:
        """`fail` if any check failed, else `warn` if any warned, else `pass`."""
        statuses = {result.status for result in self.results}
        return next((s for s in (FAIL, WARN) if s in statuses), PASS)

    @property
    def ready(self) -> bool:
        return self.status != FAIL

    def as_json(self) -> dict[str, object]:
        checks = {
            r.name: {"status": r.status, "state": r.state, "duration_ms": r.duration_ms}
            for r in self.results
        }
        return {"status": self.status, "checks": checks}


Probe = Callable[[], Finding]


class Readiness:
    """The checks of one process, run as the module's docstring says."""

    def __init__(
        self, probes: Mapping[str, Probe], clock: Clock, patience: float = PATIENCE_SECONDS
    ) -> None:
        self._probes, self._clock, self._patience = dict(probes), clock, patience
        self._lock = threading.Lock()
        self._running: dict[str, Future[Result]] = {}
        self._last: tuple[datetime, Report] | None = None

    def report(self) -> Report:
        """This process's readiness, at most `FRESH_SECONDS` old."""
        with self._lock:
            if self._last and self._clock.now() - self._last[0] < timedelta(seconds=FRESH_SECONDS):
                return self._last[1]
            running = {name: self._start(name) for name in self._probes}
        until = time.monotonic() + self._patience
        report = Report(tuple(_awaited(name, job, until) for name, job in running.items()))
        with self._lock:
            self._log_changes(report)
            self._last = (self._clock.now(), report)
        return report

    def _start(self, name: str) -> Future[Result]:
        """The check's run under way, or a new one."""
        job = self._running.get(name)
        if job is None or job.done():
            job = self._running[name] = _in_background(name, self._probes[name])
        return job

    def _log_changes(self, report: Report) -> None:
        """A line when a check's status changes (not one a second while it stays failed)."""
        before = {r.name: r.status for r in self._last[1].results} if self._last else {}
        for r in report.results:
            if before.get(r.name, PASS) != r.status:
                level = logging.INFO if r.status == PASS else logging.WARNING
                why = f"{r.state} {r.problem}".strip()
                log.log(level, "readiness: %s %s: %s", r.name, r.status, why)


def _in_background(name: str, probe: Probe) -> Future[Result]:
    job: Future[Result] = Future()
    threading.Thread(
        target=lambda: job.set_result(_timed(name, probe)), name=f"readiness-{name}", daemon=True
    ).start()
    return job


def _timed(name: str, probe: Probe) -> Result:
    started = time.perf_counter()
    try:
        finding = probe()
    except Exception as error:  # the answer names only its kind; the log says more
        cause = error.__cause__ or error
        state = f"error: {type(error).__name__}"
        return Result(name, FAIL, state, _ms_since(started), f"{type(cause).__name__}: {cause}")
    return Result(name, finding.status, finding.state, _ms_since(started))


def _awaited(name: str, job: Future[Result], until: float) -> Result:
    started = time.monotonic()
    try:
        return job.result(max(0.0, until - started))
    except FutureTimeout:
        return Result(name, FAIL, "no answer yet", round((time.monotonic() - started) * 1000, 1))


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def database(engine: Engine, head: str) -> Probe:
    """The database answers, within a few seconds, at revision `head`."""

    def probe() -> Finding:
        with engine.connect().execution_options(read_only=True) as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL statement_timeout = 2000"))
            revision = current_revision(connection)
        if revision != head:
            return Finding(FAIL, f"schema at revision {revision}, the code needs {head}")
        return Finding(PASS, f"schema at revision {head}")

    return probe


def directory(source: Directory) -> Probe:
    """The directory answers a bind of Govern's service account (sign-ins need it). Not ready
    when it does not: no one can sign in here, though the process still serves the staff
    already signed in (a session is checked against Govern's own records)."""

    def probe() -> Finding:
        try:
            source.answers()
        except DirectoryUnavailable as error:
            if error.details.get("refused"):
                raise
            return Finding(FAIL, "no answer: sign-ins refused; signed-in staff still served")
        return Finding(PASS, "answers a bind")

    return probe


def signing_key(signer: Signer, clock: Clock) -> Probe:
    """The audit signing key signs, and its signature verifies."""

    def probe() -> Finding:
        checkpoint = signer.sign(0, bytes(32), clock.now())
        if not verify_checkpoint(checkpoint, signer.public_key):
            return Finding(FAIL, "a signature does not verify")
        return Finding(PASS, "signs and verifies")

    return probe


def data_keys(vault: Sealer) -> Probe:
    """The current debtor data key seals and opens (a probe value, never a debtor's)."""

    def probe() -> Finding:
        if vault.open(vault.seal("readiness", "readiness"), "readiness") != "readiness":
            return Finding(FAIL, "a sealed value does not open")
        return Finding(PASS, "seal and open")

    return probe


#: The audit committer's states (`GroupCommitter.state`) and what each means for readiness.
COMMITTER = {
    "running": Finding(PASS, "running"),
    "not started": Finding(PASS, "starts with the first durable append"),
    "stopped": Finding(FAIL, "stopped"),
}


def audit_committer(state: Callable[[], str]) -> Probe:
    """The trail's group committer runs, or has not been needed yet; stopped fails."""
    return lambda: COMMITTER[state()]


#: The deprovisioning scheduler's states (`deprovision.scheduler.scheduler_state`).
SCHEDULER = {
    "leading": Finding(PASS, "runs in this process"),
    "led elsewhere": Finding(PASS, "runs in another process"),
    "stopped": Finding(FAIL, "stopped in this process"),
    "no leader": Finding(WARN, "runs in no process: departures wait for one"),
    "unknown": Finding(WARN, "unknown: the database does not answer"),
}


def scheduler(state: Callable[[], str]) -> Probe:
    """Where deprovisioning's scheduler runs; a stopped one fails, none anywhere warns."""
    return lambda: SCHEDULER[state()]
