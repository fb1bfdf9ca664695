"""Benchmark of the audit trail on PostgreSQL (issue 3's speed section).

    python -m benchmarks.audit_trail --events 10000000 --seconds 20

Generates realistic debtor-view events (1,000 accounts, 1,000,000 debtors, 180 days, three
fields each), signs checkpoints every 1,000 events, lets PostgreSQL settle, then measures in
one run: (a) durable appends/s from 8 writers through the group committer, beside 8 writers
that hash, sign and commit each event alone (the privacyIDEA pattern) and beside a raw batched
INSERT of the same rows without hashing (the limit), and a raw COPY of them, in three
alternating rounds; (b) p99 append→durable; (c) verifying the whole trail;
(d) "who saw debtor X"; (e) a leak triage of 1,000 leaked debtors over 90 days, and of the
most the console takes (MAX_LEAKED, every field); (f) inclusion
proof size and verify time. Prints one line per figure and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from audit import store
from audit.committer import GroupCommitter
from audit.entry import ROW, Record, micros, prepare
from audit.merkle import Frontier, inclusion_path, leaf_hash, verify_inclusion
from audit.signing import Signer
from audit.verify import verify_trail
from benchmarks.database import add_postgres_option, settle, throwaway_database
from govern.db import make_engine
from govern.investigations import repository
from govern.investigations.service import MAX_LEAKED

ACCOUNTS, DEBTORS, DAYS = 1_000, 1_000_000, 180
END = datetime(2026, 11, 28, tzinfo=UTC)
WRITERS = 8
LIST_SIZE = 20  # debtors on one caseload page: one event each, one durable wait
ROUNDS = 3  # group commit and the raw limit, alternating


def view(rng: random.Random) -> Record:
    account = f"GV-{rng.randrange(ACCOUNTS):04d}"
    debtor = f"D-{rng.randrange(DEBTORS):07d}"
    group = f"pg-{rng.randrange(20):02d}"
    return Record(
        "debtor.viewed",
        account,
        debtor,
        {
            "fields": {
                "phone": rng.choice(("full", "masked")),
                "name": "full",
                "id_number": rng.choice(("masked", "training.compliance.missing")),
            },
            "how": "view",
            "viewer_group": group,
            "object_group": group,
        },
        f"req-{rng.getrandbits(48):012x}",
        f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
    )


def generate(engine: Engine, count: int, signer: Signer, rng: random.Random) -> None:
    """Load `count` events with COPY (setup, not measured) and sign a checkpoint per 1,000.

    One connection per COPY stream: PostgreSQL runs one COPY at a time per connection.
    """
    connections = [engine.raw_connection() for _ in range(2)]
    frontier, step = Frontier(), (DAYS * 86_400_000_000) // max(count, 1)
    noted: list[tuple[int, int, bytes]] = []
    start = END - timedelta(days=DAYS)
    try:
        events_cursor, checkpoints = (c.cursor() for c in connections)
        with events_cursor.copy(f"COPY audit_events ({', '.join(ROW)}) FROM STDIN") as events:
            for seq in range(1, count + 1):
                at = start + timedelta(microseconds=seq * step)
                row = prepare(view(rng), at).row(seq)  # as the trail appends it
                events.write_row(row)
                leaf = row[ROW.index("leaf_hash")]
                frontier.append(leaf, noted, store.NODE_LEAST)
                if seq % 1000 == 0 or seq == count:
                    checkpoint = signer.sign(seq, frontier.root(), END)
                    checkpoints.execute(
                        "INSERT INTO audit_checkpoints VALUES (%s, %s, %s, %s, %s, %s)",
                        (
                            seq,
                            checkpoint.root_hash,
                            checkpoint.time,
                            checkpoint.key_id,
                            checkpoint.signature,
                            frontier.encode(),
                        ),
                    )
        with checkpoints.copy("COPY audit_nodes (start, size, hash) FROM STDIN") as nodes:
            for row in noted:
                nodes.write_row(row)
        for connection in connections:
            connection.commit()
    finally:
        for connection in connections:
            connection.close()


def writers(
    work: Callable[[random.Random], float | None], seconds: float
) -> tuple[int, list[float]]:
    """Run WRITERS threads doing `work` until `seconds` pass; (operations, latencies)."""
    stop, latencies, lock = time.monotonic() + seconds, [], threading.Lock()

    def loop(seed: int) -> None:
        rng, mine = random.Random(seed), []
        while time.monotonic() < stop:
            mine.append(work(rng))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), [x for x in latencies if x is not None]


def group_commit(
    engine: Engine, seconds: float, shown: int, records: list[Record]
) -> dict[str, float]:
    """8 writers, each a request that shows `shown` debtors (one event each, drawn from
    `records`) and answers only when all its events are durable."""
    committer = GroupCommitter(engine, lambda: datetime.now(UTC))

    def request(rng: random.Random) -> float:
        began = time.perf_counter()
        committer.append_many([rng.choice(records) for _ in range(shown)])
        return time.perf_counter() - began

    count, latencies = writers(request, seconds)
    committer.stop()
    latencies.sort()
    return {
        "per_s": count * shown / seconds,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
    }


def per_event(engine: Engine, signer: Signer, seconds: float, records: list[Record]) -> float:
    """The baseline: each event hashed, signed and committed on its own."""

    def one(rng: random.Random) -> None:
        with engine.begin() as connection:
            seq = store.append(connection, [rng.choice(records)], datetime.now(UTC))[0]
            signer.sign(seq, leaf_hash(str(seq).encode()), END)

    count, _ = writers(one, seconds)
    return count / seconds


def raw_insert(
    engine: Engine,
    seconds: float,
    records: list[Record],
    how: Literal["insert", "copy"],
    batch: int = 100,
) -> float:
    """The limit: the same rows, every column, encoded and hashed before the clock starts,
    inserted by the same 8 writers in batches of 100, with no lock or sequence to keep, into
    `raw_<how>` (see `copy_of_trail`), each row with a time of its own as the trail's have.
    `how`: "insert", the raw batched INSERT the issue names (psycopg's `executemany`, which
    sends a batch's statements in one round trip; a multi-row VALUES was slower here), or
    "copy", as the trail itself writes its rows."""
    table = f"raw_{how}"
    rows = [prepare(record, END).row(1)[2:] for record in records]  # all but number and time
    with engine.connect() as connection:
        last = connection.execute(text(f"SELECT coalesce(max(seq), 0) FROM {table}")).scalar()
    counter, lock, start_us = iter(range(last + 1, 10**15)), threading.Lock(), micros(END)
    columns = ", ".join(ROW)
    statement = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(ROW))})"

    def one(rng: random.Random) -> None:
        with lock:
            numbers = [next(counter) for _ in range(batch)]
        picked = [(n, start_us + n, *rng.choice(rows)) for n in numbers]
        with engine.begin() as connection:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            if how == "insert":
                cursor.executemany(statement, picked)
                return
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in picked:
                    copy.write_row(row)

    count, _ = writers(one, seconds)
    return count * batch / seconds


def copy_of_trail(engine: Engine, table: str) -> None:
    """A copy of the trail's table holding its rows, its indexes grown as the trail's were (row
    by row, in sequence order): each raw insert meets a table like the one the trail's appends
    meet. One per raw side, so that each grows only by its own inserts."""
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {table} (LIKE audit_events INCLUDING INDEXES)"))
        connection.execute(text(f"INSERT INTO {table} SELECT * FROM audit_events ORDER BY seq"))


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return samples


def run(admin_url: str, events: int, seconds: float) -> dict[str, object]:
    rng = random.Random(20261128)
    signer = Signer(Ed25519PrivateKey.generate())
    results: dict[str, object] = {"events": events, "accounts": ACCOUNTS, "debtors": DEBTORS}
    with throwaway_database(admin_url) as url:
        engine = make_engine(url)
        began = time.perf_counter()
        generate(engine, events, signer, rng)
        results["generate_s"] = round(time.perf_counter() - began, 1)
        settle(engine, admin_url)
        results.update(measure_verify(engine, signer))
        results.update(measure_reads(engine, events, rng))
        results.update(measure_writes(engine, signer, seconds, admin_url))
        engine.dispose()
    return results


def measure_verify(engine: Engine, signer: Signer) -> dict[str, object]:
    """(c): the whole trail in one and in two processes, and with the index cross-check."""
    results = {}
    for label, check_index, workers in (
        ("c_verify_trail_1_process", False, 1),
        ("c_verify_trail_2_processes", False, 2),
        ("c_verify_with_index_2_processes", True, 2),
    ):
        with engine.connect() as connection:
            began = time.perf_counter()
            report = verify_trail(
                connection, signer.public_key, [], check_index=check_index, workers=workers
            )
            elapsed = time.perf_counter() - began
        assert report.ok, report.problems[:3]
        results[f"{label}_events_per_s"] = round(report.events / elapsed)
    return results


def measure_reads(engine: Engine, size: int, rng: random.Random) -> dict[str, object]:
    """(d) who saw debtor X, (e) leak triage, (f) an inclusion proof."""
    whole = (micros(END - timedelta(days=DAYS)), micros(END))
    ninety = (micros(END - timedelta(days=90)), micros(END))
    leaked = [f"D-{rng.randrange(DEBTORS):07d}" for _ in range(1000)]
    seq = rng.randrange(1, size + 1)
    with engine.connect() as connection:
        who = [
            timed(lambda d=d: repository.who_saw(connection, d, "phone", *whole), 1)[0]
            for d in (f"D-{rng.randrange(DEBTORS):07d}" for _ in range(200))
        ]
        triage = timed(lambda: repository.leak_triage(connection, leaked, ["phone"], *ninety), 3)
        most = [f"D-{n:07d}" for n in rng.sample(range(DEBTORS), min(MAX_LEAKED, DEBTORS))]
        triage_most = timed(lambda: repository.leak_triage(connection, most, [], *ninety), 3)
        root = store.checkpoint_at_or_before(connection, size)[0].root_hash
        began = time.perf_counter()
        path = inclusion_path(seq - 1, size, lambda b, e: store.subtree_hash(connection, b, e))
        proof_s = time.perf_counter() - began
        leaf = store.leaf_hashes(connection, seq, seq)[0]
    assert verify_inclusion(seq - 1, size, leaf, path, root)
    verify = timed(lambda: verify_inclusion(seq - 1, size, leaf, path, root), 200)
    return {
        "d_who_saw_p50_ms": round(1000 * statistics.median(who), 2),
        "d_who_saw_p95_ms": round(1000 * sorted(who)[int(len(who) * 0.95)], 2),
        "e_leak_triage_1000_debtors_90_days_s": round(statistics.median(triage), 3),
        "e_leak_triage_most_debtors_90_days_s": round(statistics.median(triage_most), 3),
        "f_proof_bytes": 32 * len(path),
        "f_proof_verify_ms": round(1000 * statistics.median(verify), 4),
        "f_proof_build_s": round(proof_s, 2),
    }


def alternating_rounds(
    engine: Engine, seconds: float, records: list[Record]
) -> tuple[list[dict[str, float]], list[float], list[float]]:
    """ROUNDS rounds of group commit (20-debtor requests), the raw INSERT and the raw COPY in
    turn, so that whatever else the machine does falls on all three."""
    listing, inserted, copied = [], [], []
    for _ in range(ROUNDS):
        listing.append(group_commit(engine, seconds, LIST_SIZE, records))
        inserted.append(raw_insert(engine, seconds, records, "insert"))
        copied.append(raw_insert(engine, seconds, records, "copy"))
    return listing, inserted, copied


def measure_writes(
    engine: Engine, signer: Signer, seconds: float, admin_url: str
) -> dict[str, object]:
    """(a) durable appends/s beside the per-event baseline and the raw limits, (b) latency.

    The 20-debtor figures are medians of the rounds (ratios: of the rounds' ratios);
    one-debtor requests and the baseline are measured once, after the rounds."""
    records = [view(random.Random(n)) for n in range(10_000)]  # made before any clock starts
    for how in ("insert", "copy"):
        copy_of_trail(engine, f"raw_{how}")
    settle(engine, admin_url)
    listing, inserted, copied = alternating_rounds(engine, seconds, records)
    single = group_commit(engine, seconds, 1, records)
    baseline = per_event(engine, signer, seconds, records)
    rates = [x["per_s"] for x in listing]
    to_insert = [round(x / y, 2) for x, y in zip(rates, inserted, strict=True)]
    to_copy = [round(x / y, 2) for x, y in zip(rates, copied, strict=True)]
    return {
        "a_group_commit_one_debtor_per_request_per_s": round(single["per_s"]),
        f"a_group_commit_{LIST_SIZE}_debtors_per_request_per_s": round(statistics.median(rates)),
        "a_per_event_baseline_per_s": round(baseline),
        "a_raw_batched_insert_per_s": round(statistics.median(inserted)),
        "a_raw_copy_per_s": round(statistics.median(copied)),
        "a_ratio_to_baseline_one": round(single["per_s"] / baseline, 1),
        "a_ratio_to_baseline_list": round(statistics.median(rates) / baseline, 1),
        "a_ratio_to_raw_insert_one": round(single["per_s"] / statistics.median(inserted), 2),
        "a_ratio_to_raw_insert_list": statistics.median(to_insert),
        "a_ratio_to_raw_copy_list": statistics.median(to_copy),
        "a_rounds_group_insert_copy_per_s": [
            [round(x), round(y), round(z)] for x, y, z in zip(rates, inserted, copied, strict=True)
        ],
        "a_rounds_ratio_to_raw_insert": to_insert,
        "a_rounds_ratio_to_raw_copy": to_copy,
        "b_append_to_durable_p50_ms_one": round(single["p50_ms"], 2),
        "b_append_to_durable_p99_ms_one": round(single["p99_ms"], 2),
        "b_request_to_durable_p99_ms_list_median_of_rounds": round(
            statistics.median(x["p99_ms"] for x in listing), 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the audit trail on PostgreSQL.")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per write measurement")
    add_postgres_option(parser)
    args = parser.parse_args()
    results = run(args.postgres, args.events, args.seconds)
    for key, value in results.items():
        print(f"{key:40} {value}")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
