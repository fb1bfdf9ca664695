"""Tamper evidence (R-AUD-2): each kind of tampering, done directly in the database, is found."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, delete, select, update

from audit import store
from audit.checkpointing import CheckpointFile, complete_copy, write_checkpoint
from audit.entry import Record, encode
from audit.merkle import (
    consistency_path,
    inclusion_path,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from audit.proofs import export_bundle
from audit.report import Report
from audit.signing import Signer
from audit.verify import signed_checkpoints, verify_trail
from tests.audit.conftest import AT, append_views
from tests.support.database import as_owner_without_triggers
from tests.support.tally import Counted

events = store.events


@pytest.fixture
def trail(
    service_engine: Engine, owner_engine: Engine, signer: Signer, copy: CheckpointFile
) -> Callable[[], Report]:
    """30 events with checkpoints at 10, 20 and 30, then 5 unanchored; returns a verifier."""
    for batch in range(3):
        append_views(service_engine, 10, batch * 10)
        write_checkpoint(service_engine, signer, copy, AT, force=True)
    append_views(service_engine, 5, 30)

    def verify() -> Report:
        with service_engine.connect() as connection:
            return verify_trail(connection, signer.public_key, copy.read())

    return verify


def tamper(owner: Engine, change: Callable[[Connection], None]) -> None:
    as_owner_without_triggers(owner, change)


def entry_of(connection: Connection, seq: int) -> bytes:
    return bytes(connection.scalar(select(events.c.entry).where(events.c.seq == seq)))


def test_r_aud_2_an_untouched_trail_verifies(trail: Callable[[], Report]) -> None:
    report = trail()
    assert report.ok, report.problems
    assert (report.events, report.anchored_to, report.unanchored, report.checkpoints) == (
        35,
        30,
        5,
        3,
    )


def test_r_aud_2_a_changed_entry_is_found_at_its_number(trail, owner_engine) -> None:
    def change(connection: Connection) -> None:
        forged = entry_of(connection, 14).replace(b"debtor-13", b"debtor-99")
        connection.execute(update(events).where(events.c.seq == 14).values(entry=forged))

    tamper(owner_engine, change)
    problem = trail().first_problem
    assert (problem.seq, problem.kind) == (14, "changed")


def test_r_aud_2_a_change_with_its_hash_recomputed_breaks_the_checkpoint(trail, owner_engine):
    def change(connection: Connection) -> None:
        forged = entry_of(connection, 14).replace(b"debtor-13", b"debtor-99")
        connection.execute(
            update(events)
            .where(events.c.seq == 14)
            .values(entry=forged, leaf_hash=leaf_hash(forged))
        )

    tamper(owner_engine, change)
    problem = trail().first_problem
    assert (problem.seq, problem.kind) == (11, "changed")  # located within its window 11..20,
    assert "11..16 do not match the checkpoint at size 20" in problem.message  # to its subtree


def test_r_aud_2_a_deleted_event_is_missing(trail, owner_engine) -> None:
    tamper(owner_engine, lambda c: c.execute(delete(events).where(events.c.seq == 7)))
    problem = trail().first_problem
    assert (problem.seq, problem.kind) == (7, "missing")


def test_r_aud_2_a_deletion_hidden_by_renumbering_is_missing(trail, owner_engine) -> None:
    def renumber(connection: Connection) -> None:
        connection.execute(delete(events).where(events.c.seq == 7))
        for seq in range(8, 36):
            connection.execute(update(events).where(events.c.seq == seq).values(seq=seq - 1))

    tamper(owner_engine, renumber)
    problem = trail().first_problem
    assert (problem.seq, problem.kind) == (7, "missing")


def test_r_aud_2_an_inserted_event_is_found(trail, owner_engine) -> None:
    def insert_forged(connection: Connection) -> None:
        for seq in range(35, 11, -1):
            connection.execute(update(events).where(events.c.seq == seq).values(seq=seq + 1))
        forged = encode(12, AT, Record("debtor.viewed", "GV-FAKE-0000", "debtor-x"))
        connection.execute(
            events.insert().values(
                seq=12,
                at_us=0,
                actor="GV-FAKE-0000",
                action="debtor.viewed",
                object="debtor-x",
                entry=forged,
                leaf_hash=leaf_hash(forged),
            )
        )

    tamper(owner_engine, insert_forged)
    problem = trail().first_problem
    assert (problem.seq, problem.kind) == (12, "inserted")


def test_r_aud_2_reordered_events_are_found(trail, owner_engine) -> None:
    def swap(connection: Connection) -> None:
        a, b = entry_of(connection, 22), entry_of(connection, 25)
        connection.execute(
            update(events).where(events.c.seq == 22).values(entry=b, leaf_hash=leaf_hash(b))
        )
        connection.execute(
            update(events).where(events.c.seq == 25).values(entry=a, leaf_hash=leaf_hash(a))
        )

    tamper(owner_engine, swap)
    problem = trail().first_problem
    assert (problem.seq, problem.kind) == (22, "reordered")


def test_r_aud_2_cutting_events_off_the_end_is_truncation(trail, owner_engine) -> None:
    tamper(owner_engine, lambda c: c.execute(delete(events).where(events.c.seq > 26)))
    report = trail()
    assert (report.first_problem.seq, report.first_problem.kind) == (27, "truncated")


def test_r_aud_2_a_forged_checkpoint_signature_is_found(trail, owner_engine) -> None:
    tamper(
        owner_engine,
        lambda c: c.execute(
            update(store.checkpoints)
            .where(store.checkpoints.c.tree_size == 20)
            .values(signature=bytes(64))
        ),
    )
    kinds = {(p.seq, p.kind) for p in trail().problems}
    assert (20, "bad signature") in kinds


def test_r_aud_2_deleting_checkpoints_and_events_together_is_still_found(
    trail, owner_engine
) -> None:
    def cover_up(connection: Connection) -> None:
        connection.execute(delete(events).where(events.c.seq > 15))
        connection.execute(delete(store.checkpoints).where(store.checkpoints.c.tree_size > 15))

    tamper(owner_engine, cover_up)
    kinds = {(p.seq, p.kind) for p in trail().problems}
    assert (16, "truncated") in kinds  # the copy outside the database still signs 30 events
    assert (20, "checkpoint missing") in kinds and (30, "checkpoint missing") in kinds


def test_a_range_is_verified_from_the_checkpoint_before_it(trail, service_engine, signer, copy):
    with service_engine.connect() as connection:
        report = verify_trail(connection, signer.public_key, copy.read(), first=12, last=18)
    assert report.ok and report.events == 10 and report.anchored_to == 20


def test_a_crash_between_append_and_checkpoint_is_completed_at_the_next_start(
    service_engine, owner_engine, signer, copy
) -> None:
    append_views(service_engine, 8)
    with service_engine.connect() as connection:
        assert verify_trail(connection, signer.public_key, copy.read()).unanchored == 8
    # A crash after the database commit but before the file copy: the next start repairs it.
    with service_engine.begin() as connection:
        from audit.merkle import Frontier

        frontier = Frontier()
        for leaf in store.leaf_hashes(connection, 1, 8):
            frontier.append(leaf)
        store.save_checkpoint(connection, signer.sign(8, frontier.root(), AT), frontier)
    assert copy.read() == [] and complete_copy(service_engine, signer, copy) == 1
    assert [c.tree_size for c in copy.read()] == [8]
    with service_engine.connect() as connection:
        report = verify_trail(connection, signer.public_key, copy.read())
    assert report.ok and report.unanchored == 0


def test_checkpoints_follow_their_cadence(service_engine, owner_engine, signer, copy) -> None:
    append_views(service_engine, 3)
    assert write_checkpoint(service_engine, signer, copy, AT, every=5).tree_size == 3  # first
    append_views(service_engine, 3)
    assert write_checkpoint(service_engine, signer, copy, AT, every=5) is None  # 3 < 5, 0 s
    assert (
        write_checkpoint(service_engine, signer, copy, AT + timedelta(seconds=1), every=5).tree_size
        == 6
    )
    append_views(service_engine, 5)
    assert write_checkpoint(service_engine, signer, copy, AT, every=5).tree_size == 11
    assert write_checkpoint(service_engine, signer, copy, AT, every=5) is None  # nothing new


def test_r_aud_2_proofs_verify_offline(trail, service_engine, signer, copy) -> None:
    checkpoints = {c.tree_size: c for c in copy.read()}
    with service_engine.connect() as connection:

        def subtree(begin: int, end: int) -> bytes:
            return store.subtree_hash(connection, begin, end)

        leaf = leaf_hash(entry_of(connection, 17))
        path = inclusion_path(16, 30, subtree)
        proof = consistency_path(10, 30, subtree)
    assert verify_inclusion(16, 30, leaf, path, checkpoints[30].root_hash)
    assert verify_consistency(10, 30, checkpoints[10].root_hash, checkpoints[30].root_hash, proof)


def test_r_aud_2_an_edited_field_column_is_found(trail, owner_engine) -> None:
    """Investigations read the field columns: hiding who saw a phone there is tampering too."""
    tamper(
        owner_engine,
        lambda c: c.execute(
            update(events).where(events.c.seq == 9).values(fields=";name=masked;phone=masked;")
        ),
    )
    problem = trail().first_problem
    assert (problem.seq, problem.kind) == (9, "index changed")


def test_r_aud_2_verifying_in_parallel_windows_finds_the_same(
    trail, service_engine, signer, copy, owner_engine
) -> None:
    def parallel() -> Report:
        with service_engine.connect() as connection:
            return verify_trail(
                connection, signer.public_key, copy.read(), workers=2, parallel_from=1
            )

    clean = parallel()
    assert clean.ok and (clean.events, clean.anchored_to, clean.unanchored) == (35, 30, 5)

    def change(connection: Connection) -> None:
        forged = entry_of(connection, 24).replace(b"debtor-23", b"debtor-99")
        connection.execute(
            update(events)
            .where(events.c.seq == 24)
            .values(entry=forged, leaf_hash=leaf_hash(forged))
        )

    tamper(owner_engine, change)
    problem = parallel().first_problem
    assert (problem.seq, problem.kind) == (21, "changed")


@pytest.mark.parametrize(("workers", "check_index"), [(1, True), (1, False), (2, True)])
def test_a_long_verification_says_how_far_it_is_until_done(
    trail, service_engine, signer, copy, workers, check_index
) -> None:
    counted = Counted()
    with service_engine.connect() as connection:
        report = verify_trail(
            connection,
            signer.public_key,
            copy.read(),
            check_index=check_index,
            workers=workers,
            parallel_from=1,
            tally=counted,
        )
    assert report.ok
    passes = 2 if check_index else 1
    assert counted.total == sum(counted.steps) == 35 * passes
    assert len(counted.steps) > 1  # heard as it goes, not once at the end


@pytest.mark.parametrize("workers", [1, 2])
def test_r_aud_2_events_deleted_at_the_edge_of_a_window_are_missing(
    trail, service_engine, signer, copy, owner_engine, workers
) -> None:
    """Deleting the last events before a checkpoint must not hide behind the next window."""

    def cut(connection: Connection) -> None:
        connection.execute(delete(events).where(events.c.seq.in_([19, 20])))

    tamper(owner_engine, cut)
    with service_engine.connect() as connection:
        whole = verify_trail(
            connection, signer.public_key, copy.read(), workers=workers, parallel_from=1
        )
        part = verify_trail(connection, signer.public_key, copy.read(), first=12, last=18)
    assert (whole.first_problem.seq, whole.first_problem.kind) == (19, "missing")
    assert (part.first_problem.seq, part.first_problem.kind) == (19, "missing")


def test_r_aud_2_a_forged_event_framing_someone_is_found(
    trail, owner_engine, service_engine
) -> None:
    with service_engine.begin() as connection:  # the service role may insert: so may an intruder
        connection.execute(
            events.insert().values(
                seq=10**12,
                at_us=0,
                actor="GV-INNO-CENT",
                action="debtor.viewed",
                object="debtor-1",
                entry=b"{}",
                leaf_hash=bytes(32),
                fields=";phone=full;",
            )
        )
    problem = trail().first_problem
    assert (problem.seq, problem.kind) == (36, "missing")


def test_r_aud_2_a_rewritten_search_column_is_found(trail, owner_engine) -> None:
    tamper(
        owner_engine,
        lambda c: c.execute(
            update(events).where(events.c.seq == 17).values(actor="GV-SOME-ONEELSE")
        ),
    )
    problem = trail().first_problem
    assert (problem.seq, problem.kind) == (17, "changed")


def test_a_bogus_checkpoint_row_does_not_stop_checkpoints(
    service_engine, owner_engine, signer, copy
) -> None:
    append_views(service_engine, 5)
    with service_engine.begin() as connection:
        connection.execute(
            store.checkpoints.insert().values(
                tree_size=10**12,
                root_hash=bytes(32),
                time="2026-11-28T00:00:00.000000Z",
                key_id="forged",
                signature=bytes(64),
                frontier=b"",
            )
        )
    written = write_checkpoint(service_engine, signer, copy, AT, force=True)
    assert written is not None and written.tree_size == 5


def test_r_aud_2_proofs_come_from_noted_nodes_and_still_verify(
    service_engine, owner_engine, signer, copy
) -> None:
    """Checkpoints note the hashes of complete subtrees, so proofs need O(log n) reads."""
    from audit.merkle import root_of

    append_views(service_engine, 300)
    write_checkpoint(service_engine, signer, copy, AT, force=True)
    append_views(service_engine, 400, 300)
    checkpoint = write_checkpoint(service_engine, signer, copy, AT, force=True)
    with service_engine.connect() as connection:
        noted = sorted(connection.execute(select(store.nodes.c.start, store.nodes.c.size)))
        leaves = store.leaf_hashes(connection, 1, 700)

        def subtree(begin: int, end: int) -> bytes:
            return store.subtree_hash(connection, begin, end)

        for seq in (1, 256, 257, 512, 513, 700):
            path = inclusion_path(seq - 1, 700, subtree)
            assert path == inclusion_path(seq - 1, 700, lambda b, e: root_of(leaves[b:e]))
            assert verify_inclusion(seq - 1, 700, leaves[seq - 1], path, checkpoint.root_hash)
    assert noted == [(0, 256), (0, 512), (256, 256)]


# One tampered window in a long trail: it is named alone, and the windows after it are intact.

CHECKPOINTS_AT = (21, 70, 92, 93, 94, 95, 110)  # uneven, as a busy service signs them


@pytest.fixture
def long_trail(service_engine: Engine, signer: Signer, copy: CheckpointFile) -> None:
    """116 events: checkpoints at CHECKPOINTS_AT, then 6 unanchored."""
    appended = 0
    for size in CHECKPOINTS_AT:
        append_views(service_engine, size - appended, appended)
        write_checkpoint(service_engine, signer, copy, AT, force=True)
        appended = size
    append_views(service_engine, 6, appended)


def rewrite_with_hashes(connection: Connection) -> None:
    """Event 69 says another debtor; its hash and searchable column are made to agree."""
    forged = entry_of(connection, 69).replace(b"debtor-68", b"debtor-99")
    connection.execute(
        update(events)
        .where(events.c.seq == 69)
        .values(entry=forged, leaf_hash=leaf_hash(forged), object="debtor-99")
    )


def edit_payload(connection: Connection) -> None:
    """Event 69's bytes only: the phone it showed in full now reads as masked."""
    forged = entry_of(connection, 69).replace(b'"phone":"full"', b'"phone":"masked"')
    connection.execute(update(events).where(events.c.seq == 69).values(entry=forged))


def swap_rows(connection: Connection) -> None:
    """Rows 66 and 69 trade their numbers, every column with them."""
    for old, new in ((66, -1), (69, 66), (-1, 69)):
        connection.execute(update(events).where(events.c.seq == old).values(seq=new))


def verify_long_trail(engine: Engine, signer: Signer, copy: CheckpointFile, workers: int):
    with engine.connect() as connection:
        return verify_trail(
            connection, signer.public_key, copy.read(), workers=workers, parallel_from=1
        )


def windows(report: Report, state: str) -> list[tuple[int, int]]:
    return [(w.first, w.last) for w in report.windows_in(state)]


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize(
    ("change", "found"),
    [
        (rewrite_with_hashes, {(69, "changed", "events 69..70 do not match the checkpoint")}),
        (
            edit_payload,
            {
                (69, "changed", "event 69 no longer matches its hash"),
                (69, "index changed", "what queries read of event 69 differs"),
            },
        ),
        (
            swap_rows,
            {
                (66, "reordered", "event 66 holds event 69"),
                (69, "reordered", "event 69 holds event 66"),
            },
        ),
    ],
    ids=["rewrite-with-hashes", "payload-only", "swap-of-two-rows"],
)
def test_r_aud_2_one_tampered_event_names_its_window_alone_and_the_later_ones_intact(
    long_trail, service_engine, owner_engine, signer, copy, change, found, workers
) -> None:
    """R-AUD-2: verify restarts each window from its own signed checkpoint, so an event
    tampered with in the middle of the trail is named, with its window only."""
    tamper(owner_engine, change)
    report = verify_long_trail(service_engine, signer, copy, workers)
    assert {(p.seq, p.kind) for p in report.problems} == {(s, k) for s, k, _ in found}
    for seq, kind, words in found:
        assert any(words in p.message for p in report.problems if (p.seq, p.kind) == (seq, kind))
    assert windows(report, "tampered") == [(22, 70)]
    assert windows(report, "intact") == [(1, 21), (71, 92), (93, 93), (94, 94), (95, 95), (96, 110)]
    assert (report.events, report.anchored_to, report.unanchored) == (116, 110, 6)


def test_r_aud_2_two_tampered_windows_are_named_and_only_they(
    long_trail, service_engine, owner_engine, signer, copy
) -> None:
    def two_edits(connection: Connection) -> None:
        rewrite_with_hashes(connection)
        forged = entry_of(connection, 100).replace(b"req-99", b"req-00")
        connection.execute(
            update(events)
            .where(events.c.seq == 100)
            .values(entry=forged, leaf_hash=leaf_hash(forged))
        )

    tamper(owner_engine, two_edits)
    report = verify_long_trail(service_engine, signer, copy, 1)
    assert {(p.seq, p.kind) for p in report.problems} == {(69, "changed"), (97, "changed")}
    assert windows(report, "tampered") == [(22, 70), (96, 110)]
    assert len(windows(report, "intact")) == 5


def test_r_aud_2_a_window_with_no_trusted_start_is_unchecked_not_called_tampered(
    long_trail, service_engine, owner_engine, signer, copy
) -> None:
    """When the events and the stored frontier of the checkpoint after them are both forged,
    the next window has no trusted state to start from: it is said to be unchecked, and the
    windows after the next sound checkpoint are intact again."""

    def cover_up(connection: Connection) -> None:
        rewrite_with_hashes(connection)
        connection.execute(
            update(store.checkpoints)
            .where(store.checkpoints.c.tree_size == 70)
            .values(frontier=bytes(32 * 3))
        )

    tamper(owner_engine, cover_up)
    report = verify_long_trail(service_engine, signer, copy, 1)
    assert {(p.seq, p.kind) for p in report.problems} == {
        (22, "changed"),  # no signed frontier at 70 to narrow it down with
        (70, "checkpoint changed"),
        (71, "unchecked"),
    }
    assert (windows(report, "tampered"), windows(report, "unchecked")) == ([(22, 70)], [(71, 92)])
    assert windows(report, "intact") == [(1, 21), (93, 93), (94, 94), (95, 95), (96, 110)]


@pytest.mark.parametrize("workers", [1, 3])
def test_r_aud_2_a_forged_stored_frontier_alone_is_named_and_taints_no_window(
    long_trail, service_engine, owner_engine, signer, copy, workers
) -> None:
    """A checkpoint's stored frontier is what windows (and parallel workers) start from: a
    forged one is reported, and nothing starts from it."""
    tamper(
        owner_engine,
        lambda c: c.execute(
            update(store.checkpoints)
            .where(store.checkpoints.c.tree_size == 70)
            .values(frontier=bytes(32 * 3))
        ),
    )
    report = verify_long_trail(service_engine, signer, copy, workers)
    assert {(p.seq, p.kind) for p in report.problems} == {(70, "checkpoint changed")}
    assert windows(report, "intact") == [
        (1, 21),
        (22, 70),
        (71, 92),
        (93, 93),
        (94, 94),
        (95, 95),
        (96, 110),
    ]


def test_an_export_says_how_far_it_is_until_every_event_is_written(
    trail, service_engine, signer, copy, tmp_path
) -> None:
    counted = Counted()
    with service_engine.connect() as connection:
        checkpoints = signed_checkpoints(connection, copy.read(), signer.public_key)
        export_bundle(connection, checkpoints, 3, 33, b"key", tmp_path / "bundle", counted)
    lines = (tmp_path / "bundle" / "events.jsonl").read_bytes().splitlines()
    assert counted.total == sum(counted.steps) == len(lines) == 31
