"""Benchmark the departure sweep: 10,000 accounts past their departure instant, each signed in
once, revoked by one `revoke_due` on PostgreSQL (each locked, revoked, its departure
recorded, its session ended, its event appended), and with `--directory` each person's entry
locked in a throwaway slapd too (Govern's writer account, as GOVERN_LDAP_WRITER_DN).

`./scripts/bench deprovision [--due N] [--directory] [--profile] [--batch N]`; record the figures in
docs/benchmarks.md. `all_revoked_s`: until the last account is revoked in Govern (the sweep's
last `progress`), `revocations_per_s` its rate; `sweep_s`: the whole sweep, the directory's
locks included. `--profile` adds where the sweep's time went (cProfile).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import pstats
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import select

from benchmarks.database import add_postgres_option, command_context, throwaway_database
from benchmarks.staff import add_departed_staff
from govern.accounts.models import Account
from govern.db import make_engine, make_session_factory
from govern.deprovision.service import revoke_due
from govern.directory.ldap import LdapDirectory
from govern.directory.source import Directory
from govern.sessions.models import LoginSession

FIRST_NUMBER = 70000
#: Where a profiled sweep waits: (place, a part of the file's path, the function), whose
#: cumulative times do not overlap; the rest is Python (SQLAlchemy, Govern, the trail).
WAITS = (
    ("PostgreSQL: statements and commits (psycopg's wait)", "/psycopg/connection.py", "wait"),
    ("directory: searches, binds, modifies", "/govern/directory/ldap.py", "disable"),
    ("directory: searches, binds, modifies", "/govern/directory/ldap.py", "disable_all"),
)


def populate(url: str, due: int) -> None:
    engine = make_engine(url)
    add_departed_staff(engine, due, first_number=FIRST_NUMBER, departure=date(2026, 1, 5))
    engine.dispose()


@contextlib.contextmanager
def bench_directory(due: int, folder: Path) -> Iterator[dict[str, str]]:
    """A throwaway slapd holding the `due` people, indexed as a real directory would be
    (tests/support/slapd.py: the tests' server with ppolicy and a writer account); yields
    the settings that reach it as Govern's."""
    from tests.support.slapd import READER_DN, SUFFIX, WRITER_DN, start_slapd

    slapd = start_slapd(folder)
    slapd.stop()
    conf = folder / "slapd.conf"
    conf.write_text(conf.read_text() + "index objectClass,uid,employeeNumber eq\n")
    people = [f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n"]
    people += [
        f"dn: uid=bench.{n},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: bench.{n}\n"
        f"cn: bench {n}\nsn: bench\nemployeeNumber: {n}\n"
        for n in range(FIRST_NUMBER, FIRST_NUMBER + due)
    ]
    (folder / "people.ldif").write_text("\n".join(people))
    for tool in (["slapadd", "-q", "-l", str(folder / "people.ldif")], ["slapindex", "-q"]):
        subprocess.run([f"/usr/sbin/{tool[0]}", "-f", str(conf), *tool[1:]], check=True)
    slapd.start()
    try:
        yield {
            "directory_url": slapd.url,
            "ldap_bind_dn": READER_DN,
            "ldap_bind_password": slapd.reader_password,
            "ldap_writer_dn": WRITER_DN,
            "ldap_writer_password": slapd.writer_password,
            "ldap_people_base": f"ou=people,{SUFFIX}",
        }
    finally:
        slapd.stop()


def measure(
    url: str, due: int, reach: dict[str, str] | None, profile: bool, batch: int | None
) -> dict[str, object]:
    populate(url, due)
    engine = make_engine(url)
    profiler = cProfile.Profile() if profile else None
    with tempfile.TemporaryDirectory() as folder:
        ctx = command_context(engine, url, Path(folder))
        directory: Directory | None = None
        if reach is not None:
            directory = LdapDirectory(replace(ctx.settings, **reach))  # type: ignore[arg-type]
        with make_session_factory(engine)() as db:
            told: list[float] = []  # when the sweep said how far it is: the last, all revoked
            began = time.perf_counter()
            with profiler or contextlib.nullcontext():
                report = revoke_due(
                    db,
                    ctx,
                    directory=directory,
                    progress=lambda _: told.append(time.perf_counter()),
                    **({"batch": batch} if batch else {}),  # none: the sweep's own
                )
            seconds = time.perf_counter() - began
            all_revoked = told[-1] - began
            left = db.scalar(select(Account.id).where(Account.state != "revoked").limit(1))
            sessions = db.scalar(select(LoginSession.token_hash).limit(1))
    engine.dispose()
    results: dict[str, object] = {
        "due": due,
        "directory": reach is not None,
        "batch": batch or "default",
        "revoked": len(report.revoked),
        "failed": len(report.failed),
        "left_active": left,
        "sessions_left": sessions,
        "entries_locked": len(directory.locked()) if directory is not None else None,
        "all_revoked_s": round(all_revoked, 2),
        "revocations_per_s": round(len(report.revoked) / all_revoked),
        "sweep_s": round(seconds, 2),
    }
    if profiler is not None:
        results["profile_s"] = where_time_went(profiler)
    return results


def where_time_went(profiler: cProfile.Profile) -> dict[str, float]:
    """The profiled sweep's seconds waiting on PostgreSQL, on the directory, and the rest."""
    stats = pstats.Stats(profiler)
    spent = {place: 0.0 for place, _, _ in WAITS}
    for (file, _, function), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        for place, part, name in WAITS:
            if part in file and function == name:
                spent[place] += cumulative
    spent["Python: SQLAlchemy, Govern, the trail"] = stats.total_tt - sum(spent.values())  # type: ignore[attr-defined]
    return {place: round(seconds, 2) for place, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the departure sweep.")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--directory", action="store_true", help="lock the entries in slapd")
    parser.add_argument("--profile", action="store_true", help="where the time went")
    parser.add_argument("--batch", type=int, help="accounts a transaction (the sweep's own)")
    add_postgres_option(parser)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        reach = None
        if args.directory:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            reach = stack.enter_context(bench_directory(args.due, folder / "slapd"))
        url = stack.enter_context(throwaway_database(args.postgres))
        results = measure(url, args.due, reach, args.profile, args.batch)
    for key, value in results.items():
        print(f"{key:24} {value}")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
