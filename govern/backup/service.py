"""Backup sets: create one from a running Govern, check one offline, restore one into an empty
database (docs/operations.md, "Backup and restore").

What must come back together: the database (the trail in it), the data keys (without them every
sealed debtor field is unreadable), the checkpoint copies and the audit public key (without them
nothing says the restored trail is the one that was signed). The signing key's private half is
never in a set: it is a secret of its own, kept and restored apart.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from audit import store
from audit.report import Report
from audit.signing import Checkpoint, key_id, load_public_key
from audit.tally import QUIET, Tally
from govern.auditing.trail import check_trail, newest_signed, public_half
from govern.backup import postgres, sqlite
from govern.backup.manifest import (
    CHECKPOINTS,
    DATA_KEYS,
    DATABASE_FILES,
    PUBLIC_KEY,
    Manifest,
    SetRefused,
    check_hashes,
    read_manifest,
    required_files,
    sha256_of,
    write_manifest,
)
from govern.clock import Clock
from govern.config import Settings
from govern.db import make_engine
from govern.debtors.copies import creditor_keys, record_copy
from govern.debtors.vault import load_vault
from govern.errors import ConfigError, Conflict, GovernError
from govern.migrate import current_revision, grant_service_role, known_revisions

#: How a long step shows how far it is: given the step's label, a context whose tally hears
#: the step's size, then each part done (`command_line.progress_bar` on a terminal).
Progress = Callable[[str], AbstractContextManager[Tally]]


def quietly(label: str) -> AbstractContextManager[Tally]:
    """No progress shown (tests, and callers with nobody watching)."""
    return nullcontext(QUIET)


class DatabaseUnreachable(GovernError):
    """The configured database does not answer."""

    status = 503


class PlaceNotEmpty(Conflict):
    """The database or a file a restore would write already holds something else."""

    exit_code = 4  # `govern backup restore`: told apart from a refused set (1)


@dataclass(frozen=True)
class SetCheck:
    """A set that verified: its manifest and the check of the trail in its database."""

    manifest: Manifest
    trail: Report


@dataclass(frozen=True)
class Restored:
    """What a restore did: the set it restored, what became of each file, and the check of
    the trail in the restored database."""

    check: SetCheck
    files: dict[str, str] = field(default_factory=dict)  # place → written | same | kept newer
    signing_key_missing: bool = False


def create_set(settings: Settings, folder: Path, clock: Clock, progress: Progress) -> Manifest:
    """Write one consistent set of this Govern into the new folder `folder`. The checkpoint
    copy is taken first, then the database in one snapshot: the set's copy never names a
    checkpoint its database lacks. Raises SetRefused `backup.exists` when the folder holds
    anything; removes what it wrote when it fails."""
    if folder.exists() and any(folder.iterdir()):
        raise SetRefused("backup.exists", f"{folder} is not empty; choose a new folder.")
    public = public_half(settings.audit_key_file)
    load_vault(settings.data_keys_file)  # a set with keys that cannot open anything is no set
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)  # an empty folder made beforehand too: the set is for root alone
    try:
        manifest = _write_set(settings, folder, public, clock, progress)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    # noted beside the keys file: a contract's deletion certificate names the sets that still
    # carry its creditor's keys
    record_copy(settings.data_keys_file, folder, manifest.created_at, manifest.creditor_keys)
    return manifest


def verify_set(
    folder: Path, trusted_public: bytes | None = None, progress: Progress = quietly
) -> SetCheck:
    """Check a set offline: every file against its hash, the data keys readable, the public
    key the one named (and `trusted_public` when given), and the trail in the set's database
    against its signed checkpoints (the set's copies and the manifest's newest). Raises
    SetRefused naming the first thing wrong."""
    manifest = read_manifest(folder)
    check_hashes(folder, manifest)
    public = _public_key(folder, manifest, trusted_public)
    try:
        load_vault(folder / DATA_KEYS)
    except ConfigError as error:
        raise SetRefused("backup.data_keys_invalid", error.message) from None
    copies = folder / Path(CHECKPOINTS).parent
    with _trail_of(folder, manifest) as engine, progress("events checked") as tally:
        report = check_trail(engine, public, copies, _promised(manifest), tally)
    if not report.ok:
        first = report.first_problem
        raise SetRefused(
            "backup.trail_tampered",
            f"The trail in the set does not verify: {first.kind} at {first.seq}: {first.message}",
        )
    return SetCheck(manifest, report)


def restore_set(
    settings: Settings, folder: Path, overwrite_files: bool, progress: Progress
) -> Restored:
    """Restore a set that verifies into the configured, empty database, and its data keys and
    checkpoint copies to their configured places. Refuses (SetRefused) a set that does not
    verify, one of another database kind or signed by another key than the configured one;
    refuses (PlaceNotEmpty) a database that holds tables, and a file in place that differs
    unless `overwrite_files`. A refusal changes nothing."""
    signing_key = settings.audit_key_file
    trusted = public_half(signing_key) if signing_key.exists() else None
    check = verify_set(folder, trusted, progress)
    kind = make_url(settings.database_url).get_backend_name()
    if kind != check.manifest.database:
        raise SetRefused(
            "backup.wrong_database",
            f"The set holds a {check.manifest.database} database; this Govern uses {kind}.",
        )
    if check.manifest.revision not in {None, *known_revisions()}:
        raise SetRefused(
            "backup.newer_schema",
            f"The set's schema revision {check.manifest.revision} is newer than this Govern "
            "knows; install the Govern the set was made with (or a newer one) first.",
        )
    files = _file_plan(settings, folder, overwrite_files)
    with _database(settings.migration_database_url) as engine:
        _restore_database(settings, engine, folder / check.manifest.database_file, progress)
    _write_files(settings, folder, files)
    restored = _restored_check(settings, folder, check, progress)
    return Restored(restored, files, trusted is None)


def _write_set(
    settings: Settings, folder: Path, public: bytes, clock: Clock, progress: Progress
) -> Manifest:
    """Every part of the set, then its manifest; only its owner may read any of it."""
    (folder / Path(CHECKPOINTS).parent).mkdir(mode=0o700)
    _write(folder / PUBLIC_KEY, public, 0o600)
    _copy(settings.checkpoint_dir / Path(CHECKPOINTS).name, folder / CHECKPOINTS, 0o600)
    _copy(settings.data_keys_file, folder / DATA_KEYS, 0o600)
    carried = creditor_keys(load_vault(folder / DATA_KEYS))  # the copy's, as it was copied
    kind = make_url(settings.database_url).get_backend_name()
    target = folder / DATABASE_FILES[kind]
    _write(target, b"", 0o600)  # the tool writes into it and keeps its mode
    if kind == "postgresql":
        schema, newest = _dump(settings, folder, public, target, progress)
    else:
        schema, newest = _copy_sqlite(settings, folder, public, target, progress)
    manifest = Manifest(
        database=kind,
        revision=schema,
        created_at=clock.now().isoformat(),
        audit_key_id=key_id(load_public_key(public)),
        checkpoint=None if newest is None else json.loads(newest.to_json()),
        hashes={name: sha256_of(folder / name) for name in required_files(kind)},
        creditor_keys=carried,
    )
    write_manifest(folder, manifest)
    return manifest


def _dump(
    settings: Settings, folder: Path, public: bytes, target: Path, progress: Progress
) -> tuple[str | None, Checkpoint | None]:
    """pg_dump in the snapshot the schema's revision and the newest checkpoint are read in."""
    url = settings.migration_database_url
    with _database(url) as engine, postgres.snapshot(engine) as (connection, exported):
        tool = postgres.find_tool("pg_dump", postgres.server_major(connection))
        schema, newest = _state(connection, folder, public)
        with progress("database") as tally:
            tally.count(len(inspect(connection).get_table_names()))
            postgres.dump(url, exported, target, tool, lambda _: tally.advance(1))
    return schema, newest


def _copy_sqlite(
    settings: Settings, folder: Path, public: bytes, target: Path, progress: Progress
) -> tuple[str | None, Checkpoint | None]:
    """The online backup API's copy; the revision and newest checkpoint read in that copy."""
    with progress("database") as tally:
        sqlite.copy_database(sqlite.database_path(settings.database_url), target, _pages(tally))
    with _read_only_sqlite(target) as engine, engine.connect() as connection:
        return _state(connection, folder, public)


def _pages(tally: Tally) -> Callable[[int, int], None]:
    """The backup API's (pages left, pages in all) as a tally's steps."""
    done = -1

    def advance(left: int, total: int) -> None:
        nonlocal done
        if done < 0:
            tally.count(total)
            done = 0
        tally.advance(total - left - done)
        done = total - left

    return advance


def _state(
    connection: Connection, folder: Path, public: bytes
) -> tuple[str | None, Checkpoint | None]:
    """The schema's revision and the trail's newest signed checkpoint, as the set holds them."""
    copies = folder / Path(CHECKPOINTS).parent
    return current_revision(connection), newest_signed(connection, public, copies)


def _public_key(folder: Path, manifest: Manifest, trusted: bytes | None) -> bytes:
    """The set's audit public key, checked against the manifest and the trusted one."""
    public = (folder / PUBLIC_KEY).read_bytes()
    named = _key_id(public, f"the set's {PUBLIC_KEY}")
    expected = manifest.audit_key_id if trusted is None else _key_id(trusted, "the trusted key")
    if named != manifest.audit_key_id or named != expected:
        raise SetRefused(
            "backup.key_mismatch",
            f"The set's trail is signed by key {named}, not by the key trusted here "
            f"({expected}): it does not verify against that key. Trust (and, to restore, "
            "configure) the signing key the set was made with.",
        )
    return public


def _key_id(pem: bytes, which: str) -> str:
    """The id of a public key (PEM). Raises SetRefused `backup.key_invalid` naming `which`."""
    try:
        return key_id(load_public_key(pem))
    except ValueError as error:
        raise SetRefused(
            "backup.key_invalid", f"{which} is no public key ({type(error).__name__})."
        ) from None


def _promised(manifest: Manifest) -> list[Checkpoint]:
    """The manifest's newest checkpoint, as one more copy: a dump that lost it is caught."""
    if manifest.checkpoint is None:
        return []
    return [Checkpoint.from_json(json.dumps(manifest.checkpoint))]


@contextmanager
def _trail_of(folder: Path, manifest: Manifest) -> Iterator[Engine]:
    """The set's trail in a database the check may read: the SQLite file itself, opened
    read-only; a dump's trail tables loaded into a scratch SQLite file (no server needed)."""
    source = folder / manifest.database_file
    if manifest.database == "sqlite":
        with _read_only_sqlite(source) as engine:
            yield engine
        return
    with tempfile.TemporaryDirectory(prefix="govern-backup-") as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'trail.sqlite'}")
        try:
            store.metadata.create_all(engine)
            postgres.load_trail(source, postgres.find_tool("pg_restore"), engine)
            yield engine
        finally:
            engine.dispose()


@contextmanager
def _read_only_sqlite(path: Path) -> Iterator[Engine]:
    """A SQLite file opened so that nothing is written beside it (no -wal, no -shm)."""
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true")
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _database(url: str) -> Iterator[Engine]:
    """The configured database. Raises DatabaseUnreachable `backup.database_unreachable`
    naming it (without its password) when it cannot be reached."""
    engine = make_engine(url)
    try:
        yield engine
    except OperationalError as error:
        shown = make_url(url).render_as_string(hide_password=True)
        raise DatabaseUnreachable(
            "backup.database_unreachable",
            f"Cannot reach the database {shown} ({type(error.orig).__name__}); check "
            "DATABASE_URL and GOVERN_MIGRATION_DATABASE_URL.",
        ) from None
    finally:
        engine.dispose()


def _file_plan(settings: Settings, folder: Path, overwrite: bool) -> dict[str, str]:
    """What a restore does with each file: `written`, `same` (already there), `kept newer`
    (a checkpoint copy that continues the set's: it proves more). Raises PlaceNotEmpty
    `backup.files_differ` for a different file in place, unless `overwrite`."""
    plan = {}
    for name, place in _places(settings).items():
        ours = (folder / name).read_bytes()
        theirs = place.read_bytes() if place.exists() else None
        if theirs is None or (overwrite and theirs != ours):
            plan[str(place)] = "written"
        elif theirs == ours:
            plan[str(place)] = "same"
        elif name == CHECKPOINTS and theirs.startswith(ours):
            plan[str(place)] = "kept newer"
        else:
            raise PlaceNotEmpty(
                "backup.files_differ",
                f"{place} exists and differs from the set's {name}; move it away, or restore "
                "with --overwrite-files.",
            )
    return plan


def _places(settings: Settings) -> dict[str, Path]:
    """Where each restored file goes: the configured places."""
    checkpoints = settings.checkpoint_dir / Path(CHECKPOINTS).name
    return {DATA_KEYS: settings.data_keys_file, CHECKPOINTS: checkpoints}


def _restore_database(settings: Settings, engine: Engine, source: Path, progress: Progress) -> None:
    """Load the set's database into the empty one. Raises PlaceNotEmpty
    `backup.database_not_empty` when it holds any table."""
    if inspect(engine).get_table_names():
        raise PlaceNotEmpty(
            "backup.database_not_empty",
            "The database to restore into holds tables; restore only into an empty database.",
        )
    url = settings.migration_database_url
    if engine.dialect.name == "sqlite":
        target = sqlite.database_path(url)
        engine.dispose()
        with progress("database") as tally:
            sqlite.copy_database(source, target, _pages(tally))
        return
    with engine.connect() as connection:
        tool = postgres.find_tool("pg_restore", postgres.server_major(connection))
    with progress("database") as tally:
        tally.count(postgres.tables_in(source, tool))
        postgres.restore(url, source, tool, lambda _: tally.advance(1))
    with engine.begin() as connection:
        grant_service_role(connection, url, settings.database_url)


def _write_files(settings: Settings, folder: Path, plan: dict[str, str]) -> None:
    owner = _service_owner(settings)
    for name, place in _places(settings).items():
        if plan[str(place)] == "written":
            place.parent.mkdir(parents=True, exist_ok=True)
            _copy(folder / name, place, 0o600 if name == DATA_KEYS else 0o640)
            if owner is not None:
                os.chown(place, *owner)
    if owner is not None:  # a checkpoint folder the restore made is the service's to write in
        os.chown(settings.checkpoint_dir, *owner)


def _service_owner(settings: Settings) -> tuple[int, int] | None:
    """Who the restored files must belong to when root restores them: the service's user, as
    the owner of the checkpoint folder (or the nearest folder above it) shows; else the files
    are the restoring user's own (None)."""
    if os.geteuid() != 0:
        return None
    place = settings.checkpoint_dir
    while not place.exists():
        place = place.parent
    found = place.stat()
    return found.st_uid, found.st_gid


def _restored_check(
    settings: Settings, folder: Path, check: SetCheck, progress: Progress
) -> SetCheck:
    """The trail as restored, checked against the set's checkpoints. Raises GovernError
    `backup.restore_check` when the restored database is not what the set held."""
    copies = folder / Path(CHECKPOINTS).parent
    with _database(settings.database_url) as engine, progress("restored events") as tally:
        report = check_trail(engine, _set_public(folder), copies, _promised(check.manifest), tally)
    if not report.ok or report.events != check.trail.events:
        raise GovernError(
            "backup.restore_check",
            "The restored database's trail does not match the set; do not start Govern on it.",
        )
    return SetCheck(check.manifest, report)


def _set_public(folder: Path) -> bytes:
    return (folder / PUBLIC_KEY).read_bytes()


def _write(target: Path, data: bytes, mode: int) -> None:
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)


def _copy(source: Path, target: Path, mode: int) -> None:
    """Copy a file (an empty one when `source` does not exist), readable as `mode` says, and
    durable before the next step."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as out:
        if source.exists():
            with source.open("rb") as handle:
                shutil.copyfileobj(handle, out)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(target, mode)
