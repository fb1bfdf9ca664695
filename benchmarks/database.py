"""A throwaway PostgreSQL database for a benchmark run: created, migrated, settled after
loading, dropped."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from audit.signing import new_private_key_pem
from govern.auditing.trail import open_trail
from govern.clock import Clock, SystemClock
from govern.config import Settings
from govern.context import Context
from govern.debtors.vault import add_key, load_vault
from govern.migrate import upgrade
from govern.policies import role_policy


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    """`--postgres`: the admin URL the throwaway database is made with."""
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "GOVERN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )


@contextlib.contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """Yield the URL of a new, migrated database owned by a new role; drop both afterwards."""
    suffix = secrets.token_hex(4)
    name, role = f"govern_bench_{suffix}", f"govern_bench_{suffix}"
    admin = _admin(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        connection.execute(text(f"CREATE DATABASE {name} OWNER {role}"))
    url = make_url(admin_url).set(username=role, database=name).render_as_string(False)
    try:
        upgrade(url, url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def settle(engine: Engine, admin_url: str) -> None:
    """Let PostgreSQL finish what a bulk load leaves it to do (vacuum and analyse, write a
    checkpoint), so that the work does not land inside one of the measurements."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
    admin = _admin(admin_url)
    try:
        with admin.connect() as connection:
            connection.execute(text("CHECKPOINT"))
    except DBAPIError:  # it takes a superuser or pg_checkpoint; measure anyway, and say so
        print(
            "note: CHECKPOINT refused to the admin role; a checkpoint may fall into a figure",
            file=sys.stderr,
        )
    finally:
        admin.dispose()


def _admin(admin_url: str) -> Engine:
    """An engine on the admin URL outside transactions (CREATE/DROP DATABASE, CHECKPOINT)."""
    return create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,
    )


def with_keys(folder: Path) -> tuple[Path, Path]:
    """(audit key, data keys) in `folder`, each made there if missing."""
    audit_key, data_keys = folder / "audit.pem", folder / "data_keys.json"
    if not audit_key.exists():
        audit_key.write_bytes(new_private_key_pem())
    if not data_keys.exists():
        add_key(data_keys)
    return audit_key, data_keys


@contextlib.contextmanager
def keys_folder() -> Iterator[Path]:
    """A temporary folder holding a fresh audit key and data keys (`with_keys`)."""
    with tempfile.TemporaryDirectory() as name:
        with_keys(Path(name))
        yield Path(name)


def command_context(engine: Engine, url: str, folder: Path, clock: Clock | None = None) -> Context:
    """A context as a `govern` command builds it, on the audit key and data keys `folder`
    holds (made there if missing); stop its trail when done."""
    audit_key, data_keys = with_keys(folder)
    settings = Settings(url, url, "", "x" * 32, audit_key, folder / "cp", data_keys)
    clock = clock or SystemClock()
    trail = open_trail(engine, clock, audit_key, settings.checkpoint_dir, 1000, 1.0)
    roles = role_policy(settings.policies_dir)
    return Context(clock, settings, trail, load_vault(data_keys), roles)
