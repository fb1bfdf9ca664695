"""Benchmark field-level access (issue 5): deciding a record, loading the policy, and serving
`GET /api/v1/debtors/<id>` with and without governance.

`./scripts/bench access [--lines N] [--debtors N] [--seconds S]`. Prints its figures; record
them in docs/benchmarks.md with the command. Everything runs in one go, so compare ratios.

(a) all fields of one debtor for one account: the precomputed table against plain casbin
    `enforce()` on the same policy (for each field, the levels from the most down);
(b) requests/s of the debtor API under gunicorn (gthread, 2 workers x 8 threads) on
    PostgreSQL, against the same read served without governance (no decision, no audit),
    alternating the two in three rounds (this machine drifts) and taking the median ratio;
(c) loading the stored policy and rebuilding the table, against casbin's adapter load.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import casbin
from casbin.persist import load_policy_line
from sqlalchemy import Engine, insert, select
from sqlalchemy_adapter import Adapter

from benchmarks.database import (
    add_postgres_option,
    command_context,
    keys_folder,
    throwaway_database,
)
from benchmarks.staff import agreement_signatures, exam_passes, staff_rows
from govern.access import repository as policy_repo
from govern.access.models import PolicyLine, PolicyVersion
from govern.access.policy import access_policy
from govern.access.repository import line_row
from govern.access.rules import Reach, Viewer, decide_fields
from govern.access.table import LEVELS, build_table, parse_lines
from govern.accounts.models import Account
from govern.db import make_engine, make_session_factory
from govern.debtors.models import Debtor
from govern.debtors.sealing import import_debtors
from govern.demo.debtors import demo_debtors_csv
from govern.directory.models import Identity
from govern.sessions.models import LoginSession
from govern.sessions.service import token_hash
from govern.training.models import AgreementSignature, ExamResult

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
ROLES, ACCOUNTS = 50, 1000
FIELDS = tuple(access_policy(POLICIES).fields)


def generated_policy(lines: int, rng: random.Random) -> list[tuple[str, ...]]:
    """`lines` policy lines over ROLES roles: each (role, domain, field) a random level, and
    one role link per ten roles so casbin has role work to do."""
    domains = max(1, lines // (ROLES * len(FIELDS)))
    policy: list[tuple[str, ...]] = [
        ("g", f"role-{r:02d}", f"role-{r + 1:02d}", "*") for r in range(0, ROLES - 1, 10)
    ]
    for domain in range(domains):
        for role in range(ROLES):
            for name in FIELDS:
                policy.append(
                    ("p", f"role-{role:02d}", f"pg-{domain:03d}", name, rng.choice(LEVELS))
                )
    return policy[:lines]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure_decisions(policy: list[tuple[str, ...]], rng: random.Random, seconds: float) -> dict:
    """(a): one whole record, the table against enforce()."""
    table = build_table(parse_lines(policy))
    rules = access_policy(POLICIES).fields
    domains = sorted({line[2] for line in policy if line[0] == "p"})
    holding = frozenset({"system-use", "compliance", "confidentiality", "law-basics"})
    viewers = [
        Viewer(f"GV-{n:04d}", frozenset({f"role-{rng.randrange(ROLES):02d}"}), None, "d", holding)
        for n in range(ACCOUNTS)
    ]
    fast = []
    for _ in range(20_000):
        viewer, domain = rng.choice(viewers), rng.choice(domains)
        began = time.perf_counter()
        decide_fields(viewer, Reach("company", viewer.roles), domain, table, rules)
        fast.append(time.perf_counter() - began)
    began = time.perf_counter()
    enforcer = casbin.Enforcer(str(POLICIES / "access" / "model.conf"))
    for line in policy:
        load_policy_line(", ".join(line), enforcer.get_model())
    enforcer.build_role_links()
    casbin_load = time.perf_counter() - began
    slow = _timed_until(
        seconds,
        lambda: _enforce_record(
            enforcer, next(iter(rng.choice(viewers).roles)), rng.choice(domains)
        ),
    )
    return {
        "a_policy_lines": len(policy),
        "a_table_record_p50_ms": round(statistics.median(fast) * 1000, 4),
        "a_table_record_p99_ms": round(percentile(fast, 0.99) * 1000, 4),
        "a_enforce_record_p50_ms": round(statistics.median(slow) * 1000, 2),
        "a_enforce_records_timed": len(slow),
        "a_ratio_enforce_over_table": round(statistics.median(slow) / statistics.median(fast)),
        "a_casbin_load_lines_s": round(casbin_load, 2),
    }


def _enforce_record(enforcer: casbin.Enforcer, role: str, domain: str) -> None:
    for name in FIELDS:
        for level in reversed(LEVELS):
            if enforcer.enforce(role, domain, name, level):
                break


def _timed_until(seconds: float, action: Callable[[], object], at_least: int = 3) -> list[float]:
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(samples) < at_least or time.perf_counter() < deadline:
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return samples


def measure_policy_load(engine: Engine, policy: list[tuple[str, ...]]) -> dict:
    """(c): the stored policy loaded by one query and the table rebuilt, 5 times."""
    with engine.begin() as connection:
        connection.execute(insert(PolicyLine), [line_row(line) for line in policy])
        connection.execute(
            insert(PolicyVersion),
            [{"id": 1, "version": 1, "changed_by": "bench", "changed_at": datetime.now(UTC)}],
        )
    sessions = make_session_factory(engine)

    def rebuild() -> None:
        with sessions() as db:
            build_table(parse_lines(policy_repo.lines(db)))

    ours = [_once(rebuild) for _ in range(5)]
    adapter = Adapter(engine, db_class=PolicyLine, create_table=False)
    theirs = [
        _once(lambda: casbin.Enforcer(str(POLICIES / "access" / "model.conf"), adapter))
        for _ in range(2)
    ]
    return {
        "c_load_and_rebuild_p50_s": round(statistics.median(ours), 3),
        "c_adapter_enforcer_load_p50_s": round(statistics.median(theirs), 3),
    }


def _once(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


# ---- (b) the debtor API under gunicorn --------------------------------------------------------


def populate(url: str, folder: Path, debtors: int) -> list[tuple[str, str]]:
    """Identities, certified accounts, the default policy, debtors; returns (token, debtor)
    pairs a client may ask for (each account's own project group)."""
    engine = make_engine(url)
    now, groups = datetime.now(UTC), ("bank-a", "bank-b", "card-c", "card-d")
    people, accounts = staff_rows(ACCOUNTS, now, first_number=50000, groups=groups)
    with engine.begin() as connection:
        connection.execute(insert(Identity), people)
        connection.execute(insert(Account), accounts)
        connection.execute(insert(ExamResult), exam_passes(accounts, now))
        connection.execute(insert(AgreementSignature), agreement_signatures(accounts, now))
    sessions = make_session_factory(engine)
    with sessions() as db:
        ctx = command_context(engine, url, folder)
        import_debtors(db, ctx, demo_debtors_csv(debtors, seed=7), "bench")
        ctx.trail.stop()
    return _tokens(engine, accounts, people, now)


def _tokens(engine: Engine, accounts: list[dict], people: list[dict], now: datetime) -> list:
    pairs, rows = [], []
    with engine.connect() as connection:
        by_group: dict[str, list[str]] = {}
        for debtor_id, group in connection.execute(select(Debtor.id, Debtor.project_group)):
            by_group.setdefault(group, []).append(debtor_id)
    for account, person in zip(accounts[:64], people[:64], strict=True):
        token = secrets.token_urlsafe(32)
        rows.append(
            {
                "token_hash": token_hash(token),
                "account_id": account["id"],
                "channel": "api",
                "client": "bench",
                "created_at": now,
                "expires_at": now + timedelta(hours=8),
            }
        )
        pairs += [(token, d) for d in by_group[person["project_group"]][:200]]
    with engine.begin() as connection:
        connection.execute(insert(LoginSession), rows)
    return pairs


def serve(url: str, folder: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "GOVERN_DEMO": "1",
        "GOVERN_DIRECTORY_URL": f"ldif:{REPO / 'govern' / 'demo' / 'directory.ldif'}",
        "GOVERN_SECRET_KEY": secrets.token_urlsafe(48),
        "GOVERN_AUDIT_KEY_FILE": str(folder / "audit.pem"),
        "GOVERN_CHECKPOINT_DIR": str(folder / "checkpoints"),
        "GOVERN_DATA_KEYS_FILE": str(folder / "data_keys.json"),
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers=2",
        "--threads=8",
        "--worker-class=gthread",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        "benchmarks.http_app:app",
    ]
    server = subprocess.Popen(command, env=env, cwd=REPO)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/bench/up")
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def load(port: int, paths: list[tuple[str, str]], seconds: float, clients: int = 16) -> float:
    """Requests/s answered 200 by `clients` keep-alive clients over `seconds`."""
    done, stop, failures = [0] * clients, time.perf_counter() + seconds, []

    def client(number: int) -> None:
        rng, connection = random.Random(number), http.client.HTTPConnection("127.0.0.1", port)
        while time.perf_counter() < stop:
            token, path = rng.choice(paths)
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"{path}: {response.status}")
                return
            done[number] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return sum(done) / (time.perf_counter() - began)


def measure_http(url: str, debtors: int, seconds: float) -> dict:
    with keys_folder() as folder:
        began = time.perf_counter()
        pairs = populate(url, folder, debtors)
        populated = time.perf_counter() - began
        port = 18000 + secrets.randbelow(1000)
        server = serve(url, folder, port)
        try:
            governed = [(t, f"/api/v1/debtors/{d}") for t, d in pairs]
            plain = [(t, f"/bench/raw/{d}") for t, d in pairs]
            load(port, governed, 1.0)  # warm both workers, the policy table, the pools
            load(port, plain, 1.0)
            rounds = [(load(port, governed, seconds), load(port, plain, seconds)) for _ in range(3)]
        finally:
            server.terminate()
            server.wait(10)
    ratios = [g / u for g, u in rounds]
    return {
        "b_debtors": debtors,
        "b_populate_s": round(populated, 1),
        "b_governed_requests_per_s": [round(g) for g, _ in rounds],
        "b_ungoverned_requests_per_s": [round(u) for _, u in rounds],
        "b_ratio_governed_over_ungoverned_median": round(statistics.median(ratios), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark field-level access decisions.")
    parser.add_argument("--lines", type=int, default=110_000)
    parser.add_argument("--debtors", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    add_postgres_option(parser)
    args = parser.parse_args()
    rng = random.Random(20261128)
    policy = generated_policy(args.lines, rng)
    results: dict[str, object] = {"roles": ROLES, "accounts": ACCOUNTS}
    results.update(measure_decisions(policy, rng, args.seconds))
    with throwaway_database(args.postgres) as url:
        engine = make_engine(url)
        results.update(measure_policy_load(engine, policy))
        with engine.begin() as connection:  # (b) serves the default policy
            connection.execute(PolicyLine.__table__.delete())
            connection.execute(PolicyVersion.__table__.delete())
        engine.dispose()
        results.update(measure_http(url, args.debtors, args.seconds))
    for key, value in results.items():
        print(f"{key:40} {value}")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
