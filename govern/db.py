"""The database: declarative base, engine and session factory. Nothing connects at import."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import TypeVar

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

Row = TypeVar("Row")


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
