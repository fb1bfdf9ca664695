"""Benchmark the contact check (issue 14, Speed): `POST /api/v1/debtors/<id>/contact-check` on
PostgreSQL over N recorded calls and N collection notes.

`./scripts/bench contact [--calls N] [--notes N] [--debtors N] [--checks N] [--race-checks N]`.
Prints its figures; record them in docs/benchmarks.md with the command.

(a) one caller asking one check after another, a different debtor of their project group each
    time: p50 / p99 of the whole request (session, access door, lock, history, permit, audit
    event, commit) in the service's own process (Flask's client: no network, no gunicorn);
(b) 16 callers racing: round after round, all 16 ask about one debtor at once, ten times each.
    A debtor with a connected call today may take 2 more calls, one without 5 (R-CON-2); an
    over-allow is an allow beyond that, summed over the rounds' debtors. It must be 0.

Calls (to the debtors' numbers and to others, over the past year, a fifth of them answered) and
notes (on random debtors) are loaded with COPY; the values the guard never opens (a call's
sealed number, a note's sealed text) are one sealed blob each. The clock stands at 10:00 company
time: quiet hours would deny everything otherwise.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import Engine, insert, select

from benchmarks.database import (
    add_postgres_option,
    command_context,
    keys_folder,
    settle,
    throwaway_database,
)
from benchmarks.staff import agreement_signatures, exam_passes, staff_rows
from govern.accounts.models import Account
from govern.app import create_app
from govern.clock import FixedClock
from govern.config import load_settings
from govern.contact.models import Call
from govern.contact.parties import number_digest
from govern.db import make_engine, make_session_factory
from govern.debtors.models import Debtor
from govern.debtors.sealing import import_debtors
from govern.debtors.vault import Vault, load_vault
from govern.demo.debtors import PROJECT_GROUPS, demo_debtors_csv
from govern.directory.models import Identity
from govern.sessions.models import LoginSession
from govern.sessions.service import token_hash
from govern.training.models import AgreementSignature, ExamResult

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
GROUP = PROJECT_GROUPS[0]  # the callers' project group: a quarter of the demo debtors
CALLERS = 16
ASKS_PER_ROUND = 10  # each racing caller's checks on a round's debtor
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Floor:
    """What the runs ask about: each caller's session token, and the debtors of their group
    (id, first phone number): the single caller's, and the racing rounds' (no calls loaded)."""

    tokens: list[str]
    asked: list[tuple[str, str]]
    raced: list[tuple[str, str]]


def environment(url: str, folder: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "GOVERN_DEMO": "1",
        "GOVERN_DIRECTORY_URL": f"ldif:{REPO / 'govern' / 'demo' / 'directory.ldif'}",
        "GOVERN_SECRET_KEY": secrets.token_urlsafe(48),
        "GOVERN_AUDIT_KEY_FILE": str(folder / "audit.pem"),
        "GOVERN_CHECKPOINT_DIR": str(folder / "checkpoints"),
        "GOVERN_DATA_KEYS_FILE": str(folder / "data_keys.json"),
    }


def populate(engine: Engine, url: str, folder: Path, debtors: int, rounds: int) -> Floor:
    """Certified callers with sessions, and `debtors` imported debtors."""
    people, accounts = staff_rows(CALLERS, NOW, first_number=60000, groups=(GROUP,))
    others, _ = staff_rows(3, NOW, first_number=61000, groups=PROJECT_GROUPS[1:])
    with engine.begin() as connection:
        connection.execute(insert(Identity), people + others)  # every demo group is known
        connection.execute(insert(Account), accounts)
        connection.execute(insert(ExamResult), exam_passes(accounts, NOW))
        connection.execute(insert(AgreementSignature), agreement_signatures(accounts, NOW))
    ctx = command_context(engine, url, folder, FixedClock(NOW))
    vault = ctx.vault
    with make_session_factory(engine)() as db:
        import_debtors(db, ctx, demo_debtors_csv(debtors, seed=14), "bench")
        ctx.trail.stop()
        ours = [
            (d.id, json.loads(vault.open(d.phones, f"{d.id}/phones"))[0])
            for d in db.scalars(select(Debtor).where(Debtor.project_group == GROUP))
        ]
    return Floor(_sessions(engine, accounts), ours[rounds:], ours[:rounds])


def _sessions(engine: Engine, accounts: list[dict]) -> list[str]:
    tokens = [secrets.token_urlsafe(32) for _ in accounts]
    rows = [
        {
            "token_hash": token_hash(token),
            "account_id": account["id"],
            "channel": "api",
            "client": "bench",
            "created_at": NOW,
            "expires_at": NOW + timedelta(hours=8),
        }
        for token, account in zip(tokens, accounts, strict=True)
    ]
    with engine.begin() as connection:
        connection.execute(insert(LoginSession), rows)
    return tokens


# ---- bulk loading ------------------------------------------------------------------------------

CALL_COLUMNS = (
    "id, system_call_id, line_number, unregistered_line, direction, number_digest, number, "
    "key_id, started_at, answered_at, ended_at, received_at"
)
NOTE_COLUMNS = (
    "id, debtor_id, party, direction, outcome, text, key_id, account_id, occurred_at, recorded_at"
)


def load_calls(engine: Engine, vault: Vault, floor: Floor, count: int) -> None:
    """`count` calls: a tenth to the single caller's debtors' numbers, the rest to others."""
    rng = random.Random(1)
    ours = [number_digest(vault, phone) for _, phone in floor.asked]
    others = [rng.randbytes(32) for _ in range(max(1, count // 10))]
    sealed = vault.seal("17000000000", "bench")

    def rows() -> Iterator[tuple]:
        for n in range(count):
            started = NOW - timedelta(seconds=rng.randrange(3600, YEAR))
            answered = started + timedelta(seconds=8) if rng.random() < 0.2 else None
            outbound = "outbound" if rng.random() < 0.8 else "inbound"
            digest = rng.choice(ours) if n % 10 == 0 and ours else rng.choice(others)
            ended = started + timedelta(seconds=rng.randrange(20, 400))
            naive = (started, answered, ended, ended + timedelta(seconds=30))
            yield (f"CL{n:014d}", f"pbx-{n}", "0571-88880000", False, outbound, digest, sealed,
                   vault.current, *(_naive(i) for i in naive))  # fmt: skip

    _copy(engine, f"COPY calls ({CALL_COLUMNS}) FROM STDIN", rows())


def load_notes(engine: Engine, vault: Vault, count: int) -> None:
    """`count` notes on random debtors, each some time in the past year."""
    rng = random.Random(2)
    with engine.connect() as connection:
        debtor_ids = list(connection.scalars(select(Debtor.id)))
    sealed = vault.seal("客户称下周还款", "bench")

    def rows() -> Iterator[tuple]:
        for n in range(count):
            at = _naive(NOW - timedelta(seconds=rng.randrange(3600, YEAR)))
            yield (f"NT{n:014d}", rng.choice(debtor_ids), "debtor", "outbound", "no_answer",
                   sealed, vault.current, "GV-0000-0000", at, at)  # fmt: skip

    _copy(engine, f"COPY collection_notes ({NOTE_COLUMNS}) FROM STDIN", rows())


def _naive(instant: datetime | None) -> datetime | None:
    """As the database keeps an instant (UTC, no zone: govern.db.UTCDateTime)."""
    return None if instant is None else instant.astimezone(UTC).replace(tzinfo=None)


def _copy(engine: Engine, statement: str, rows: Iterator[tuple]) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def connect_today(engine: Engine, vault: Vault, raced: list[tuple[str, str]]) -> set[str]:
    """Every other racing debtor had a connected call at 09:00 today: 2 more calls at most."""
    at = NOW - timedelta(hours=1)
    connected = raced[::2]
    rows = [
        {
            "id": f"CT{n:014d}",
            "system_call_id": f"pbx-today-{n}",
            "line_number": "0571-88880000",
            "unregistered_line": False,
            "direction": "outbound",
            "number_digest": number_digest(vault, phone),
            "number": vault.seal(phone, f"CT{n:014d}/number"),
            "key_id": vault.current,
            "started_at": at,
            "answered_at": at + timedelta(seconds=8),
            "ended_at": at + timedelta(minutes=3),
            "received_at": at + timedelta(minutes=4),
        }
        for n, (_, phone) in enumerate(connected)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Call), rows)
    return {debtor_id for debtor_id, _ in connected}


# ---- the runs ----------------------------------------------------------------------------------


def ask(client: Any, token: str, debtor_id: str, phone: str) -> bool:
    """One contact check; whether it was allowed. Raises RuntimeError on anything but 200."""
    response = client.post(
        f"/api/v1/debtors/{debtor_id}/contact-check",
        json={"party": "debtor", "phone": phone},
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.get_json()}")
    return bool(response.get_json()["allowed"])


def single_caller(app: Flask, floor: Floor, checks: int) -> dict[str, object]:
    """(a): `checks` checks one after another, each on the next debtor."""
    client, token = app.test_client(), floor.tokens[0]
    asked = floor.asked * (1 + checks // max(1, len(floor.asked)))
    for debtor_id, phone in asked[-50:]:
        ask(client, token, debtor_id, phone)  # warm the pools, the policy table, the caches
    samples, allowed = [], 0
    for debtor_id, phone in asked[:checks]:
        began = time.perf_counter()
        allowed += ask(client, token, debtor_id, phone)
        samples.append(time.perf_counter() - began)
    return {
        "a_checks": len(samples),
        "a_allowed": allowed,
        "a_check_p50_ms": round(statistics.median(samples) * 1000, 2),
        "a_check_p99_ms": round(percentile(samples, 0.99) * 1000, 2),
        "a_check_max_ms": round(max(samples) * 1000, 2),
    }


def race(app: Flask, floor: Floor, connected: set[str]) -> dict[str, object]:
    """(b): round after round, every caller asks about the round's debtor at once."""
    barrier, lock = threading.Barrier(CALLERS), threading.Lock()
    allows: Counter[str] = Counter()
    failures: list[str] = []

    def caller(token: str) -> None:
        client = app.test_client()
        for debtor_id, phone in floor.raced:
            barrier.wait()
            for _ in range(ASKS_PER_ROUND):
                try:
                    allowed = ask(client, token, debtor_id, phone)
                except RuntimeError as error:
                    failures.append(str(error))
                    continue
                with lock:
                    allows[debtor_id] += allowed

    threads = [threading.Thread(target=caller, args=(token,)) for token in floor.tokens]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} checks failed, e.g. {failures[0]}")
    caps = {d: 2 if d in connected else 5 for d, _ in floor.raced}
    checks = len(floor.raced) * CALLERS * ASKS_PER_ROUND
    return {
        "b_callers": CALLERS,
        "b_debtors": len(floor.raced),
        "b_checks": checks,
        "b_allowed": sum(allows.values()),
        "b_cap": sum(caps.values()),
        "b_over_allows": sum(max(0, allows[d] - cap) for d, cap in caps.items()),
        "b_under_allows": sum(max(0, cap - allows[d]) for d, cap in caps.items()),
        "b_checks_per_s": round(checks / seconds),
    }


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(args: argparse.Namespace, url: str, folder: Path) -> dict[str, object]:
    rounds = -(-args.race_checks // (CALLERS * ASKS_PER_ROUND))
    engine = make_engine(url)
    began = time.perf_counter()
    floor = populate(engine, url, folder, args.debtors, rounds)
    vault = load_vault(folder / "data_keys.json")
    load_calls(engine, vault, floor, args.calls)
    load_notes(engine, vault, args.notes)
    connected = connect_today(engine, vault, floor.raced)
    settle(engine, args.postgres)
    engine.dispose()
    results: dict[str, object] = {
        "calls": args.calls,
        "notes": args.notes,
        "debtors": args.debtors,
        "populate_s": round(time.perf_counter() - began, 1),
    }
    app = create_app(load_settings(environment(url, folder)), clock=FixedClock(NOW))
    try:
        results.update(single_caller(app, floor, args.checks))
        results.update(race(app, floor, connected))
    finally:
        app.extensions["govern"].trail.stop()
        app.extensions["govern"].engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the contact check.")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--debtors", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=2000, help="(a): the single caller's")
    parser.add_argument("--race-checks", type=int, default=10_000, help="(b): at least")
    add_postgres_option(parser)
    args = parser.parse_args()
    with keys_folder() as folder, throwaway_database(args.postgres) as url:
        results = measure(args, url, folder)
    for key, value in results.items():
        print(f"{key:28} {value}")
    print(json.dumps(results, sort_keys=True))
    if results["b_over_allows"]:
        raise SystemExit("over-allows: the check and the count were not one")


if __name__ == "__main__":
    main()
