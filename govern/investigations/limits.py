"""Auditors' queries run under a time limit (`GOVERN_AUDIT_QUERY_SECONDS`).

A query held behind another transaction's lock, or reading more than it can in that time, is
cut off by the database: on PostgreSQL `statement_timeout` and `lock_timeout`, set for the
query's transactions only (`SET LOCAL`) to the time left before each statement, so that a
query of many statements is held to the limit as a whole; on SQLite an interrupt from a
progress handler when the transaction has run that long (and a wait for SQLite's one write
lock ends, as always, at its busy timeout). Either way the answer is 503
`audit.query_timeout`, and the query is audited like any other (`audit.queried`,
`timed_out: true`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from govern.context import Context
from govern.errors import GovernError

#: PostgreSQL's query_canceled (statement_timeout) and lock_not_available (lock_timeout).
POSTGRES_TIMEOUTS = frozenset({"57014", "55P03"})
#: SQLite's interrupt (the progress handler) and busy (the write lock not free in time).
SQLITE_TIMEOUTS = frozenset({"SQLITE_INTERRUPT", "SQLITE_BUSY"})
#: Where a PostgreSQL connection keeps its hook that sets the time left before each statement.
DEADLINE_HOOK = "govern.audit_query_deadline"
#: How many SQLite virtual-machine steps pass between two looks at the clock.
SQLITE_STEPS = 1000


class QueryTimedOut(GovernError):
    status = 503


@contextmanager
def audited_time_limit(
    db: Session, ctx: Context, auditor: str, query: str, **filters: Any
) -> Iterator[None]:
    """Run `auditor`'s query within GOVERN_AUDIT_QUERY_SECONDS (the one time limit of the
    API and the console). Raises QueryTimedOut (503 `audit.query_timeout`) when the database
    cuts it off, once the query has been audited as timed out (or AuditNotWritten when even
    that cannot be written)."""
    try:
        with time_limit(db, ctx.settings.audit_query_seconds):
            yield
    except QueryTimedOut:
        wanted = {name: value for name, value in filters.items() if value is not None}
        ctx.trail.record_now(
            db, "audit.queried", auditor, None, query=query, timed_out=True, filters=wanted
        )
        raise


@contextmanager
def time_limit(db: Session, seconds: float) -> Iterator[None]:
    """Every statement `db` runs inside, in its current transaction and in any it begins, is
    cut off after `seconds`. Raises QueryTimedOut, the transaction rolled back, when one is."""
    limited: list[Connection] = []

    def begun(_session: Session, _transaction: object, connection: Connection) -> None:
        _limit(connection, seconds)
        limited.append(connection)

    def ended(_session: Session) -> None:
        while limited:
            _lift(limited.pop())

    if db.in_transaction():
        begun(db, None, db.connection())
    hooks = (("after_begin", begun), ("after_commit", ended), ("after_rollback", ended))
    for name, hook in hooks:
        event.listen(db, name, hook)
    try:
        yield
    except DBAPIError as error:
        if not timed_out(error):
            raise
        db.rollback()
        raise QueryTimedOut(
            "audit.query_timeout",
            f"The query took longer than {seconds:g} s and was stopped; narrow it (a shorter "
            "window, one debtor or account) or try again later.",
        ) from None
    finally:
        for name, hook in hooks:
            event.remove(db, name, hook)
        ended(db)


def timed_out(error: DBAPIError) -> bool:
    """Whether the database cut a statement off for taking too long (or waiting too long)."""
    cause = error.orig
    return (
        getattr(cause, "sqlstate", None) in POSTGRES_TIMEOUTS
        or getattr(cause, "sqlite_errorname", None) in SQLITE_TIMEOUTS
    )


def _limit(connection: Connection, seconds: float) -> None:
    deadline, owner = time.monotonic() + seconds, threading.get_ident()
    if connection.dialect.name == "postgresql":
        _limit_postgres(connection, deadline)
        return

    def interrupt() -> int:  # a connection handed on without being lifted is never cut off
        return int(threading.get_ident() == owner and time.monotonic() > deadline)

    _driver(connection).set_progress_handler(interrupt, SQLITE_STEPS)


def _limit_postgres(connection: Connection, deadline: float) -> None:
    """PostgreSQL's timeouts hold one statement each: before every statement they are set to
    what is left until `deadline`, so that a query made of many statements (a leak triage in
    chunks) is held to the limit as a whole."""

    def left() -> str:
        milliseconds = max(1, math.ceil((deadline - time.monotonic()) * 1000))
        return (
            f"SET LOCAL statement_timeout = {milliseconds}; SET LOCAL lock_timeout = {milliseconds}"
        )

    def before(_c: Connection, cursor: Any, statement: str, parameters: Any, *_: Any) -> Any:
        cursor.execute(left())
        return statement, parameters

    connection.exec_driver_sql(left())
    event.listen(connection, "before_cursor_execute", before, retval=True)
    connection.info[DEADLINE_HOOK] = before


def _lift(connection: Connection) -> None:
    """SQLite: take the progress handler off the connection before it goes back to the pool.
    PostgreSQL: take off the hook that sets the time left (`SET LOCAL` ends with its
    transaction)."""
    if connection.dialect.name != "postgresql":
        _driver(connection).set_progress_handler(None, 0)
        return
    hook = connection.info.pop(DEADLINE_HOOK, None)
    if hook is not None and event.contains(connection, "before_cursor_execute", hook):
        event.remove(connection, "before_cursor_execute", hook)


def _driver(connection: Connection) -> Any:
    return connection.connection.dbapi_connection
