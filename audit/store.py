"""The trail in a SQL database: events, checkpoints, and the one way to append.

Sequence numbers are gap-free: `append` takes the trail's lock (a PostgreSQL advisory lock
held to the end of the caller's transaction; SQLite's single writer does the same), reads the
last number and inserts after it (on PostgreSQL both in one call, `audit_next_seq()`). A
rolled-back transaction leaves no gap. Sequence numbers start at 1; event `seq` is leaf
`seq - 1` of the Merkle tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    func,
    insert,
    select,
    text,
)

from audit.entry import ROW, Prepared, Record, prepare_all
from audit.merkle import Frontier, node_hash, root_of, split
from audit.signing import Checkpoint, verify_checkpoint

APPEND_LOCK = 0x6A_0D_17_01
CHECKPOINT_LOCK = 0x6A_0D_17_02
RETENTION_LOCK = 0x6A_0D_17_03  # one retention run (archive, removal) at a time

metadata = MetaData()

events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at_us", BigInteger, nullable=False),  # microseconds since the epoch, UTC
    Column("actor", String(128)),
    Column("action", String(64), nullable=False),
    Column("object", String(128)),
    Column("entry", LargeBinary, nullable=False),  # the canonical bytes, exactly as hashed
    Column("leaf_hash", LargeBinary, nullable=False),
    # A field-level event (a debtor shown) also says how each field was shown, and the
    # viewer's and debtor's project groups then, so "who saw this debtor's phone" is a lookup
    # on the event's own row. Derived from the entry; verify checks them (`entry.field_columns`).
    Column("fields", String),
    Column("viewer_group", String(128)),
    Column("object_group", String(128)),
    Index("ix_audit_events_actor_at", "actor", "at_us"),
    Index("ix_audit_events_object_at", "object", "at_us"),
    Index("ix_audit_events_action_at", "action", "at_us"),
    Index("ix_audit_events_at", "at_us"),
)

#: Hashes of perfect subtrees of at least NODE_LEAST leaves, noted when checkpoints are written.
#: Derived data: a wrong one only makes a proof fail to verify.
NODE_LEAST = 256
nodes = Table(
    "audit_nodes",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("start", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)

checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary, nullable=False),
    Column("time", String(32), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("frontier", LargeBinary, nullable=False),  # lets the next checkpoint start here
)


APPEND_ONLY_TABLES = ("audit_events", "audit_checkpoints", "audit_nodes")


def append_only_ddl(dialect: str, tables: Sequence[str] = APPEND_ONLY_TABLES) -> list[str]:
    """Triggers that refuse UPDATE, DELETE (and TRUNCATE) on the trail's tables."""
    if dialect == "postgresql":
        statements = [
            "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
        ]
        for table in tables:
            statements += [
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
            ]
        return statements
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        for table in tables
        for verb in ("UPDATE", "DELETE")
    ]


def drop_append_only_ddl(dialect: str, tables: Sequence[str] = APPEND_ONLY_TABLES) -> list[str]:
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}"
            for table in tables
            for name in ("append_only", "no_truncate")
        ]
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_{verb}"
        for table in tables
        for verb in ("update", "delete")
    ]


#: What lets a DELETE of events through the guard of `audit_events` (`removable_ddl`), for
#: the length of one transaction: on PostgreSQL this transaction-local setting, on SQLite (no
#: such settings) a row of `REMOVING_TABLE` written and deleted in that transaction. Its value
#: is the last event that may go. The service role still may not DELETE (no grant): the guard
#: keeps the owner from deleting by mistake, and the trail's removal from needing DDL.
REMOVING_SETTING = "govern.removing_archived"
REMOVING_TABLE = "audit_removing"
_APPEND_ONLY = "the audit trail is append-only"


def removable_ddl(dialect: str) -> list[str]:
    """The triggers of `audit_events` from migration 0023 on: UPDATE (and TRUNCATE) refused,
    as on every table of the trail; DELETE of an event refused unless the deleting
    transaction is removing archived events up to it (`removing`). Names as
    `append_only_ddl`'s, so `drop_append_only_ddl` drops them."""
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF TG_OP = 'DELETE' AND OLD.seq <= coalesce(nullif(current_setting("
            f"'{REMOVING_SETTING}', true), '')::bigint, 0) THEN RETURN OLD; END IF; "
            f"RAISE EXCEPTION '{_APPEND_ONLY}'; END $$",
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_guard()",
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
        ]
    return [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        f"WHEN NOT EXISTS (SELECT 1 FROM {REMOVING_TABLE} WHERE OLD.seq <= boundary) "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
    ]


def guard_ddl(dialect: str) -> list[str]:
    """The trail's triggers as they stand (after migration 0023): what puts them back after
    `drop_append_only_ddl`."""
    return append_only_ddl(dialect, ("audit_checkpoints", "audit_nodes")) + removable_ddl(dialect)


def removing(connection: Connection, last: int | None) -> None:
    """In the caller's transaction, let events up to `last` be deleted (`removable_ddl`), or,
    with None, no longer. On PostgreSQL the setting ends with the transaction; on SQLite the
    row is deleted by the call with None, or by the transaction's rollback."""
    if connection.dialect.name == "postgresql":
        value = "" if last is None else str(last)
        connection.execute(select(func.set_config(REMOVING_SETTING, value, True)))
    elif last is None:
        connection.execute(text(f"DELETE FROM {REMOVING_TABLE}"))
    else:
        insert_guard = f"INSERT INTO {REMOVING_TABLE} (boundary) VALUES (:last)"
        connection.execute(text(insert_guard), {"last": last})


def append(
    connection: Connection,
    records: Sequence[Record],
    at: datetime,
    lock_seconds: float | None = None,
) -> list[int]:
    """Append `records` in the caller's transaction; returns their sequence numbers.
    `lock_seconds`: on PostgreSQL, wait at most so long for the trail's lock (a limit on
    that lock only: the caller's own lock wait holds again once it is granted)."""
    return append_prepared(connection, prepare_all(list(records), at), lock_seconds=lock_seconds)


def append_prepared(
    connection: Connection,
    prepared: Sequence[Prepared],
    more: Callable[[], Sequence[Prepared]] | None = None,
    lock_seconds: float | None = None,
) -> list[int]:
    """Append already encoded records in the caller's transaction: the one way events enter
    the trail. Takes the trail's lock, numbers them after the last, inserts them. `more`, if
    given, is asked once the lock is held for further events to append after these (the
    group committer's callers who arrived while it waited for the lock)."""
    if not prepared:
        return []
    first = _next_seq(connection, lock_seconds)
    items = [*prepared, *(more() if more else ())]
    rows = [item.row(seq) for seq, item in enumerate(items, start=first)]
    _insert(connection, rows)
    return [row[0] for row in rows]


_INSERT = insert(events)
_INSERT_ONE = f"INSERT INTO audit_events ({', '.join(ROW)}) VALUES ({', '.join(['%s'] * len(ROW))})"


def _insert(connection: Connection, rows: list[tuple]) -> None:
    """Insert event rows (`ROW` order) in the caller's transaction. On PostgreSQL several by
    COPY, which costs a fraction of a parameterised INSERT per row (the group committer's
    batches), and one by INSERT on the driver (`_on_driver`): COPY takes two round trips, and
    one event is what a quiet committer and a state change write."""
    if connection.dialect.name != "postgresql":
        named = [dict(zip(ROW, row, strict=True)) for row in rows]
        connection.execute(_INSERT, named[0] if len(named) == 1 else named)
        return
    if len(rows) == 1:
        _on_driver(connection, _INSERT_ONE, rows[0], fetch=False)
        return
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY audit_events ({', '.join(ROW)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def size(connection: Connection) -> int:
    return connection.execute(select(func.max(events.c.seq))).scalar() or 0


def leaf_hashes(connection: Connection, first: int, last: int) -> list[bytes]:
    """Stored leaf hashes of events first..last (inclusive), in order."""
    query = (
        select(events.c.leaf_hash).where(events.c.seq.between(first, last)).order_by(events.c.seq)
    )
    return [bytes(row[0]) for row in connection.execute(query)]


def subtree_hash(connection: Connection, begin: int, end: int) -> bytes:
    """The hash of the subtree over leaves [begin, end), i.e. events begin+1..end: from a noted
    node where there is one, else split as the tree splits, else from the leaves."""
    size = end - begin
    if size >= NODE_LEAST and size & (size - 1) == 0 and begin % size == 0:
        noted = connection.execute(
            select(nodes.c.hash).where(nodes.c.size == size, nodes.c.start == begin)
        ).scalar()
        if noted is not None:
            return bytes(noted)
    if size <= NODE_LEAST:
        leaves = leaf_hashes(connection, begin + 1, end)
        if len(leaves) == size:
            return root_of(leaves)
        return _over_removed(connection, begin, end, leaves)
    k = split(size)
    return node_hash(
        subtree_hash(connection, begin, begin + k), subtree_hash(connection, begin + k, end)
    )


def _over_removed(connection: Connection, begin: int, end: int, leaves: list[bytes]) -> bytes:
    """Leaves [begin, end) of which some were removed after their archive: the subtree noted
    at removal (the signed frontier there), else its halves. Nothing noted: what the leaves
    give, which only makes a proof fail to verify, never a false one pass."""
    size = end - begin
    if size & (size - 1) == 0 and begin % size == 0:
        noted = connection.execute(
            select(nodes.c.hash).where(nodes.c.size == size, nodes.c.start == begin)
        ).scalar()
        if noted is not None:
            return bytes(noted)
    if size == 1 or not leaves:
        return root_of(leaves)
    k = split(size)
    return node_hash(
        subtree_hash(connection, begin, begin + k), subtree_hash(connection, begin + k, end)
    )


def rows(
    connection: Connection, first: int, last: int, batch: int = 10_000
) -> Iterator[tuple[int, bytes, bytes]]:
    """(seq, entry, stored leaf hash) of events first..last, in order, streamed in batches."""
    query = (
        select(events.c.seq, events.c.entry, events.c.leaf_hash)
        .where(events.c.seq.between(first, last))
        .order_by(events.c.seq)
    )
    if connection.dialect.name == "postgresql":
        # A server-side cursor straight from the driver: verifying reads every event, and
        # building a row object per event would cost more than hashing it.
        yield from _stream(connection, query, batch)
        return
    result = connection.execution_options(yield_per=batch).execute(query)
    for chunk in result.partitions():
        for seq, entry, stored in chunk:
            yield seq, bytes(entry), bytes(stored)


def _stream(
    connection: Connection, query: Select, batch: int
) -> Iterator[tuple[int, bytes, bytes]]:
    compiled = query.compile(dialect=connection.dialect)
    driver = connection.connection.dbapi_connection
    with driver.cursor(name=f"audit_rows_{id(query):x}") as cursor:  # type: ignore[union-attr]
        cursor.itersize = batch
        cursor.execute(str(compiled), compiled.params)
        for seq, entry, stored in cursor:
            yield seq, bytes(entry), bytes(stored)


def stored_checkpoints(connection: Connection) -> list[Checkpoint]:
    query = select(checkpoints).order_by(checkpoints.c.tree_size)
    return [_checkpoint(row)[0] for row in connection.execute(query)]


def checkpoints_with_frontiers(connection: Connection) -> Iterator[tuple[Checkpoint, Frontier]]:
    """Every stored checkpoint with its stored frontier (an empty one where damaged), oldest
    first."""
    query = select(checkpoints).order_by(checkpoints.c.tree_size)
    for row in connection.execute(query):
        yield _checkpoint(row)


def checkpoint_at_or_before(
    connection: Connection, tree_size: int
) -> tuple[Checkpoint, Frontier] | None:
    row = connection.execute(
        select(checkpoints)
        .where(checkpoints.c.tree_size <= tree_size)
        .order_by(checkpoints.c.tree_size.desc())
        .limit(1)
    ).first()
    return None if row is None else _checkpoint(row)


def save_checkpoint(
    connection: Connection,
    checkpoint: Checkpoint,
    frontier: Frontier,
    noted: Sequence[tuple[int, int, bytes]] = (),
) -> None:
    """Store a checkpoint, with the subtree nodes noted while building it."""
    if noted:
        connection.execute(insert(nodes), [{"start": a, "size": n, "hash": h} for a, n, h in noted])
    connection.execute(
        insert(checkpoints).values(
            tree_size=checkpoint.tree_size,
            root_hash=checkpoint.root_hash,
            time=checkpoint.time,
            key_id=checkpoint.key_id,
            signature=checkpoint.signature,
            frontier=frontier.encode(),
        )
    )


def try_lock(connection: Connection, key: int) -> bool:
    """A transaction-scoped lock others skip rather than wait for (PostgreSQL); SQLite: yes."""
    if connection.dialect.name != "postgresql":
        return True
    return bool(connection.execute(select(func.pg_try_advisory_xact_lock(key))).scalar())


_NEXT_SEQ = "SELECT audit_next_seq(%(wait)s::text)"


def _next_seq(connection: Connection, lock_seconds: float | None = None) -> int:
    """Take the trail's lock (to the end of the caller's transaction), waiting at most
    `lock_seconds` when given, and return the number after the last. On PostgreSQL one round
    trip, `audit_next_seq(wait)` (see `next_seq_ddl`): every state change's event and the
    group committer's turns are bound by round trips."""
    if connection.dialect.name == "postgresql":
        wait = None if lock_seconds is None else str(int(lock_seconds * 1000))
        return int(_on_driver(connection, _NEXT_SEQ, {"wait": wait})[0][0])
    return (connection.execute(select(func.max(events.c.seq))).scalar() or 0) + 1


def _on_driver(
    connection: Connection, sql: str, parameters: Any, fetch: bool = True
) -> list[tuple]:
    """Run `sql` on psycopg's own cursor in the connection's transaction: every event's
    append sends it, and SQLAlchemy's execution (compiling, the result's machinery) cost
    more than the round trip. As the ordinary way: the `before_cursor_execute` event is
    fired, and a driver's error is raised as SQLAlchemy raises it (`DBAPIError`'s subclass,
    the connection invalidated and `connection_invalidated` set when it was lost), so the
    committer's reconnecting and its callers' 503 hold. Govern's `HotStatement` does the
    same for its statements (audit/ imports nothing of govern/)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if connection._has_events or connection.engine._has_events:
            connection.dispatch.before_cursor_execute(
                connection, cursor, sql, parameters, None, False
            )
        cursor.execute(sql, parameters)
        return cursor.fetchall() if fetch else []
    except Exception as error:
        connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
    finally:
        cursor.close()


def next_seq_ddl(dialect: str) -> list[str]:
    """`audit_next_seq(wait)`: the append lock, then the trail's table for writing, each waited
    for at most `wait` milliseconds when given (the caller's own lock wait set back once both
    are granted: someone holding the table, an index being built on it, refuses a change
    within its wait instead of holding it for as long), then the last number read after they
    are granted (a volatile PL/pgSQL function reads each statement with a fresh snapshot)."""
    if dialect != "postgresql":
        return []
    return [
        "CREATE OR REPLACE FUNCTION audit_next_seq(wait text DEFAULT NULL) RETURNS bigint "
        "LANGUAGE plpgsql VOLATILE AS $$ DECLARE before text := current_setting('lock_timeout'); "
        "BEGIN IF wait IS NOT NULL THEN PERFORM set_config('lock_timeout', wait, true); END IF; "
        f"PERFORM pg_advisory_xact_lock({APPEND_LOCK}); "
        "LOCK TABLE audit_events IN ROW EXCLUSIVE MODE; "
        "IF wait IS NOT NULL THEN PERFORM set_config('lock_timeout', before, true); END IF; "
        "RETURN coalesce((SELECT max(seq) FROM audit_events), 0) + 1; END $$"
    ]


def _checkpoint(row: object) -> tuple[Checkpoint, Frontier]:
    m = row._mapping  # type: ignore[attr-defined]
    checkpoint = Checkpoint(
        int(m["tree_size"]), bytes(m["root_hash"]), m["time"], m["key_id"], bytes(m["signature"])
    )
    try:
        frontier = Frontier.decode(checkpoint.tree_size, bytes(m["frontier"]))
    except ValueError:  # a damaged row: an empty frontier never folds to its root
        frontier = Frontier()
    return checkpoint, frontier


def newest_checkpoint(connection: Connection) -> tuple[str, int] | None:
    """The time (RFC 3339) and tree size of the newest stored checkpoint, unchecked; None
    before the first."""
    query = select(checkpoints.c.time, checkpoints.c.tree_size)
    row = connection.execute(query.order_by(checkpoints.c.tree_size.desc()).limit(1)).first()
    return (row.time, int(row.tree_size)) if row else None


def newest_sound_checkpoint(
    connection: Connection, public_key: Ed25519PublicKey
) -> tuple[Checkpoint, Frontier] | None:
    """The newest stored checkpoint whose signature holds and whose frontier folds to its
    root: the only kind a new checkpoint may be built on."""
    query = select(checkpoints).order_by(checkpoints.c.tree_size.desc())
    for row in connection.execute(query):
        checkpoint, frontier = _checkpoint(row)
        if verify_checkpoint(checkpoint, public_key) and frontier.root() == checkpoint.root_hash:
            return checkpoint, frontier
    return None
