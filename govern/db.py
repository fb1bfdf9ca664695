"""The database: declarative base, engine and session factory. Nothing connects at import."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, DateTime, Engine, Executable, create_engine, event, exc
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


class HotStatement:
    """A statement every debtor read sends (a viewer's training record, the policy version,
    a debtor's complaint stop): on PostgreSQL compiled once and run on psycopg's own cursor
    in the session's transaction, without SQLAlchemy's per-execution compiling, result and
    row machinery (most of such a statement's cost, more than its round trip). On SQLite it
    runs the ordinary way.

    What stays as the ordinary way makes it: the statement's bind and result types, the
    `before_cursor_execute` event (whoever counts statements counts these), and a driver's
    error raised as SQLAlchemy raises it (`OperationalError`, `connection_invalidated` on a
    lost connection, the connection invalidated), so `unavailable` and the 503 hold."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: tuple[str, dict[str, Any], list[Callable | None]] | None = None

    def rows(self, db: Session, parameters: Mapping[str, Any]) -> list[tuple]:
        """Every row, as tuples of the statement's columns (their types applied)."""
        connection = db.connection()
        if connection.dialect.name != "postgresql":
            return [tuple(row) for row in connection.execute(self.statement, parameters)]
        sql, defaults, results = self._compiled or self._compile(connection)
        parameters = {**defaults, **parameters} if defaults else parameters
        driver = connection.connection.dbapi_connection
        cursor = driver.cursor()  # type: ignore[union-attr]
        try:
            if connection._has_events or connection.engine._has_events:
                connection.dispatch.before_cursor_execute(
                    connection, cursor, sql, parameters, None, False
                )
            cursor.execute(sql, parameters)
            fetched = cursor.fetchall()  # not its `description`: a new object per column
        except Exception as error:  # wrapped, the connection invalidated if lost, and raised
            connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
        finally:
            cursor.close()
        if not any(results):
            return fetched
        return [
            tuple(v if p is None else p(v) for v, p in zip(row, results, strict=True))
            for row in fetched
        ]

    def scalar(self, db: Session, parameters: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None when there is none."""
        found = self.rows(db, parameters)
        return found[0][0] if found else None

    def _compile(self, connection: Connection) -> tuple[str, dict[str, Any], list[Callable | None]]:
        dialect = connection.dialect
        compiled = self.statement.compile(dialect=dialect)
        given = {k for k, v in compiled.params.items() if v is None}
        processors = compiled._bind_processors  # type: ignore[attr-defined]
        if given & set(processors) or compiled.post_compile_params:
            raise TypeError("a hot statement's parameters are sent as they are given")
        results = [
            column[3]._cached_result_processor(dialect, None)
            for column in compiled._result_columns  # type: ignore[attr-defined]
        ]
        defaults = {  # the statement's own values, converted once
            k: processors[k](v) if k in processors else v
            for k, v in compiled.params.items()
            if k not in given
        }
        self._compiled = (str(compiled), defaults, results)
        return self._compiled


def in_batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """`rows` a batch of `size` at a time (the last one shorter): for writes done a batch a
    transaction or a statement."""
    stream = iter(rows)
    while batch := list(islice(stream, size)):
        yield batch
