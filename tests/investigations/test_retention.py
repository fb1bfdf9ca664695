"""Retention of the trail: windows past the retention period archived as signed bundles that
verify offline, legal holds on investigations that keep their events, four eyes to release a
hold (docs/governance.md, "Retention")."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from audit import store
from govern.auditing import retention
from govern.config import Settings
from govern.investigations.models import LegalHold
from tests.auditing.test_cli import govern, offline
from tests.investigations.test_investigation_approval import SECOND, call, desk, rehire
from tests.support.database import as_owner_without_triggers
from tests.support.floor import Floor
from tests.support.pages import HTTPS, csrf_token, page_session

__all__ = ["desk"]  # the fixture, with a second auditor

HOLD = "/api/v1/audit/investigations/{}/hold"
ENGLISH = {"Accept-Language": "en"}


def years_later(floor: Floor, years: int = 6) -> None:
    """The old trail signed, then the clock `years` on, new events and their checkpoint: the
    trail now has windows past retention and one within it."""
    trail = floor.agency.services.trail
    trail.checkpoint_now()
    floor.clock.advance(days=365 * years + 2)
    floor.agency.login("col.a1")
    trail.checkpoint_now()


def archive(floor: Floor, tmp_path: Path, *flags: str) -> Result:
    """`govern audit archive --to <tmp_path>/archive` with `flags` (the test's clock is years
    from the database's: trusted, see test_a_clock_the_database_contradicts_is_refused)."""
    folder = str(tmp_path / "archive")
    trusted = ("--trust-clock",) if {"--apply", "--write"} & set(flags) else ()
    return govern(floor.agency.app, "audit", "archive", "--to", folder, *flags, *trusted)


def remove(floor: Floor, bundle: Path) -> Result:
    """`govern audit archive --remove BUNDLE` (the clock trusted, as `archive`)."""
    return govern(floor.agency.app, "audit", "archive", "--remove", str(bundle), "--trust-clock")


def old_end(floor: Floor) -> int:
    """The last event of the windows signed before the clock moved (the second newest
    checkpoint's size)."""
    return [c.tree_size for c in floor.agency.services.trail.copy.read()][-2]


def test_a_dry_run_says_what_would_be_archived_and_writes_nothing(
    floor: Floor, tmp_path: Path
) -> None:
    years_later(floor)
    folder = tmp_path / "archive"
    result = govern(floor.agency.app, "audit", "archive", "--to", str(folder))
    assert result.exit_code == 0, result.output
    assert f"would archive events 1..{old_end(floor)}" in result.output
    assert "dry run: nothing written" in result.output
    assert not folder.exists()
    explicit = govern(floor.agency.app, "audit", "archive", "--to", str(folder), "--dry-run")
    assert explicit.exit_code == 0 and not folder.exists()


def test_nothing_is_archived_within_the_retention_period(floor: Floor, tmp_path: Path) -> None:
    years_later(floor, years=4)
    result = archive(floor, tmp_path, "--apply")
    assert result.exit_code == 0, result.output
    assert "archived nothing" in result.output
    assert not (tmp_path / "archive").exists()


def test_the_archive_verifies_offline_and_chains_to_the_newest_checkpoint(
    floor: Floor, tmp_path: Path, owner_engine: Engine
) -> None:
    years_later(floor)
    end = old_end(floor)
    newest = floor.agency.services.trail.copy.read()[-1].tree_size
    result = archive(floor, tmp_path, "--apply")
    assert result.exit_code == 0, result.output
    bundle = tmp_path / "archive" / f"trail-1-{end}"
    assert f"OK: {bundle} verifies" in result.output
    proof = json.loads((bundle / "consistency.json").read_text())
    assert (proof["old"]["tree_size"], proof["new"]["tree_size"]) == (end, newest)
    key = tmp_path / "service_public_key.pem"
    key.write_bytes(floor.agency.services.trail.public_key_pem())
    checked = offline(str(bundle), "--key", str(key))  # the published key pinned
    assert checked.returncode == 0 and checked.stdout.startswith("OK"), checked.stdout
    assert f"removed {end} archived events from the database" in result.output
    verify = govern(floor.agency.app, "audit", "verify")
    assert verify.exit_code == 0 and "OK: the trail is intact" in verify.output, verify.output
    report = json.loads(govern(floor.agency.app, "audit", "verify", "--json").output)
    assert report["ok"] and report["problems"] == []
    assert report["events"] + end == report["anchored_to"] + report["unanchored"]
    archived = _events(floor, "audit.trail_archived")
    assert [e["details"]["last"] for e in archived] == [end]
    with owner_engine.connect() as connection, pytest.raises(DBAPIError):  # triggers back
        connection.execute(delete(store.events).where(store.events.c.seq == end + 1))
    assert govern(floor.agency.app, "audit", "prove", str(end + 1)).exit_code == 0


def test_a_second_archive_goes_on_from_the_first(floor: Floor, tmp_path: Path) -> None:
    """Years later again, the windows kept the first time are archived and removed in turn;
    the archive's proof reaches back over the removed events through the hashes noted at
    their removal."""
    years_later(floor)
    first_end = old_end(floor)
    assert archive(floor, tmp_path, "--apply").exit_code == 0
    years_later(floor)
    second_end = old_end(floor)
    result = archive(floor, tmp_path, "--apply")
    assert result.exit_code == 0, result.output
    assert f"archived events {first_end + 1}..{second_end}" in result.output
    bundle = tmp_path / "archive" / f"trail-{first_end + 1}-{second_end}"
    assert offline(str(bundle)).returncode == 0
    assert govern(floor.agency.app, "audit", "verify").exit_code == 0


@pytest.mark.postgresql_only
def test_the_service_role_cannot_remove_and_says_whose_rights_it_needs(
    floor: Floor, settings: Settings, another_app: Callable[[Settings], Flask], tmp_path: Path
) -> None:
    """Removal runs as the trail's owner: pointed at the service role, it is refused, the
    archive is kept and nothing is removed."""
    years_later(floor)
    service = another_app(replace(settings, migration_database_url=settings.database_url))
    to = str(tmp_path / "archive")
    result = govern(service, "audit", "archive", "--to", to, "--apply", "--trust-clock")
    assert result.exit_code == 1 and "[retention.not_owner]" in result.output, result.output
    report = json.loads(govern(floor.agency.app, "audit", "verify", "--json").output)
    assert report["ok"] and report["anchored_to"] + report["unanchored"] == report["events"]
    again = archive(floor, tmp_path, "--apply")  # as the owner: the bundle reused, removed
    assert again.exit_code == 0 and "removed" in again.output, again.output
    assert govern(floor.agency.app, "audit", "verify").exit_code == 0


def test_events_deleted_without_a_signed_archive_are_missing(
    floor: Floor, owner_engine: Engine
) -> None:
    """Removing a prefix is retention only when a signed `audit.trail_archived` event names
    it: a prefix deleted otherwise, even at a checkpoint, is reported missing."""
    years_later(floor)
    end = old_end(floor)

    def cut(connection: Connection) -> None:
        connection.execute(delete(store.events).where(store.events.c.seq <= end))

    as_owner_without_triggers(owner_engine, cut)
    result = govern(floor.agency.app, "audit", "verify")
    assert result.exit_code == 1 and "missing" in result.output


def test_a_tampered_archive_fails_offline(floor: Floor, tmp_path: Path) -> None:
    years_later(floor)
    archive(floor, tmp_path, "--apply")
    bundle = next((tmp_path / "archive").iterdir())
    events = bundle / "events.jsonl"
    events.write_bytes(events.read_bytes().replace(b'"time":"2026', b'"time":"2025', 1))
    assert offline(str(bundle)).returncode == 1
    events.write_bytes(events.read_bytes().replace(b'"time":"2025', b'"time":"2026', 1))
    assert offline(str(bundle)).returncode == 0
    chain = bundle / "consistency.json"
    proof = json.loads(chain.read_text())
    assert proof["proof"], "a proof with nothing to tamper with proves nothing here"
    first = proof["proof"][0]
    proof["proof"][0] = ("1" if first[0] == "0" else "0") + first[1:]  # one nibble flipped
    chain.write_text(json.dumps(proof))
    checked = offline(str(bundle))
    assert checked.returncode == 1 and "PROBLEM" in checked.stdout


def test_nothing_is_archived_when_the_folder_cannot_be_written(
    floor: Floor, tmp_path: Path
) -> None:
    years_later(floor)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    to = str(blocked / "archive")
    result = govern(floor.agency.app, "audit", "archive", "--to", to, "--apply", "--trust-clock")
    assert result.exit_code == 1
    assert "[retention.folder]" in result.output
    assert _events(floor, "audit.trail_archived") == []
    assert govern(floor.agency.app, "audit", "verify").exit_code == 0


def test_a_held_investigation_keeps_its_events_until_a_second_person_releases_it(
    floor: Floor, tmp_path: Path
) -> None:
    """The investigation's period (the last 90 days) covers the whole old trail: nothing is
    archived while the hold stands; its placer cannot release it, the general manager can."""
    opened = floor.call(
        "POST",
        "/api/v1/audit/investigations",
        "auditor",
        json={"debtor_ids": [floor.debtors["C-001"]], "fields": ["phones"]},
    )[1]["id"]
    status, hold = floor.call("POST", HOLD.format(opened), "auditor")
    assert status == 200 and hold["investigation"] == opened and hold["released_at"] is None
    assert floor.call("POST", HOLD.format(opened), "auditor")[1]["error"]["code"] == "hold.standing"
    years_later(floor)
    end = old_end(floor)
    kept = archive(floor, tmp_path, "--apply")
    assert kept.exit_code == 0, kept.output
    assert "archived nothing" in kept.output and "kept under a legal hold" in kept.output
    assert not (tmp_path / "archive").exists()

    release = HOLD.format(opened) + "/release"
    status, refused = floor.call("POST", release, "auditor")
    assert (status, refused["error"]["code"]) == (403, "hold.own_release")
    status, released = floor.call("POST", release, "gm")
    assert status == 200 and released["released_by"] == floor.ids["gm"]
    assert floor.call("POST", release, "gm")[1]["error"]["code"] == "hold.none"
    assert [e["object"] for e in _events(floor, "audit.hold_placed")] == [opened]
    assert [e["actor"] for e in _events(floor, "audit.hold_released")] == [floor.ids["gm"]]
    archived = archive(floor, tmp_path, "--apply")
    assert f"archived events 1..{end}" in archived.output, archived.output
    assert _events(floor, "audit.hold_placed") == []  # archived with its window


def test_holds_are_for_auditors_and_name_a_real_investigation(floor: Floor) -> None:
    status, body = floor.call("POST", HOLD.format("IV-NONE"), "auditor")
    assert (status, body["error"]["code"]) == (404, "investigation.unknown")
    opened = floor.investigation(["C-001"], ["phones"])
    status, body = floor.call("POST", HOLD.format(opened), "col.a1")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")


def test_an_auditor_places_a_hold_from_the_console_and_cannot_release_their_own(
    floor: Floor,
) -> None:
    opened = floor.call(
        "POST",
        "/api/v1/audit/investigations",
        "auditor",
        json={"debtor_ids": [floor.debtors["C-001"]], "fields": ["phones"]},
    )[1]["id"]
    page_session(floor.agency, "auditor")
    address = f"/audit/leaks/{opened}"
    client = floor.agency.client

    def press(action: str) -> int:
        form = client.get(address, base_url=HTTPS).get_data(as_text=True)
        return client.post(
            f"{address}/{action}",
            base_url=HTTPS,
            data={"csrf_token": csrf_token(form)},
            headers={"Referer": f"{HTTPS}{address}"},
        ).status_code

    before = client.get(address, base_url=HTTPS, headers=ENGLISH).get_data(as_text=True)
    assert 'data-hold="none"' in before and "Place a legal hold" in before
    assert press("hold") == 302
    after = client.get(address, base_url=HTTPS, headers=ENGLISH).get_data(as_text=True)
    assert 'data-hold="standing"' in after and "Release the legal hold" in after
    assert press("hold/release") == 403  # four eyes: not the one who placed it
    still = client.get(address, base_url=HTTPS).get_data(as_text=True)
    assert 'data-hold="standing"' in still
    assert [e["object"] for e in _events(floor, "audit.hold_placed")] == [opened]


def _events(floor: Floor, action: str) -> list[dict]:
    result = govern(
        floor.agency.app,
        "audit",
        "query",
        "--action",
        action,
        "--from",
        "2020-01-01T00:00:00+08:00",
        "--to",
        "2040-01-01T00:00:00+08:00",
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    return [json.loads(e["entry"]) if "entry" in e else e for e in found]


def test_a_hold_placed_after_the_bundle_is_written_stops_its_removal(
    floor: Floor, tmp_path: Path
) -> None:
    """The bundle written and kept, a hold placed before the removal (through the debtor's
    events alone: the investigation's period is the last 90 days) is read again when the
    events are removed: refused, nothing removed."""
    floor.call("GET", f"/api/v1/debtors/{floor.debtors['C-001']}", "col.a1")
    years_later(floor)
    end = old_end(floor)
    written = archive(floor, tmp_path, "--write")
    assert written.exit_code == 0 and "removed" not in written.output, written.output
    bundle = tmp_path / "archive" / f"trail-1-{end}"
    assert offline(str(bundle)).returncode == 0
    assert not (tmp_path / "archive" / f"trail-1-{end}.partial").exists()
    opened = floor.call(
        "POST",
        "/api/v1/audit/investigations",
        "auditor",
        json={"debtor_ids": [floor.debtors["C-001"]], "fields": ["phones"]},
    )[1]["id"]
    assert floor.call("POST", HOLD.format(opened), "auditor")[0] == 200
    before = json.loads(govern(floor.agency.app, "audit", "verify", "--json").output)
    refused = remove(floor, bundle)
    assert refused.exit_code == 1 and "[retention.held]" in refused.output, refused.output
    after = json.loads(govern(floor.agency.app, "audit", "verify", "--json").output)
    assert after["ok"] and after["events"] >= before["events"]
    assert govern(floor.agency.app, "audit", "prove", "1").exit_code == 0  # still there


def test_a_written_bundle_is_removed_in_a_second_step_and_a_rerun_reuses_it(
    floor: Floor, tmp_path: Path
) -> None:
    """A run that stopped half way leaves only a .partial folder; the next run writes the
    bundle again, a bundle already written is reused; `--remove` removes its events."""
    years_later(floor)
    end = old_end(floor)
    (tmp_path / "archive" / f"trail-1-{end}.partial").mkdir(parents=True)
    assert archive(floor, tmp_path, "--write").exit_code == 0
    again = archive(floor, tmp_path, "--write")
    assert again.exit_code == 0 and "verifies" in again.output, again.output
    bundle = tmp_path / "archive" / f"trail-1-{end}"
    removed = remove(floor, bundle)
    assert removed.exit_code == 0, removed.output
    assert f"removed {end} archived events" in removed.output
    archived = _events(floor, "audit.trail_archived")
    assert (
        archived[0]["details"]["manifest_sha256"]
        == hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()
    )
    twice = remove(floor, bundle)
    assert twice.exit_code == 1 and "[retention.archive_invalid]" in twice.output
    assert govern(floor.agency.app, "audit", "verify").exit_code == 0


@pytest.mark.postgresql_only
def test_a_clock_the_database_contradicts_is_refused(floor: Floor, tmp_path: Path) -> None:
    """Govern's clock six years ahead of the database's: writing and removing are refused
    (every event would look past retention), nothing written or removed."""
    years_later(floor)
    for flag in ("--write", "--apply"):
        result = govern(
            floor.agency.app, "audit", "archive", "--to", str(tmp_path / "archive"), flag
        )
        assert result.exit_code == 1 and "[retention.clock]" in result.output, result.output
    assert not (tmp_path / "archive").exists()
    assert govern(floor.agency.app, "audit", "prove", "1").exit_code == 0


def test_a_forged_action_column_is_reported_not_a_crash(
    floor: Floor, tmp_path: Path, owner_engine: Engine
) -> None:
    """After a removal, an event kept whose searchable `action` column is set to the archive's
    (its entry is not one): verify reports it and carries on."""
    years_later(floor)
    assert archive(floor, tmp_path, "--apply").exit_code == 0

    floor.agency.login("col.a1")
    floor.agency.services.trail.checkpoint_now()
    forged = govern(floor.agency.app, "audit", "verify", "--json")
    forged_seq = json.loads(forged.output)["anchored_to"]  # a login, signed

    def forge(connection: Connection) -> None:
        events = store.events
        changed = update(events).where(events.c.seq == forged_seq)
        connection.execute(changed.values(action="audit.trail_archived"))

    as_owner_without_triggers(owner_engine, forge)
    result = govern(floor.agency.app, "audit", "verify")
    assert result.exit_code == 1 and not isinstance(result.exception, KeyError), result.output
    assert f"TAMPERED: first bad event {forged_seq}" in result.output


def test_removed_events_are_not_proved_exported_or_checked_as_nothing(
    floor: Floor, tmp_path: Path
) -> None:
    """Asked for events archived and removed, prove, export and verify refuse, naming the
    boundary and the bundle that holds them; the whole trail still verifies."""
    years_later(floor)
    end = old_end(floor)
    assert archive(floor, tmp_path, "--apply").exit_code == 0
    asked = [
        ("prove", "1"),
        ("export", "--from", "1", "--to", "3", str(tmp_path / "export")),
        ("verify", "--from", "1", "--to", str(end)),
    ]
    for command in asked:
        result = govern(floor.agency.app, "audit", *command)
        assert result.exit_code == 1 and "[audit.archived]" in result.output, result.output
        assert f"1..{end}" in result.output and f"trail-1-{end}" in result.output
    assert not (tmp_path / "export").exists()
    assert govern(floor.agency.app, "audit", "verify").exit_code == 0
    kept = govern(floor.agency.app, "audit", "verify", "--from", str(end + 1))
    assert kept.exit_code == 0, kept.output


def test_a_hold_keeps_the_suspects_events_and_the_suspect_cannot_release_it(
    floor: Floor, tmp_path: Path
) -> None:
    """An investigation into the general manager opened years later (its period: the last
    days): the hold keeps the old windows holding the suspect's own events, and the suspect
    cannot release it."""
    floor.agency.login("gm")
    years_later(floor)
    status, opened = floor.call(
        "POST", "/api/v1/audit/investigations", "auditor", json={"suspect": floor.ids["gm"]}
    )
    assert status == 201, opened
    assert floor.call("POST", HOLD.format(opened["id"]), "auditor")[0] == 200
    kept = archive(floor, tmp_path, "--apply")
    assert kept.exit_code == 0 and "kept under a legal hold" in kept.output, kept.output
    assert "archived nothing" in kept.output
    release = HOLD.format(opened["id"]) + "/release"
    status, refused = floor.call("POST", release, "gm")
    assert (status, refused["error"]["code"]) == (403, "hold.own_release")
    assert _events(floor, "audit.hold_released") == []


@pytest.mark.postgresql_only
def test_a_removal_goes_through_while_a_reader_holds_the_trail(
    floor: Floor, tmp_path: Path, owner_engine: Engine
) -> None:
    """A long read of the trail holds its table: the removal lifts no trigger, so it takes no
    lock on the whole trail and neither waits for the reader nor makes audited requests wait
    behind it."""
    years_later(floor)
    end = old_end(floor)
    reader = owner_engine.connect()
    reader.execute(select(store.events.c.seq).limit(1)).all()  # the transaction stays open
    gave_up = threading.Timer(30, reader.invalidate)  # a removal that waited: never forever
    gave_up.start()
    try:
        removed = archive(floor, tmp_path, "--apply")
        assert removed.exit_code == 0, removed.output
        assert f"removed {end} archived events" in removed.output
        assert not reader.invalidated  # it did not wait for the reader to go
        assert floor.call("GET", f"/api/v1/debtors/{floor.debtors['C-001']}", "col.a1")[0] == 200
    finally:
        gave_up.cancel()
        reader.close()
    assert govern(floor.agency.app, "audit", "verify").exit_code == 0


@pytest.mark.postgresql_only
def test_one_retention_run_at_a_time(floor: Floor, tmp_path: Path) -> None:
    """Another instance's run (or the worker's) under way: this one is refused without
    waiting, writing and removing nothing; once that one is done, it goes through."""
    years_later(floor)
    end = old_end(floor)
    (tmp_path / "written").mkdir()
    written = govern(
        floor.agency.app,
        "audit",
        "archive",
        "--to",
        str(tmp_path / "written"),
        "--write",
        "--trust-clock",
    )
    assert written.exit_code == 0, written.output
    bundle = tmp_path / "written" / f"trail-1-{end}"
    with retention.one_run(floor.agency.services.trail):  # the other run
        for refused in (archive(floor, tmp_path, "--apply"), remove(floor, bundle)):
            assert refused.exit_code == 1, refused.output
            assert "[retention.running]" in refused.output, refused.output
        assert not (tmp_path / "archive").exists()
        assert _events(floor, "audit.trail_archived") == []
    assert govern(floor.agency.app, "audit", "prove", "1").exit_code == 0  # nothing removed
    done = remove(floor, bundle)
    assert done.exit_code == 0 and f"removed {end} archived events" in done.output, done.output


def test_tampering_with_the_kept_trail_or_the_boundary_is_found_after_a_removal(
    floor: Floor, tmp_path: Path, owner_engine: Engine
) -> None:
    """After a removal, a changed event in the kept part, or a changed frontier of the
    checkpoint at the archived boundary, is reported: the trail is not intact."""
    years_later(floor)
    end = old_end(floor)
    assert archive(floor, tmp_path, "--apply").exit_code == 0
    kept = end + 1

    def change_event(connection: Connection) -> None:
        events = store.events
        row = connection.execute(select(events.c.entry).where(events.c.seq == kept)).one()
        changed = bytes(row.entry).replace(b'"time":"', b'"time":"1', 1)
        connection.execute(update(events).where(events.c.seq == kept).values(entry=changed))

    as_owner_without_triggers(owner_engine, change_event)
    result = govern(floor.agency.app, "audit", "verify")
    assert result.exit_code == 1 and f"first bad event {kept}" in result.output, result.output


def test_a_changed_boundary_frontier_is_found_after_a_removal(
    floor: Floor, tmp_path: Path, owner_engine: Engine
) -> None:
    years_later(floor)
    end = old_end(floor)
    assert archive(floor, tmp_path, "--apply").exit_code == 0

    def change_frontier(connection: Connection) -> None:
        checkpoints = store.checkpoints
        row = connection.execute(
            select(checkpoints.c.frontier).where(checkpoints.c.tree_size == end)
        ).one()
        frontier = bytearray(row.frontier)
        frontier[-1] ^= 1
        connection.execute(
            update(checkpoints)
            .where(checkpoints.c.tree_size == end)
            .values(frontier=bytes(frontier))
        )

    as_owner_without_triggers(owner_engine, change_frontier)
    result = govern(floor.agency.app, "audit", "verify")
    assert result.exit_code == 1 and "TAMPERED" in result.output, result.output
    assert f"checkpoint changed at {end}" in result.output


def test_four_eyes_on_a_hold_are_two_people_not_two_accounts(desk: Floor, directory) -> None:
    """Re-hired under a new account id, the auditor who placed the hold still cannot release
    it; a second auditor can."""
    opened = desk.investigation(["C-001"], ["phones"])
    assert call(desk, "auditor", "POST", HOLD.format(opened))[0] == 200
    rehire(desk, directory, "auditor")
    release = HOLD.format(opened) + "/release"
    status, refused = call(desk, "auditor", "POST", release)
    assert (status, refused["error"]["code"]) == (403, "hold.own_release")
    status, released = call(desk, SECOND.username, "POST", release)
    assert status == 200 and released["released_by"] == desk.ids[SECOND.username]


@pytest.mark.postgresql_only
def test_two_first_holds_at_once_answer_hold_standing(floor: Floor, owner_engine: Engine) -> None:
    """Another auditor's first hold on the investigation, not yet committed while this one is
    placed: once it commits, this one is told the hold stands (409), not a server error."""
    opened = floor.investigation(["C-001"], ["phones"])
    other = owner_engine.connect()
    other.execute(
        insert(LegalHold.__table__).values(
            investigation_id=opened,
            placed_by=floor.ids["gm"],
            placed_at=floor.clock.now(),
        )
    )
    commit = threading.Timer(1, lambda: (other.commit(), other.close()))
    commit.start()
    try:
        status, body = floor.call("POST", HOLD.format(opened), "auditor")
    finally:
        commit.join()
    assert (status, body["error"]["code"]) == (409, "hold.standing"), body
    assert _events(floor, "audit.hold_placed") == []
