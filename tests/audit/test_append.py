"""One append path: gap-free sequence numbers, exact bytes, group commit (R-AUD-1)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select

from audit import store
from audit.committer import AuditUnavailable, GroupCommitter
from audit.entry import Record
from govern.db import make_engine
from tests.audit.conftest import AT, append_views, view

REPO = Path(__file__).resolve().parents[2]


def sequence(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.scalars(select(store.events.c.seq).order_by(store.events.c.seq)))


def test_r_aud_1_a_rolled_back_change_leaves_no_gap(
    service_engine: Engine, owner_engine: Engine
) -> None:
    append_views(service_engine, 3)
    with service_engine.connect() as connection:
        transaction = connection.begin()
        store.append(connection, [view(9)], AT)
        transaction.rollback()
    append_views(service_engine, 1)
    assert sequence(service_engine) == [1, 2, 3, 4]


def test_r_aud_1_entries_are_kept_byte_for_byte_as_hashed(
    service_engine: Engine, owner_engine: Engine
) -> None:
    append_views(service_engine, 1)
    with service_engine.connect() as connection:
        entry, leaf = connection.execute(
            select(store.events.c.entry, store.events.c.leaf_hash)
        ).one()
    entry = bytes(entry)
    assert bytes(leaf) == hashlib.sha256(b"\x00" + entry).digest()
    decoded = json.loads(entry)
    assert (
        entry
        == json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert decoded["seq"] == 1 and decoded["time"] == "2026-11-28T02:00:00.000000Z"
    assert set(decoded) == {
        "seq",
        "time",
        "actor",
        "action",
        "object",
        "details",
        "request_id",
        "client",
    }


def test_details_refuse_anything_but_plain_ids_and_names(
    service_engine: Engine, owner_engine: Engine
) -> None:
    with service_engine.begin() as connection, pytest.raises(TypeError):
        store.append(connection, [Record("x", "a", details={"amount": 12.5})], AT)
    assert sequence(service_engine) == []


def test_r_aud_1_concurrent_threads_get_unique_gap_free_numbers(
    service_engine: Engine, owner_engine: Engine
) -> None:
    def write() -> None:
        for i in range(25):
            append_views(service_engine, 2, i)

    threads = [threading.Thread(target=write) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sequence(service_engine) == list(range(1, 301))


def test_r_aud_1_two_processes_appending_at_once_stay_gap_free(
    service_engine: Engine, owner_engine: Engine, migrated: tuple[str, str], tmp_path: Path
) -> None:
    go = tmp_path / "go"
    command = [sys.executable, "-m", "tests.support.appender", migrated[0], "60"]
    writers = [subprocess.Popen([*command, name, str(go)], cwd=REPO) for name in ("one", "two")]
    go.touch()
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    assert sequence(service_engine) == list(range(1, 121))


def test_r_aud_1_group_commit_answers_only_after_the_commit(
    service_engine: Engine, owner_engine: Engine
) -> None:
    commits = []
    committer = GroupCommitter(service_engine, lambda: AT, after_commit=commits.append)
    numbers: list[int] = []
    lock = threading.Lock()

    def read(i: int) -> None:
        seq = committer.append(view(i))
        with service_engine.connect() as connection:  # durable: another connection sees it
            assert connection.scalar(select(store.events.c.seq).where(store.events.c.seq == seq))
        with lock:
            numbers.append(seq)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    committer.stop()
    assert sorted(numbers) == list(range(1, 41))
    assert sequence(service_engine) == list(range(1, 41))


def test_r_aud_1_reads_arriving_while_the_trail_is_locked_share_the_next_commit(
    service_engine: Engine, owner_engine: Engine
) -> None:
    """Whoever commits (the first read, on its own thread, the committer being idle) takes
    its events, then the trail's lock; whoever arrives while it waits for the lock is in the
    same commit, not the one after."""
    commits: list[int] = []
    committer = GroupCommitter(service_engine, lambda: AT, after_commit=commits.append)
    locking = threading.Event()  # the first read has its batch and goes for the lock

    def connected(connection: object) -> None:  # its first turn opens its connection
        if threading.current_thread() is not threading.main_thread():
            locking.set()

    event.listen(service_engine, "engine_connect", connected)
    try:
        with service_engine.connect() as holder:
            change = holder.begin()
            store.append(holder, [view(99)], AT)  # a change in flight holds the trail's lock
            reads = [threading.Thread(target=committer.append, args=(view(i),)) for i in range(3)]
            reads[0].start()
            assert locking.wait(10)
            for read in reads[1:]:
                read.start()
            deadline = time.monotonic() + 10
            while committer.waiting() < 2:
                assert time.monotonic() < deadline
                time.sleep(0.005)
            change.rollback()
        for read in reads:
            read.join()
    finally:
        event.remove(service_engine, "engine_connect", connected)
        committer.stop()
    assert [size for size in commits if size] == [3]
    assert sequence(service_engine) == [1, 2, 3]


def test_r_aud_1_a_read_that_cannot_have_the_trails_lock_in_time_fails_and_is_not_written(
    service_engine: Engine, owner_engine: Engine
) -> None:
    committer = GroupCommitter(service_engine, lambda: AT, lock_seconds=0.2)
    try:
        with service_engine.connect() as holder:
            change = holder.begin()
            store.append(holder, [view(99)], AT)  # a change in flight holds the trail's lock
            with pytest.raises(AuditUnavailable):
                committer.append(view(1), timeout=5)
            change.rollback()
        assert sequence(service_engine) == []
        assert committer.append(view(2)) == 1  # the next read, the lock free, is written
    finally:
        committer.stop()


def test_a_read_whose_event_cannot_be_written_fails(tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")
    committer = GroupCommitter(broken, lambda: AT)
    with pytest.raises(AuditUnavailable):
        committer.append(view(1), timeout=5)
    committer.stop()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "DELETE FROM audit_checkpoints",
    ],
)
def test_r_aud_2_the_service_cannot_change_or_delete_the_trail(
    service_engine: Engine, owner_engine: Engine, statement: str, signer, copy
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from audit.checkpointing import write_checkpoint

    append_views(service_engine, 2)
    write_checkpoint(service_engine, signer, copy, AT, force=True)
    with service_engine.connect() as connection, pytest.raises(DBAPIError):
        connection.execute(text(statement))
    assert sequence(service_engine) == [1, 2]


@pytest.mark.postgresql_only
def test_r_aud_2_on_postgresql_even_the_owner_is_stopped_by_the_trigger(
    service_engine: Engine, owner_engine: Engine
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    append_views(service_engine, 1)
    for statement in ("UPDATE audit_events SET action = 'x'", "TRUNCATE audit_events"):
        with owner_engine.connect() as connection, pytest.raises(DBAPIError) as refused:
            connection.execute(text(statement))
        assert "append-only" in str(refused.value)
    with service_engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text("TRUNCATE audit_events"))
    assert "permission denied" in str(refused.value)


def test_r_aud_2_the_owner_cannot_delete_an_event_without_a_removal_under_way(
    service_engine: Engine, owner_engine: Engine
) -> None:
    """The trigger itself refuses the owner's plain DELETE (and on SQLite, where there are no
    roles, anyone's): only a transaction that says it removes archived events may."""
    from sqlalchemy import delete, text
    from sqlalchemy.exc import DBAPIError

    append_views(service_engine, 2)
    with owner_engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(delete(store.events).where(store.events.c.seq == 1))
    assert "append-only" in str(refused.value)
    with owner_engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text("DELETE FROM audit_events"))
    assert "append-only" in str(refused.value)
    assert sequence(service_engine) == [1, 2]


def test_a_removal_deletes_up_to_its_boundary_and_nothing_else(
    service_engine: Engine, owner_engine: Engine
) -> None:
    """In a removal's transaction the events up to its boundary may go, none after it, and
    no event may be changed; once it ends (or says it is done) a DELETE is refused again."""
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    events = store.events
    append_views(service_engine, 3)
    for refused_change in (
        delete(events).where(events.c.seq == 3),
        update(events).where(events.c.seq == 1).values(action="x"),
    ):
        with owner_engine.begin() as connection, pytest.raises(DBAPIError) as refused:
            store.removing(connection, 2)
            connection.execute(refused_change)
        assert "append-only" in str(refused.value)
    with owner_engine.begin() as connection:
        store.removing(connection, 1)
        assert connection.execute(delete(events).where(events.c.seq <= 1)).rowcount == 1
        store.removing(connection, None)
        with pytest.raises(DBAPIError), connection.begin_nested():
            connection.execute(delete(events).where(events.c.seq == 2))
    with owner_engine.connect() as connection, pytest.raises(DBAPIError):
        connection.execute(delete(events).where(events.c.seq == 2))
    assert sequence(service_engine) == [2, 3]


def test_an_entry_encoded_before_its_number_is_the_entry_encoded_with_it() -> None:
    """Encoding happens outside the trail's lock; the spliced bytes must be exactly canonical."""
    from audit.entry import encode, prepare_all

    tricky = Record(
        "x.y", "A", "B", {"seq": 0, "time": "t", "fields": {"seq": "full"}}, 'r,"seq":0,', "c"
    )
    unicode = Record("x.y", "账户-7", "债务人-8", {"note": "逾期 ✓", "n": [1, None, True]})
    records = [view(1), tricky, unicode, Record("z", None)]
    for seq in (1, 9, 10, 123_456_789):
        for offset, prepared in enumerate(prepare_all(records, AT)):
            assert prepared.entry(seq + offset) == encode(seq + offset, AT, records[offset])


def test_checkpoints_failing_through_an_outage_are_told_once_then_once_back(
    service_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """An outage of the checkpoint's signing (its database, its file) is one ERROR line with
    its traceback, not one a second; its end is one line too."""
    failing, asked = [True], threading.Semaphore(0)

    def sign(_committed: int) -> None:
        asked.release()  # after each commit, on the committer's thread, once its callers are told
        if failing[0]:
            raise OSError("the checkpoint file cannot be written")

    committer = GroupCommitter(service_engine, lambda: AT, after_commit=sign)
    try:
        with caplog.at_level("WARNING", logger="audit.committer"):
            for i in range(4):
                committer.append(view(i))
                assert asked.acquire(timeout=5)
            failing[0] = False
            committer.append(view(4))
            assert asked.acquire(timeout=5)
    finally:
        committer.stop()
    told = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "audit.committer"]
    assert told == [
        ("ERROR", "audit checkpoint failed; the next one will cover these events"),
        ("WARNING", "audit checkpoints are signed again"),
    ]


@pytest.mark.postgresql_only
def test_r_aud_1_a_kept_connection_the_database_dropped_is_replaced_without_failing_a_read(
    service_engine: Engine, owner_engine: Engine
) -> None:
    """The committer keeps its connection between commits; the database ending it while idle
    (a restart, a failover, an administrator) must not fail the next read: nothing of its
    batch was written on the lost connection, so the batch is tried once on a new one."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tests.conftest import POSTGRES_ADMIN

    committer = GroupCommitter(service_engine, lambda: AT)
    admin = create_engine(POSTGRES_ADMIN.replace("postgresql://", "postgresql+psycopg://"))
    url = make_url(str(service_engine.url))
    try:
        assert committer.append(view(1)) == 1
        with admin.begin() as connection:
            ended = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :database AND usename = :role"
                ),
                {"database": url.database, "role": url.username},
            ).scalar_one()
        assert ended >= 1  # the committer's connection among them
        assert committer.append(view(2)) == 2
    finally:
        committer.stop()
        admin.dispose()
    assert sequence(service_engine) == [1, 2]


def test_commits_failing_through_an_outage_are_told_with_a_traceback_once(
    service_engine: Engine, owner_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Every read of an outage fails its commit: the first failure is logged with its
    traceback, the others a line each, and the first commit that succeeds again is told."""
    from sqlalchemy import text

    committer = GroupCommitter(service_engine, lambda: AT)
    try:
        with caplog.at_level("WARNING", logger="audit.committer"):
            with owner_engine.begin() as connection:
                connection.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
            try:
                for i in range(3):
                    with pytest.raises(AuditUnavailable):
                        committer.append(view(i), timeout=5)
            finally:
                with owner_engine.begin() as connection:
                    connection.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
            assert committer.append(view(3)) == 1
    finally:
        committer.stop()
    told = [
        (r.levelname, r.getMessage().split(":")[0], r.exc_info is not None)
        for r in caplog.records
        if r.name == "audit.committer"
    ]
    assert told == [
        ("ERROR", "audit group commit failed", True),
        ("ERROR", "audit group commit failed again", False),
        ("ERROR", "audit group commit failed again", False),
        ("WARNING", "audit group commits succeed again", False),
    ]
