"""The long fuzzing run (issue 17, item 4): schemathesis against Govern under gunicorn, every
operation of the OpenAPI document as each of ten roles and as no one, through every phase
(the document's examples, its boundary values, random cases, stateful sequences).

`./scripts/bench fuzz [--max-examples N] [--seed S] [--sqlite]`. Starts its own slapd and a
throwaway PostgreSQL database (or SQLite), writes the test floor of staff and debtors, serves
Govern with the repository's gunicorn.conf.py, and prints for each role the cases run, the
failures and the time; a failure's details follow, as schemathesis reports them. Exits 1 if
any run failed. tests/test_fuzz.py runs the same thing, short, on every `./scripts/test`.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from audit.signing import new_private_key_pem
from benchmarks.database import add_postgres_option, throwaway_database
from govern.config import DEFAULT_ATTRIBUTES, REPO_POLICIES, Settings, load_role_groups
from govern.contact.telephony import new_key as new_telephony_key
from govern.debtors.vault import add_key
from govern.migrate import upgrade
from tests.support.fuzzing import MORE_ROLES, ROLES, Target, fuzz, populate, served, target
from tests.support.slapd import READER_DN, Slapd, start_slapd
from tests.support.staff import LiveDirectory

PHASES = "examples,coverage,fuzzing,stateful"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=25, help="cases per operation")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--phases", default=PHASES)
    parser.add_argument("--roles", help="comma-separated, of: " + ", ".join(everyone()))
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    add_postgres_option(parser)
    args = parser.parse_args()
    roles = args.roles.split(",") if args.roles else list(everyone())
    with tempfile.TemporaryDirectory(prefix="govern-fuzz-") as name:
        folder = Path(name)
        with live(folder, args.postgres, args.sqlite) as fuzzed:
            return report(fuzzed, folder, roles, args)


def everyone() -> dict[str, str | None]:
    return {**ROLES, **MORE_ROLES, "anonymous": None}


@contextlib.contextmanager
def live(folder: Path, admin_url: str, sqlite: bool) -> Iterator[Target]:
    """slapd, a database, the floor, and Govern serving it; yields the fuzzer's target."""
    slapd = start_slapd(folder / "slapd")
    try:
        with database(folder, admin_url, sqlite) as url:
            directory = LiveDirectory(slapd)
            try:
                settings = floor_settings(slapd, directory, url, folder)
                known = populate(settings)
                with served(settings, folder / "gunicorn.log", workers=2) as base:
                    signed_in = {r: u for r, u in everyone().items() if u is not None}
                    yield target(base, settings, known, signed_in)
            finally:
                directory.close()
    finally:
        slapd.stop()


@contextlib.contextmanager
def database(folder: Path, admin_url: str, sqlite: bool) -> Iterator[str]:
    if sqlite:
        url = f"sqlite:///{folder / 'govern.db'}"
        upgrade(url, url)
        yield url
        return
    with throwaway_database(admin_url) as url:
        yield url


def floor_settings(slapd: Slapd, directory: LiveDirectory, url: str, folder: Path) -> Settings:
    """The settings the test suite gives the floor (tests/conftest.py), in `folder`."""
    audit_key, data_keys, telephony = folder / "audit.pem", folder / "keys.json", folder / "tel"
    audit_key.write_bytes(new_private_key_pem())
    add_key(data_keys)
    new_telephony_key(telephony)
    return Settings(
        database_url=url,
        migration_database_url=url,
        directory_url=slapd.url,
        secret_key=secrets.token_urlsafe(32),
        audit_key_file=audit_key,
        checkpoint_dir=folder / "checkpoints",
        data_keys_file=data_keys,
        telephony_key_file=telephony,
        ldap_bind_dn=READER_DN,
        ldap_bind_password=slapd.reader_password,
        ldap_attributes=dict(DEFAULT_ATTRIBUTES),
        role_groups=load_role_groups(REPO_POLICIES / "roles.toml"),
        ldap_people_base=directory.tree.people,
        ldap_groups_base=directory.tree.groups,
    )


def report(fuzzed: Target, folder: Path, roles: list[str], args: argparse.Namespace) -> int:
    """Run as each role in turn; print a line each, then every failure's details."""
    print(f"{'role':<18}{'cases':>8}{'failures':>10}{'seconds':>9}")
    total, failed, started, details = 0, 0, time.monotonic(), []
    for role in roles:
        outcome = fuzz(
            fuzzed,
            folder / role,
            seed=args.seed,
            max_examples=args.max_examples,
            phases=args.phases,
            role=role,
        )
        failures = sum(failure.get("count", 1) for failure in outcome.failures)
        total, failed = total + outcome.cases, failed + failures
        print(f"{role:<18}{outcome.cases:>8}{failures:>10}{outcome.seconds:>9.1f}", flush=True)
        if failures:
            details.append(f"==== as {role} ====\n{outcome.output}")
    print(f"{'all':<18}{total:>8}{failed:>10}{time.monotonic() - started:>9.1f}")
    print("\n".join(details))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
