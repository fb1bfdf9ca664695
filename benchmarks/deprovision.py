"""Benchmark the departure sweep: 10,000 accounts past their departure instant revoked by one
`revoke_due` on PostgreSQL (each locked, revoked, its sessions ended, its event appended).

`./scripts/bench deprovision [--due N]`; record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select

from benchmarks.database import add_postgres_option, command_context, throwaway_database
from benchmarks.staff import staff_rows
from govern.accounts.models import Account
from govern.db import make_engine, make_session_factory
from govern.deprovision.service import revoke_due
from govern.directory.models import Identity


def populate(url: str, due: int) -> None:
    engine = make_engine(url)
    now = datetime.now(UTC)
    people, accounts = staff_rows(due, now, first_number=70000, departure=date(2026, 1, 5))
    with engine.begin() as connection:
        connection.execute(insert(Identity), people)
        connection.execute(insert(Account), accounts)
    engine.dispose()


def measure(url: str, due: int) -> dict[str, object]:
    populate(url, due)
    engine = make_engine(url)
    with tempfile.TemporaryDirectory() as folder:
        ctx = command_context(engine, url, Path(folder))
        with make_session_factory(engine)() as db:
            began = time.perf_counter()
            report = revoke_due(db, ctx)
            seconds = time.perf_counter() - began
            left = db.scalar(select(Account.id).where(Account.state != "revoked").limit(1))
    engine.dispose()
    return {
        "due": due,
        "revoked": len(report.revoked),
        "failed": len(report.failed),
        "left_active": left,
        "sweep_s": round(seconds, 2),
        "revocations_per_s": round(len(report.revoked) / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the departure sweep.")
    parser.add_argument("--due", type=int, default=10_000)
    add_postgres_option(parser)
    args = parser.parse_args()
    with throwaway_database(args.postgres) as url:
        results = measure(url, args.due)
    for key, value in results.items():
        print(f"{key:24} {value}")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
