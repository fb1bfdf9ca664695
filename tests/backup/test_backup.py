"""Backup and restore (issue 16, item 6): a set of a running Govern restored into a fresh
database gives back the same accounts, the same access decisions and a trail that verifies;
a damaged set, or a place already taken, is refused and nothing changes.

Everything is real: the test database (SQLite or PostgreSQL: pg_dump and pg_restore on the
PostgreSQL pass), the data keys, the signing key, the checkpoint copies.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine, create_engine, inspect, select, update
from sqlalchemy.engine import make_url

from audit import store
from govern.accounts.models import Account
from govern.app import create_app
from govern.backup.manifest import DATA_KEYS, SetRefused
from govern.backup.service import PlaceNotEmpty, create_set, quietly, restore_set, verify_set
from govern.clock import FixedClock
from govern.config import Settings
from govern.errors import GovernError
from tests.support.agency import Agency
from tests.support.database import as_owner_without_triggers
from tests.support.floor import Floor

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh(settings: Settings, empty_database: tuple[str, str], tmp_path: Path) -> Settings:
    """Another Govern's settings: an empty database, no data keys or checkpoint copy yet, the
    same signing key (restored apart, as docs/operations.md says)."""
    service, owner = empty_database
    elsewhere = tmp_path / "restored"
    return replace(
        settings,
        database_url=service,
        migration_database_url=owner,
        data_keys_file=elsewhere / "data_keys.json",
        checkpoint_dir=elsewhere / "checkpoints",
    )


@pytest.fixture
def restored_app(fresh: Settings, clock: FixedClock) -> Iterator[list[Flask]]:
    """The restored Govern, once a test builds it; shut down after the test."""
    apps: list[Flask] = []
    yield apps
    for app in apps:
        app.extensions["govern"].trail.stop()
        app.extensions["govern"].engine.dispose()


def decisions(floor: Floor) -> list[tuple[int, object]]:
    """What the collector, another group's collector and the intern are shown of a debtor."""
    return [floor.view(who, "C-001") for who in ("col.a1", "col.a2", "intern.a")]


def accounts(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Account.id, Account.employee_number, Account.state).order_by(Account.id)
        )
        return [tuple(row) for row in rows]


def tables(url: str) -> list[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def backed_up(floor: Floor, settings: Settings, clock: FixedClock, folder: Path) -> Path:
    """A busy floor's trail signed, one event after it, then a set of it all."""
    floor.agency.services.trail.checkpoint_now()
    floor.agency.login("col.a1")  # an unanchored event after the newest checkpoint
    create_set(settings, folder, clock, quietly)
    return folder


def govern(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The `govern` command as an operator runs it, configured by its environment."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": settings.database_url,
        "GOVERN_MIGRATION_DATABASE_URL": settings.migration_database_url,
        "GOVERN_DIRECTORY_URL": settings.directory_url,
        "GOVERN_SECRET_KEY": settings.secret_key,
        "GOVERN_AUDIT_KEY_FILE": str(settings.audit_key_file),
        "GOVERN_CHECKPOINT_DIR": str(settings.checkpoint_dir),
        "GOVERN_DATA_KEYS_FILE": str(settings.data_keys_file),
    }
    command = [sys.executable, "-c", "from govern.cli import main; main()", *args]
    return subprocess.run(
        command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=300
    )


def test_a_restored_set_has_the_same_accounts_decisions_and_a_verifying_trail(
    floor: Floor,
    settings: Settings,
    fresh: Settings,
    clock: FixedClock,
    owner_engine: Engine,
    restored_app: list[Flask],
    tmp_path: Path,
) -> None:
    shown = decisions(floor)
    assert [status for status, _ in shown] == [200, 403, 200]
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    events = floor.agency.services.trail.verify().events

    check = verify_set(folder)
    assert check.trail.ok and check.trail.events == events
    assert check.manifest.signed_size == events - 1  # the last event came after the checkpoint

    restored = restore_set(fresh, folder, overwrite_files=False, progress=quietly)
    assert set(restored.files.values()) == {"written"}
    assert fresh.data_keys_file.read_bytes() == settings.data_keys_file.read_bytes()
    assert fresh.data_keys_file.stat().st_mode & 0o077 == 0
    app = create_app(fresh, clock=clock)
    restored_app.append(app)
    assert accounts(app.extensions["govern"].engine) == accounts(owner_engine)
    assert app.extensions["govern"].trail.verify().ok
    again = Floor(Agency(app, app.test_client()), clock, floor.ids, floor.debtors)
    assert decisions(again) == shown  # the sealed fields open with the restored keys


def test_a_changed_byte_in_the_database_file_is_refused_by_verify_and_restore(
    floor: Floor, settings: Settings, fresh: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    database = next(folder.glob("database.*"))
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0x01
    database.write_bytes(bytes(data))

    for attempt in (
        lambda: verify_set(folder),
        lambda: restore_set(fresh, folder, False, quietly),
    ):
        with pytest.raises(SetRefused) as refused:
            attempt()
        assert refused.value.code == "backup.hash_mismatch"
    assert tables(fresh.migration_database_url) == []
    assert not fresh.data_keys_file.exists()


def test_a_set_without_its_data_keys_is_refused(
    floor: Floor, settings: Settings, fresh: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    (folder / DATA_KEYS).unlink()

    with pytest.raises(SetRefused) as refused:
        restore_set(fresh, folder, False, quietly)
    assert refused.value.code == "backup.file_missing"
    assert tables(fresh.migration_database_url) == []


def test_a_trail_event_altered_before_the_backup_is_refused_by_verify_and_restore(
    floor: Floor,
    settings: Settings,
    fresh: Settings,
    clock: FixedClock,
    owner_engine: Engine,
    tmp_path: Path,
) -> None:
    floor.agency.services.trail.checkpoint_now()

    def change(connection: Connection) -> None:
        forged = b'{"seq":3,"forged":true}'
        connection.execute(update(store.events).where(store.events.c.seq == 3).values(entry=forged))

    as_owner_without_triggers(owner_engine, change)
    folder = tmp_path / "set"
    create_set(settings, folder, clock, quietly)  # a copy of a damaged trail is still kept

    with pytest.raises(SetRefused) as refused:
        verify_set(folder)
    assert refused.value.code == "backup.trail_tampered"
    assert "changed at 3" in refused.value.message
    with pytest.raises(SetRefused):
        restore_set(fresh, folder, False, quietly)
    assert tables(fresh.migration_database_url) == []


def test_a_set_from_another_signing_key_is_refused(
    floor: Floor, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    made = govern(settings, "audit", "keygen", str(tmp_path / "other.pem"))
    public = made.stdout[made.stdout.index("-----BEGIN PUBLIC KEY-----") :]
    (tmp_path / "trusted.pem").write_text(public)  # the public key kept apart, another one

    trusted = str(tmp_path / "trusted.pem")
    refused = govern(settings, "backup", "verify", str(folder), "--public-key", trusted)
    assert refused.returncode == 1
    assert "[backup.key_mismatch]" in refused.stderr
    (tmp_path / "junk.pem").write_text("not a key\n")
    junk = govern(
        settings, "backup", "verify", str(folder), "--public-key", str(tmp_path / "junk.pem")
    )
    assert junk.returncode == 1
    assert "[backup.key_invalid]" in junk.stderr and "Traceback" not in junk.stderr
    signing_key = str(settings.audit_key_file)  # its PEM holds its public half: trusted as that
    trusted_itself = govern(settings, "backup", "verify", str(folder), "--public-key", signing_key)
    assert trusted_itself.returncode == 0, trusted_itself.stderr


def test_restore_into_a_database_that_holds_tables_is_refused_with_its_own_exit(
    floor: Floor, settings: Settings, clock: FixedClock, owner_engine: Engine, tmp_path: Path
) -> None:
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    before = accounts(owner_engine)

    with pytest.raises(PlaceNotEmpty) as refused:
        restore_set(settings, folder, False, quietly)
    assert refused.value.code == "backup.database_not_empty"
    ran = govern(settings, "backup", "restore", str(folder))
    assert ran.returncode == 4
    assert "[backup.database_not_empty]" in ran.stderr and "Traceback" not in ran.stderr
    assert accounts(owner_engine) == before


def test_restore_keeps_a_different_data_keys_file_in_place_unless_told(
    floor: Floor, settings: Settings, fresh: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    fresh.data_keys_file.parent.mkdir(parents=True)
    fresh.data_keys_file.write_text("{}")

    with pytest.raises(PlaceNotEmpty) as refused:
        restore_set(fresh, folder, False, quietly)
    assert refused.value.code == "backup.files_differ"
    assert fresh.data_keys_file.read_text() == "{}"
    assert tables(fresh.migration_database_url) == []

    restored = restore_set(fresh, folder, True, quietly)
    assert restored.files[str(fresh.data_keys_file)] == "written"
    assert fresh.data_keys_file.read_bytes() == settings.data_keys_file.read_bytes()


def test_the_commands_create_verify_and_restore_a_set(
    floor: Floor, settings: Settings, fresh: Settings, tmp_path: Path
) -> None:
    floor.agency.services.trail.checkpoint_now()
    folder = tmp_path / "set"

    created = govern(settings, "backup", "create", str(folder))
    assert created.returncode == 0, created.stderr
    assert "private half is not in the set" in created.stdout
    assert not any("PRIVATE" in p.read_text(errors="replace") for p in folder.rglob("*.pem"))
    checked = subprocess.run(  # offline: no setting at all
        [
            sys.executable,
            "-c",
            "from govern.cli import main; main()",
            "backup",
            "verify",
            str(folder),
        ],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("OK: the set verifies")
    restored = govern(fresh, "backup", "restore", str(folder))
    assert restored.returncode == 0, restored.stderr
    assert "the restored trail verifies" in restored.stdout
    assert tables(fresh.migration_database_url)


def test_a_kept_checkpoint_folder_that_continues_the_set_is_kept_and_tells_what_was_lost(
    floor: Floor,
    settings: Settings,
    fresh: Settings,
    clock: FixedClock,
    restored_app: list[Flask],
    tmp_path: Path,
) -> None:
    """The lost database's checkpoint folder, kept: it holds the set's checkpoints and one
    signed after the backup. The restore keeps it; verify then says the later events are gone."""
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    floor.agency.login("col.a2")
    later = floor.agency.services.trail.checkpoint_now()
    assert later is not None

    kept = replace(fresh, checkpoint_dir=settings.checkpoint_dir)
    restored = restore_set(kept, folder, False, quietly)
    assert restored.files[str(settings.checkpoint_dir / "checkpoints.jsonl")] == "kept newer"
    app = create_app(kept, clock=clock)
    restored_app.append(app)
    trail = app.extensions["govern"].trail
    report = trail.verify()
    assert {p.kind for p in report.problems} >= {"checkpoint missing"}
    assert later.tree_size in {p.seq for p in report.problems}
    # As docs/operations.md says: the report kept, the set's copy put in place.
    kept_copy = settings.checkpoint_dir / "checkpoints.jsonl"
    kept_copy.write_bytes((folder / "checkpoints" / "checkpoints.jsonl").read_bytes())
    assert trail.verify().ok


def test_a_database_out_of_reach_is_named_without_its_password(
    floor: Floor, settings: Settings, fresh: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    url = make_url(fresh.migration_database_url)
    gone = "/no/such/folder/govern.db" if url.get_backend_name() == "sqlite" else "no_such_db"
    away = url.set(database=gone, password="s3cret-word").render_as_string(hide_password=False)

    with pytest.raises(GovernError) as refused:
        restore_set(replace(fresh, migration_database_url=away), folder, False, quietly)
    assert refused.value.code == "backup.database_unreachable"
    assert "s3cret-word" not in refused.value.message
    assert not fresh.data_keys_file.exists()


def test_a_set_of_a_newer_govern_is_refused_before_anything_is_restored(
    floor: Floor, settings: Settings, fresh: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    manifest = folder / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"revision": "', '"revision": "9999-'))

    with pytest.raises(SetRefused) as refused:
        restore_set(fresh, folder, False, quietly)
    assert refused.value.code == "backup.newer_schema"
    assert tables(fresh.migration_database_url) == []


def test_files_root_restores_belong_to_the_service_user_who_owns_the_checkpoint_folder(
    floor: Floor, settings: Settings, fresh: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    """Restored as root (the tests run as root in CI), the data keys and checkpoint copies
    belong to the service's user (here `nobody`), or Govern could not read its own keys."""
    if os.geteuid() != 0:
        pytest.skip("only root restores files for another user")
    folder = backed_up(floor, settings, clock, tmp_path / "set")
    fresh.checkpoint_dir.parent.mkdir(parents=True)
    os.chown(fresh.checkpoint_dir.parent, 65534, 65534)
    restore_set(fresh, folder, overwrite_files=False, progress=quietly)
    for place in (fresh.data_keys_file, fresh.checkpoint_dir, *fresh.checkpoint_dir.iterdir()):
        assert (place.stat().st_uid, place.stat().st_gid) == (65534, 65534), place
