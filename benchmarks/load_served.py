"""The load run's served side (`benchmarks/load.py`): two gunicorn instances of Govern and
`govern worker`, started and stopped as an operator would; the CPU they and PostgreSQL spend;
the trail's group commits as their metrics count them."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from benchmarks import contact
from tests.support.processes import free_port, wait_until_listening

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
INSTANCES = 2

# ---- the processes ----------------------------------------------------------------------------


def environment(url: str, folder: Path, profile: bool) -> dict[str, str]:
    """The variables every process of the run is configured with (one secret key for all)."""
    env = {
        **os.environ,
        **contact.environment(url, folder),
        "GOVERN_CHECKPOINT_DIR": str(folder / "cp"),  # as the populating commands signed them
        "GOVERN_BACKGROUND_JOBS": "worker",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
    }
    (folder / "metrics").mkdir(exist_ok=True)
    if profile:
        env["GOVERN_BENCH_PROFILE"] = str(folder / "profile")
    return env


@contextmanager
def served(env: dict[str, str], folder: Path) -> Iterator[list[int]]:
    """`govern worker` and two gunicorn instances, their ports; stopped afterwards as an
    operator stops them: the web first (its audit events made durable), then the worker (a
    last checkpoint over them)."""
    worker = _start([str(BIN / "govern"), "worker"], env, folder / "worker.log")
    ports, web = [free_port() for _ in range(INSTANCES)], []
    try:
        for number, port in enumerate(ports):
            command = [
                str(BIN / "gunicorn"),
                f"--config={REPO / 'gunicorn.conf.py'}",
                f"--bind=127.0.0.1:{port}",
                "benchmarks.http_app:app",
            ]
            web.append(_start(command, env, folder / f"web{number}.log"))
        for port, process in zip(ports, web, strict=True):
            wait_until_listening(port, process, seconds=120)
            _wait_up(port)
        if worker.poll() is not None:
            raise SystemExit(f"govern worker exited: {log_tail(folder / 'worker.log')}")
        yield ports
    finally:
        for process in web:
            _stop(process)
        _stop(worker)
        for number, process in enumerate([*web, worker]):
            if process.returncode:  # an operator's SIGTERM ends each with 0
                log = folder / (f"web{number}.log" if number < len(web) else "worker.log")
                print(
                    f"{process.args[0]} ended with {process.returncode}: {log_tail(log)}",
                    file=sys.stderr,
                )


def log_tail(log: Path, lines: int = 20) -> str:
    """The last `lines` lines of a process's log, for a message saying why it stopped."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def _wait_up(port: int, seconds: float = 120) -> None:
    """Until both of the instance's workers are likely up: a few answers of /bench/up."""
    deadline, answered = time.monotonic() + seconds, 0
    while answered < 4:
        if time.monotonic() > deadline:
            raise SystemExit(f"the instance on port {port} did not answer")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/bench/up")
            answered += connection.getresponse().status == 200
            connection.close()
        except OSError:
            time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- CPU: the served processes and PostgreSQL -------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (None if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def children_of(parents: set[int]) -> set[int]:
    """The processes whose parent is one of `parents`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) in parents:
                found.add(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds spent by Govern's processes (every gunicorn and the worker, children
    included) and by this database's PostgreSQL backends, between two readings."""

    def __init__(self, engine: Engine, masters: set[int]) -> None:
        self.engine, self.masters = engine, masters

    def reading(self) -> dict[str, dict[int, float]]:
        with self.engine.connect() as connection:
            backends = connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                )
            ).scalars()
            database = {pid: _cpu(pid) for pid in backends}
        served = self.masters | children_of(self.masters)
        return {
            "app": {p: c for p in served if (c := _cpu(p)) is not None},
            "db": {p: c for p, c in database.items() if c is not None},
        }

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        return {
            part: sum(cpu - before[part].get(pid, 0.0) for pid, cpu in after[part].items())
            for part in after
        }


# ---- the trail's group commits, as the served processes count them ---------------------------


def commit_counts(port: int) -> dict[str, float]:
    """The metrics of every served process (they share one folder): durable group commits,
    the events in them, and the reads' total wait until durable (seconds) and their number."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/metrics")
    exposed = connection.getresponse().read().decode()
    connection.close()
    wanted = {
        "govern_audit_commit_events_count": "commits",
        "govern_audit_commit_events_sum": "events",
        "govern_audit_durable_wait_seconds_sum": "waited",
        "govern_audit_durable_wait_seconds_count": "waits",
    }
    counts = dict.fromkeys(wanted.values(), 0.0)
    for family in text_string_to_metric_families(exposed):
        for sample in family.samples:
            if sample.name in wanted:
                counts[wanted[sample.name]] += sample.value
    return counts


def commit_figures(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Events per group commit and the mean wait until durable, between two readings."""
    spent = {name: after[name] - before[name] for name in after}
    return {
        "events_per_commit": round(spent["events"] / max(1.0, spent["commits"]), 2),
        "durable_wait_ms": round(1000 * spent["waited"] / max(1.0, spent["waits"]), 2),
    }
