"""The database: declarative base, engine and session factory. Nothing connects at import."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import TypeVar

from sqlalchemy import DateTime, Engine, create_engine, event, exc
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

Row = TypeVar("Row")

#: SQLSTATE classes of a PostgreSQL that cannot serve now, whatever was asked: the connection
#: (08), the server's resources, its disk full among them (53), the server shutting down or
#: still starting (57P), the system under it (58).
UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "58")
#: SQLite's: its file cannot be opened, read or written, its disk is full, or another writer
#: held it past the busy timeout.
UNAVAILABLE_SQLITE = ("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_BUSY")


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware instant")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and enforced foreign keys.

    Its errors never carry the statement's parameters (`hide_parameters`): they are what
    people typed (a username, a name) and an error's text reaches the server log."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # On PostgreSQL a worker's request threads, its audit committer and its scheduler each
    # hold a connection at once: with SQLAlchemy's default of 5 kept, connections beyond it
    # were opened and closed on every request (a new backend each time), a sixth of a read.
    pool = {"pool_size": 12, "max_overflow": 4} if url.startswith("postgresql") else {}
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **pool)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot serve now (down, unreachable, shutting down,
    its disk full, no pooled connection free in time), not that a statement was wrong."""
    if isinstance(error, exc.TimeoutError):  # the pool's: every connection busy too long
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:  # the connection was lost under the statement
        return True
    state = getattr(error.orig, "sqlstate", None)
    if state:
        return state.startswith(UNAVAILABLE_SQLSTATES)
    name = getattr(error.orig, "sqlite_errorname", None)
    if name:
        return name.startswith(UNAVAILABLE_SQLITE)
    # psycopg's own errors carry no SQLSTATE: no connection could be made, or it broke
    return isinstance(error, exc.OperationalError)


def unavailable_kind(error: BaseException) -> str:
    """What the log says of an `unavailable` error: the driver's error and the first line of
    its words (a server's message of these kinds names files and hosts, never a value)."""
    cause = getattr(error, "orig", None) or error
    words = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {words[0] if words else ''}"


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def _tune_sqlite(connection: object, _record: object) -> None:
    connection.isolation_level = None  # type: ignore[attr-defined]  # we emit BEGIN ourselves
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: object) -> None:
    # SQLite allows one writer; taking the write lock at BEGIN makes a read-then-write
    # transaction wait its turn instead of failing with "database is locked" midway. A
    # connection marked read_only (a long audit verification) must not hold that lock.
    read_only = connection.get_execution_options().get("read_only")  # type: ignore[attr-defined]
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def in_batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """`rows` a batch of `size` at a time (the last one shorter): for writes done a batch a
    transaction or a statement."""
    stream = iter(rows)
    while batch := list(islice(stream, size)):
        yield batch
