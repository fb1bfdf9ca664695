"""For the benchmarks only: where a served request's time goes. A WSGI middleware runs each
request whose path is one of the given prefixes and an id (nothing after it: a debtor's
record, not its notes or contact check) under cProfile, on the thread that serves it, and
adds it to its kind's statistics in this process; every `every` requests of a kind (and at
exit) it writes them to `<folder>/<kind>-<pid>.prof`, with the number of requests beside
(`.count`). `merged` adds up the processes' files afterwards.

It counts the CPU time of the request's own thread (`time.thread_time`), not the wall clock:
under load a request's wall time is mostly waiting (for the GIL, the database, a lock), which
says nothing of what the request itself costs. Work done for it on another thread (a group
commit by the trail's committer thread) is not counted; commits a request makes itself are.

cProfile times every Python call: the profiled figures are slower than the service's and lean
against Python-heavy code. Compare the kinds of one run with each other, not with a run
without it."""

from __future__ import annotations

import atexit
import cProfile
import os
import pstats
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

#: The debtor read with and without governance (benchmarks/ungoverned.py).
PROFILED_PATHS = {"governed": "/api/v1/debtors/DB-", "ungoverned": "/bench/raw/"}

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Profiled:
    def __init__(self, app: Wsgi, folder: Path, paths: Mapping[str, str], every: int = 100) -> None:
        self.app, self.folder, self.paths, self.every = app, folder, dict(paths), every
        self._lock = threading.Lock()
        self._stats: dict[str, pstats.Stats] = {}
        self._counts: dict[str, int] = {}
        folder.mkdir(parents=True, exist_ok=True)
        atexit.register(self.write)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        kind = next((k for k, prefix in self.paths.items() if _is_record(path, prefix)), None)
        if kind is None:
            return self.app(environ, start_response)
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            body = list(self.app(environ, start_response))  # the body made inside the profile
        finally:
            profile.disable()
        self._add(kind, profile)
        return body

    def _add(self, kind: str, profile: cProfile.Profile) -> None:
        with self._lock:
            if kind in self._stats:
                self._stats[kind].add(profile)
            else:
                self._stats[kind] = pstats.Stats(profile)
            self._counts[kind] = self._counts.get(kind, 0) + 1
            if self._counts[kind] % self.every == 0:
                self._write(kind)

    def write(self) -> None:
        """Write every kind's statistics of this process."""
        with self._lock:
            for kind in self._stats:
                self._write(kind)

    def _write(self, kind: str) -> None:
        name = self.folder / f"{kind}-{os.getpid()}"
        self._stats[kind].dump_stats(f"{name}.prof")
        name.with_suffix(".count").write_text(str(self._counts[kind]))


def _is_record(path: str, prefix: str) -> bool:
    return path.startswith(prefix) and "/" not in path[len(prefix) :]


def merged(folder: Path, kind: str) -> tuple[pstats.Stats | None, int]:
    """The statistics of every process's requests of `kind`, and how many requests they hold."""
    files = sorted(folder.glob(f"{kind}-*.prof"))
    if not files:
        return None, 0
    stats = pstats.Stats(str(files[0]))
    for more in files[1:]:
        stats.add(str(more))
    count = sum(int(f.with_suffix(".count").read_text()) for f in files)
    return stats, count


def print_profile(folder: Path, top: int) -> None:
    """Per kind: the milliseconds a request spends in each of the functions that cost most,
    cumulative (Govern's and the trail's own functions) and own time (anyone's)."""
    for kind in ("governed", "ungoverned"):
        stats, count = merged(folder, kind)
        if stats is None:
            continue
        rows = stats.stats  # type: ignore[attr-defined]
        print(f"\nprofile: {kind} debtor reads, {count} requests (CPU ms per request, its thread)")
        print("  cumulative, govern/ and audit/:")
        ours = [(k, v) for k, v in rows.items() if _ours(k[0])]
        for key, (_, calls, _, cumulative, _) in sorted(ours, key=lambda kv: -kv[1][3])[:top]:
            print(f"  {1000 * cumulative / count:8.3f}  {calls / count:6.1f}x  {_where(key)}")
        print("  own time, any code:")
        for key, (_, calls, own, _, _) in sorted(rows.items(), key=lambda kv: -kv[1][2])[:top]:
            print(f"  {1000 * own / count:8.3f}  {calls / count:6.1f}x  {_where(key)}")


def _ours(filename: str) -> bool:
    return any(f"/{part}/" in filename for part in ("govern", "audit", "benchmarks"))


def _where(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    return f"{'/'.join(Path(filename).parts[-2:])}:{line} {name}"
