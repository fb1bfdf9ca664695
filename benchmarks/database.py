"""A throwaway PostgreSQL database for a benchmark run: created, migrated, settled after
loading, dropped."""

from __future__ import annotations

import contextlib
import secrets
import sys
from collections.abc import Iterator

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from govern.migrate import upgrade


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
