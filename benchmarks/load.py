"""Load (issue 17, §5): two gunicorn instances of Govern and `govern worker` on one PostgreSQL,
a realistic mix from many clients for a bounded time; then nothing may be lost.

`./scripts/bench load [--seconds S] [--clients N] [--collectors N] [--debtors N]
[--ratio-seconds S] [--rounds N] [--profile]`. Prints its figures and checks; exits non-zero
when a check fails. Record what it prints in docs/benchmarks.md with the command.

1. The agency (`benchmarks/load_world.py`) is stored in a throwaway database; then, in this
   process through Flask's test client, one debtor view at a time with and without
   governance: the statements each sends and the CPU it costs (figures the machine's load
   hardly moves).
2. Two instances (gunicorn with the repository's gunicorn.conf.py: 2 workers x 8 threads each,
   GOVERN_BACKGROUND_JOBS=worker) and `govern worker`, configured through the environment
   (`benchmarks/load_served.py`, which also reads their CPU and their group commits).
3. The mix, for `--seconds`: `--clients` keep-alive clients, each sending its requests to the
   two instances in turn: 70% debtor views and 15% caseload pages (API), 4% contact checks,
   2% reading a debtor's notes and 2% adding a note, 5% console pages with a page cookie
   (a collector's caseload, a debtor's record, home, training; a head's accounts), 2% auditors'
   queries (events, who saw, what an account saw). Throughput and p50/p95/p99 per kind,
   answers by status.
4. The governed/ungoverned ratio for debtor views: the same clients, the same (token, debtor)
   pairs, `GET /api/v1/debtors/<id>` against the benchmark-only `/bench/raw/<id>` (signed in
   the same way; no decision, no audit), alternating for `--rounds` rounds; the median of the
   rounds' ratios, and the CPU each answer cost the served processes and PostgreSQL.
5. The processes stopped (the web first, then the worker, which signs a last checkpoint), the
   checks: every debtor view answered 200 (API and console, every phase) left exactly one
   `debtor.viewed` event with its request id, and no such event has a request without a 200;
   each API caseload page left one `debtor.listed` event per debtor it showed; no 5xx, no
   request unanswered, every kind answered; the whole trail verifies.

`--profile`: every served process runs its debtor reads under cProfile
(`benchmarks/profiled.py`) and the run ends with where a governed and an ungoverned read spend
their time. The profiler slows what it watches: take figures from a run without it.

`--instructions N`, instead of the run: the agency stored as above, then N governed and N
ungoverned debtor views one at a time in one process under valgrind's callgrind
(`benchmarks/instructions.py`), and the instructions each cost (the trail's commit included,
PostgreSQL's work not). A loaded machine barely moves these counts: compare versions of the
code with them, and take throughput from a quiet machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, event, select

from audit.store import events
from benchmarks.access import percentile
from benchmarks.database import add_postgres_option, keys_folder, settle, throwaway_database
from benchmarks.load_served import (
    INSTANCES,
    REPO,
    CpuMeter,
    children_of,
    commit_counts,
    commit_figures,
    environment,
    log_tail,
    served,
)
from benchmarks.load_world import Collector, World, populate
from benchmarks.profiled import print_profile
from benchmarks.ungoverned import bench
from govern.app import create_app
from govern.auditing.trail import open_trail
from govern.clock import SystemClock
from govern.config import load_settings
from govern.db import make_engine
from govern.operations.worker import start_served
from tests.support.statements import statements_sent

#: The mix: kind → share of requests, in percent.
MIX = {
    "view": 70,
    "caseload": 15,
    "contact_check": 4,
    "notes_read": 2,
    "note_add": 2,
    "page": 5,
    "audit_query": 2,
}
WARM = 10  # views one at a time before those measured
NOTE_TEXT = "已发送还款提醒，客户表示本周内回电确认还款安排。"


# ---- what the clients ask ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None
    views: bool = False  # a 200 must leave exactly one `debtor.viewed` event
    lists: bool = False  # an API caseload: one `debtor.listed` event per debtor shown


def bearer(token: str, body: object = None) -> tuple[dict[str, str], bytes | None]:
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        return headers, None
    return {**headers, "Content-Type": "application/json"}, json.dumps(body).encode()


def _debtor(world: World, rng: random.Random, collector: Collector) -> tuple[str, str]:
    return rng.choice(world.debtors[collector.group])


def view(world: World, rng: random.Random) -> Ask:
    collector = rng.choice(world.collectors)
    debtor, _ = _debtor(world, rng, collector)
    headers, _ = bearer(collector.token)
    return Ask("view", "GET", f"/api/v1/debtors/{debtor}", headers, views=True)


def caseload(world: World, rng: random.Random) -> Ask:
    collector = rng.choice(world.collectors)
    after = "" if rng.random() < 0.5 else _debtor(world, rng, collector)[0]
    headers, _ = bearer(collector.token)
    path = f"/api/v1/debtors?assigned=me&limit=20&after={after}"
    return Ask("caseload", "GET", path, headers, lists=True)


def contact_check(world: World, rng: random.Random) -> Ask:
    collector = rng.choice(world.certified)
    debtor, phone = _debtor(world, rng, collector)
    headers, body = bearer(collector.token, {"party": "debtor", "phone": phone})
    return Ask("contact_check", "POST", f"/api/v1/debtors/{debtor}/contact-check", headers, body)


def notes_read(world: World, rng: random.Random) -> Ask:
    collector = rng.choice(world.certified)
    debtor, _ = _debtor(world, rng, collector)
    headers, _ = bearer(collector.token)
    return Ask("notes_read", "GET", f"/api/v1/debtors/{debtor}/notes", headers)


def note_add(world: World, rng: random.Random) -> Ask:
    collector = rng.choice(world.certified)
    debtor, _ = _debtor(world, rng, collector)
    note = {
        "party": "debtor",
        "direction": "none",
        "outcome": "none",
        "purpose": "remind_due",
        "text": NOTE_TEXT,
    }
    headers, body = bearer(collector.token, note)
    return Ask("note_add", "POST", f"/api/v1/debtors/{debtor}/notes", headers, body)


def page(world: World, rng: random.Random) -> Ask:
    """A console page with the page cookie: mostly a collector's, sometimes a head's."""
    if rng.random() < 0.2:
        return _page(rng.choice(world.heads), "/accounts")
    collector = rng.choice(world.collectors)
    debtor, _ = _debtor(world, rng, collector)
    path = rng.choice(["/debtors", f"/debtors/{debtor}", "/", "/training/me"])
    return _page(collector.page_token, path, views=path.startswith("/debtors/"))


def _page(token: str, path: str, views: bool = False) -> Ask:
    headers = {"Cookie": f"govern_session={token}", "Accept": "text/html"}
    return Ask("page", "GET", path, headers, views=views)


def audit_query(world: World, rng: random.Random) -> Ask:
    collector = rng.choice(world.collectors)
    debtor, _ = _debtor(world, rng, collector)
    path = rng.choice(
        [
            f"/api/v1/audit/events?actor={collector.account}&limit=50",
            f"/api/v1/audit/who-saw?debtor={debtor}&field=phones&level=any",
            f"/api/v1/audit/seen?account={collector.account}",
        ]
    )
    headers, _ = bearer(rng.choice(world.auditors))
    return Ask("audit_query", "GET", path, headers)


ASKS: dict[str, Callable[[World, random.Random], Ask]] = {
    "view": view,
    "caseload": caseload,
    "contact_check": contact_check,
    "notes_read": notes_read,
    "note_add": note_add,
    "page": page,
    "audit_query": audit_query,
}


def the_mix(world: World) -> Callable[[random.Random], Ask]:
    kinds, weights = list(MIX), list(MIX.values())
    return lambda rng: ASKS[rng.choices(kinds, weights)[0]](world, rng)


def debtor_reads(world: World, governed: bool) -> Callable[[random.Random], Ask]:
    """The ratio's reads: a certified collector, a debtor of their group, with or without
    governance."""

    def ask(rng: random.Random) -> Ask:
        collector = rng.choice(world.certified)
        debtor, _ = _debtor(world, rng, collector)
        headers, _ = bearer(collector.token)
        if governed:
            return Ask("governed", "GET", f"/api/v1/debtors/{debtor}", headers, views=True)
        return Ask("ungoverned", "GET", f"/bench/raw/{debtor}", headers)

    return ask


# ---- the clients ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    ask: Ask
    status: int  # 0: no answer (the connection failed)
    seconds: float
    request_id: str
    listed: int | None = None  # an API caseload's debtors


def drive(
    ports: list[int], choose: Callable[[random.Random], Ask], seconds: float, clients: int, tag: str
) -> tuple[list[Answer], float]:
    """`clients` threads asking what `choose` says for `seconds`, each sending its requests
    to the instances in turn on keep-alive connections. Returns the answers and the time."""
    answers: list[list[Answer]] = [[] for _ in range(clients)]
    stop = time.perf_counter() + seconds

    def client(n: int) -> None:
        rng = random.Random(f"{tag}-{n}")
        connections = [http.client.HTTPConnection("127.0.0.1", p, timeout=120) for p in ports]
        number = 0
        while time.perf_counter() < stop:
            connection = connections[(n + number) % len(connections)]
            answers[n].append(send(connection, choose(rng), f"{tag}-{n}-{number}"))
            number += 1
        for connection in connections:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [a for mine in answers for a in mine], time.perf_counter() - began


def send(connection: http.client.HTTPConnection, ask: Ask, request_id: str) -> Answer:
    began = time.perf_counter()
    try:
        headers = {**ask.headers, "X-Request-Id": request_id}
        connection.request(ask.method, ask.path, body=ask.body, headers=headers)
        response = connection.getresponse()
        body, status = response.read(), response.status
    except (OSError, http.client.HTTPException):
        connection.close()  # the next request opens a new one
        return Answer(ask, 0, time.perf_counter() - began, request_id)
    seconds = time.perf_counter() - began
    listed = len(json.loads(body)["debtors"]) if ask.lists and status == 200 else None
    return Answer(ask, status, seconds, request_id, listed)


def by_kind(answers: list[Answer], elapsed: float) -> dict[str, dict]:
    """Per kind: requests, answered 2xx per second, latency p50/p95/p99 (ms), statuses."""
    figures = {}
    for kind in sorted({a.ask.kind for a in answers}):
        mine = [a for a in answers if a.ask.kind == kind]
        ms = [a.seconds * 1000 for a in mine]
        figures[kind] = {
            "requests": len(mine),
            "ok_per_s": round(sum(ok(a) for a in mine) / elapsed, 1),
            "p50_ms": round(percentile(ms, 0.50), 1),
            "p95_ms": round(percentile(ms, 0.95), 1),
            "p99_ms": round(percentile(ms, 0.99), 1),
            "statuses": dict(sorted(Counter(a.status for a in mine).items())),
        }
    return figures


def ok(answer: Answer) -> bool:
    return 200 <= answer.status < 300


# ---- the ratio --------------------------------------------------------------------------------


def ratio_rounds(
    ports: list[int], world: World, meter: CpuMeter, seconds: float, rounds: int, clients: int
) -> tuple[dict, list[Answer]]:
    """Governed and ungoverned debtor reads in turn, `rounds` times: requests/s, the median of
    the rounds' ratios, and CPU milliseconds per answer (served processes, PostgreSQL)."""
    figures: dict[str, list] = {"governed": [], "ungoverned": []}
    cpu: dict[str, list] = {"governed": [], "ungoverned": []}
    commits: list[dict[str, float]] = []
    every: list[Answer] = []
    for number in range(rounds):
        for kind in ("governed", "ungoverned"):
            counted = commit_counts(ports[0])  # outside the CPU measured
            before, client_before = meter.reading(), time.process_time()
            answers, elapsed = drive(
                ports, debtor_reads(world, kind == "governed"), seconds, clients, f"r{number}{kind}"
            )
            spent = CpuMeter.spent(before, meter.reading())
            if kind == "governed":
                commits.append(commit_figures(counted, commit_counts(ports[0])))
            spent["clients"] = time.process_time() - client_before
            served = max(1, sum(ok(a) for a in answers))
            figures[kind].append(served / elapsed)
            cpu[kind].append({part: 1000 * s / served for part, s in spent.items()})
            every += answers
    ratios = [g / u for g, u in zip(figures["governed"], figures["ungoverned"], strict=True)]
    result = {
        "ratio_governed_per_s": [round(x) for x in figures["governed"]],
        "ratio_ungoverned_per_s": [round(x) for x in figures["ungoverned"]],
        "ratio_rounds": [round(r, 2) for r in ratios],
        "ratio_median": round(statistics.median(ratios), 2),
        "ratio_governed_events_per_commit": [c["events_per_commit"] for c in commits],
        "ratio_governed_durable_wait_ms": [c["durable_wait_ms"] for c in commits],
    }
    for kind in cpu:
        for part in ("app", "db", "clients"):
            values = [round(c[part], 2) for c in cpu[kind]]
            result[f"cpu_ms_per_{kind}_{part}"] = values
    return result, every


# ---- in one process: statements and CPU per view ----------------------------------------------


def one_at_a_time(env: dict[str, str], world: World, views: int) -> tuple[dict, list[str]]:
    """Debtor views one after another through Flask's test client, governed and not: the
    statements each sends on its request's thread and in all (the trail's commit included),
    and the process's CPU per view. Returns the figures and the governed views' request ids."""
    app = create_app(load_settings({**env, "GOVERN_LOG_LEVEL": "WARNING"}))
    app.register_blueprint(bench)
    start_served(app)  # as gunicorn's processes: the worker signs the checkpoints
    client, engine = app.test_client(), app.extensions["govern"].engine
    pairs = [(c.token, d) for c in world.certified for d, _ in world.debtors[c.group][:10]]
    figures, ids = {}, []
    for kind, prefix in (("governed", "/api/v1/debtors/"), ("ungoverned", "/bench/raw/")):
        asked = [(t, f"{prefix}{d}", f"ip-{kind}-{n}") for n, (t, d) in enumerate(pairs[:views])]
        _views(client, asked[:WARM])  # warm: the policy table, the pool, the statements
        with statements_sent(engine) as mine, _all_statements(engine) as every:
            cpu, began = time.process_time(), time.perf_counter()
            _views(client, asked[WARM:])
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        count = len(asked) - WARM
        figures[f"inproc_{kind}_statements_request_thread"] = round(mine[0] / count, 2)
        figures[f"inproc_{kind}_statements_all"] = round(every[0] / count, 2)
        figures[f"inproc_{kind}_cpu_us"] = round(cpu / count * 1e6)
        figures[f"inproc_{kind}_wall_us"] = round(wall / count * 1e6)
        ids += [request_id for _, _, request_id in asked] if kind == "governed" else []
    figures["inproc_views"] = count
    figures["inproc_cpu_ratio_ungoverned_over_governed"] = round(
        figures["inproc_ungoverned_cpu_us"] / figures["inproc_governed_cpu_us"], 2
    )
    app.extensions["govern"].trail.stop()
    engine.dispose()
    return figures, ids


def _views(client: object, asked: list[tuple[str, str, str]]) -> None:
    for token, path, request_id in asked:
        headers = {"Authorization": f"Bearer {token}", "X-Request-Id": request_id}
        answer = client.get(path, headers=headers)  # type: ignore[attr-defined]
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.get_data(as_text=True)}")


@contextmanager
def _all_statements(engine: Engine) -> Iterator[list[int]]:
    sent = [0]

    def count(*_: object) -> None:
        sent[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


# ---- the checks -------------------------------------------------------------------------------


def recorded(engine: Engine, action: str) -> Counter[str]:
    """How many events of `action` each request id left in the trail."""
    with engine.connect() as connection:
        entries = connection.execute(select(events.c.entry).where(events.c.action == action))
        return Counter(json.loads(entry)["request_id"] for entry in entries.scalars())


def check_views(engine: Engine, answers: list[Answer], also: list[str]) -> dict:
    """Every view answered 200 left exactly one `debtor.viewed` event; none has another."""
    answered = {a.request_id for a in answers if a.ask.views and a.status == 200} | set(also)
    trail = recorded(engine, "debtor.viewed")
    lost = answered - set(trail)
    extra = sum(n - 1 for n in trail.values()) + len(set(trail) - answered)
    return {
        "views_answered_200": len(answered),
        "view_events": sum(trail.values()),
        "views_lost": len(lost),
        "views_extra": extra,
    }


def check_lists(engine: Engine, answers: list[Answer]) -> dict:
    """Each API caseload page left one `debtor.listed` event per debtor it showed, and every
    such event belongs to a caseload answered 200 (the API's or the console's)."""
    trail = recorded(engine, "debtor.listed")
    pages = [a for a in answers if a.ask.lists and a.status == 200]
    wrong = sum(trail.get(a.request_id, 0) != a.listed for a in pages)
    listing = {a.request_id for a in answers if a.status == 200 and _lists(a.ask)}
    return {
        "caseloads_checked": len(pages),
        "caseloads_wrong_count": wrong,
        "list_events_without_answer": sum(n for rid, n in trail.items() if rid not in listing),
    }


def _lists(ask: Ask) -> bool:
    return ask.lists or (ask.kind == "page" and ask.path == "/debtors")


def verify(engine: Engine, folder: Path) -> dict:
    trail = open_trail(engine, SystemClock(), folder / "audit.pem", folder / "cp", 1000, 1.0)
    report = trail.verify()
    return {
        "trail_events": report.events,
        "trail_verifies": report.ok,
        "trail_unanchored": report.unanchored,
    }


def failures(results: dict, answers: list[Answer]) -> list[str]:
    """What a run must not show; empty when every check passes."""
    failed = []
    server_errors = sum(a.status >= 500 for a in answers)
    unanswered = sum(a.status == 0 for a in answers)
    if server_errors:
        failed.append(f"{server_errors} answers were 5xx")
    if unanswered:
        failed.append(f"{unanswered} requests had no answer")
    for name in ("views_lost", "views_extra", "caseloads_wrong_count"):
        if results[name]:
            failed.append(f"{name}: {results[name]}")
    if results["list_events_without_answer"]:
        failed.append(f"list_events_without_answer: {results['list_events_without_answer']}")
    if not results["trail_verifies"]:
        failed.append("the trail does not verify")
    silent = [kind for kind, f in results["mix"].items() if not f["ok_per_s"]]
    failed += [f"no {kind} was answered 2xx" for kind in silent]
    return failed


# ---- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description="Load two instances of Govern; check the trail.")
    parser.add_argument("--seconds", type=float, default=60.0, help="the mix's duration")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--collectors", type=int, default=200)
    parser.add_argument("--debtors", type=int, default=2000)
    parser.add_argument("--ratio-seconds", type=float, default=10.0, help="per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--views", type=int, default=300, help="one at a time, in one process")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25, help="profile lines per list")
    parser.add_argument(
        "--instructions",
        type=int,
        metavar="N",
        help="instead of the run: N governed and N ungoverned views in one process under "
        "callgrind, and the instructions each cost",
    )
    add_postgres_option(parser)
    args = parser.parse_args()
    if args.instructions:
        print(json.dumps(count_instructions(args), sort_keys=True))
        return
    if args.views <= WARM:
        parser.error(f"--views must be more than {WARM}")
    results, answers = run(args)
    print_results(results)
    if args.profile:
        print_profile(Path(results.pop("folder")), args.top)
    failed = failures(results, answers)
    for failure in failed:
        print(f"FAILED: {failure}", file=sys.stderr)
    sys.exit(1 if failed else 0)


def run(args: argparse.Namespace) -> tuple[dict, list[Answer]]:
    with keys_folder() as folder, throwaway_database(args.postgres) as url:
        engine = make_engine(url)
        began = time.perf_counter()
        world = populate(engine, url, folder, args.collectors, args.debtors)
        settle(engine, args.postgres)
        results: dict = {
            "collectors": len(world.collectors),
            "certified": len(world.certified),
            "debtors": sum(len(d) for d in world.debtors.values()),
            "populate_s": round(time.perf_counter() - began, 1),
            "clients": args.clients,
            "instances": INSTANCES,
        }
        env = environment(url, folder, args.profile)
        figures, in_process_views = one_at_a_time(env, world, args.views)
        results.update(figures)
        with served(env, folder) as ports:
            meter = CpuMeter(engine, children_of({os.getpid()}))
            warm, _ = drive(ports, the_mix(world), 2.0, args.clients, "warm")
            mixed, elapsed = drive(ports, the_mix(world), args.seconds, args.clients, "mix")
            ratio, reads = ratio_rounds(
                ports, world, meter, args.ratio_seconds, args.rounds, args.clients
            )
        answers = warm + mixed + reads
        results.update(_mix_figures(mixed, elapsed))
        results.update(ratio)
        results.update(check_views(engine, answers, in_process_views))
        results.update(check_lists(engine, answers))
        results.update(verify(engine, folder))
        engine.dispose()
        if args.profile:
            keep = Path(tempfile.mkdtemp(prefix="govern-profile-"))
            for file in (folder / "profile").iterdir():
                file.rename(keep / file.name)
            results["folder"] = str(keep)
        return results, answers


def count_instructions(args: argparse.Namespace) -> dict:
    """Instructions per debtor view, governed and ungoverned, in one process under callgrind
    (`benchmarks/instructions.py`): figures a busy machine hardly moves."""
    with keys_folder() as folder, throwaway_database(args.postgres) as url:
        engine = make_engine(url)
        world = populate(engine, url, folder, args.collectors, args.debtors)
        settle(engine, args.postgres)
        engine.dispose()
        pairs = [(c.token, d) for c in world.certified for d, _ in world.debtors[c.group][:10]]
        (folder / "pairs.json").write_text(json.dumps(pairs))
        out = folder / "callgrind"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}.%p",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            str(folder / "pairs.json"),
            str(args.instructions),
            str(folder / "kinds.json"),
        ]
        with (folder / "valgrind.log").open("wb") as log:
            ran = subprocess.run(command, env=environment(url, folder, False), cwd=REPO, stderr=log)
        if ran.returncode:
            raise SystemExit(f"callgrind's run failed: {log_tail(folder / 'valgrind.log')}")
        kinds = json.loads((folder / "kinds.json").read_text())["kinds"]
        dumps = sorted(folder.glob("callgrind.*.[0-9]*"), key=lambda f: int(f.name.split(".")[-1]))
        counts = [_total(dump) for dump in dumps[: len(kinds)]]
        figures = {
            f"instructions_per_{kind}_view": round(count / args.instructions)
            for kind, count in zip(kinds, counts, strict=True)
        }
        figures["instructions_views"] = args.instructions
        figures["instructions_ratio_ungoverned_over_governed"] = round(counts[1] / counts[0], 3)
        return figures


def _total(dump: Path) -> int:
    """The instructions a callgrind dump counts (its `summary:` or `totals:` line)."""
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"{dump}: no total")


def _mix_figures(answers: list[Answer], elapsed: float) -> dict:
    return {
        "mix_seconds": round(elapsed, 1),
        "mix_requests": len(answers),
        "mix_ok_per_s": round(sum(ok(a) for a in answers) / elapsed, 1),
        "mix_statuses": dict(sorted(Counter(a.status for a in answers).items())),
        "mix": by_kind(answers, elapsed),
    }


def print_results(results: dict) -> None:
    for key, value in results.items():
        if key == "mix":
            continue
        print(f"{key:48} {value}")
    heads = ("requests", "2xx/s", "p50 ms", "p95 ms", "p99 ms")
    print(f"\n{'kind':14} " + " ".join(f"{h:>9}" for h in heads) + "  statuses")
    for kind, f in results["mix"].items():
        print(
            f"{kind:14} {f['requests']:9} {f['ok_per_s']:9} {f['p50_ms']:9} {f['p95_ms']:9}"
            f" {f['p99_ms']:9}  {f['statuses']}"
        )
    print(json.dumps({k: v for k, v in results.items() if k != "folder"}, sort_keys=True))


if __name__ == "__main__":
    main()
