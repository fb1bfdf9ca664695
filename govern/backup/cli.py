"""`govern backup …`: write a set, check one offline, restore one into an empty database.

They read the settings themselves and never build the service: a restore comes before the data
keys the service needs to start, and a check needs no setting at all.
"""

from __future__ import annotations

from pathlib import Path

import click

from govern.backup.service import (
    Restored,
    SetCheck,
    create_set,
    restore_set,
    verify_set,
)
from govern.clock import SystemClock
from govern.command_line import counted, progress_bar
from govern.config import load_settings
from govern.migrate import schema_head

PRIVATE_KEY_NOTE = (
    "the audit signing key's private half is not in the set: keep it apart, as a secret "
    "of its own (GOVERN_AUDIT_KEY_FILE)"
)


@click.group()
def backup() -> None:
    """Backup sets: the database, data keys, audit public key and checkpoint copies."""


@backup.command("create")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def create(folder: Path) -> None:
    """Write one consistent set of this Govern into FOLDER (new or empty)."""
    manifest = create_set(load_settings(), folder, SystemClock(), progress_bar)
    click.echo(
        f"backup set written to {folder}: the {manifest.database} database (schema revision "
        f"{manifest.revision}), the trail signed up to {counted(manifest.signed_size, 'event')}, "
        f"the data keys, the audit public key (key id {manifest.audit_key_id}), "
        "the checkpoint copies"
    )
    click.echo(f"{PRIVATE_KEY_NOTE}; check the set with `govern backup verify {folder}`")


@backup.command("verify")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The audit public key (PEM) kept apart from the set: the set must be signed by it.",
)
def verify(folder: Path, public_key: Path | None) -> None:
    """Check the set in FOLDER offline (no setting, no database server); exit 1 if it does
    not verify."""
    check = verify_set(folder, public_key.read_bytes() if public_key else None, progress_bar)
    click.echo(f"OK: the set verifies: {_verified(check)}")


@backup.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--overwrite-files",
    is_flag=True,
    help="Replace a data keys file or checkpoint copy in place that differs from the set's.",
)
def restore(folder: Path, overwrite_files: bool) -> None:
    """Restore the set in FOLDER into the configured, empty database, and its data keys and
    checkpoint copies to their configured places. Exit 1: the set is refused; exit 4: the
    database holds tables, or a file in place differs."""
    restored = restore_set(load_settings(), folder, overwrite_files, progress_bar)
    _print_restored(restored)


def _print_restored(restored: Restored) -> None:
    manifest = restored.check.manifest
    click.echo(f"restored the {manifest.database} database of {manifest.created_at}")
    for place, what in restored.files.items():
        click.echo(f"  {place}: {what}")
    click.echo(f"the restored trail verifies: {_verified(restored.check)}")
    if manifest.revision == schema_head():
        click.echo(f"schema revision {manifest.revision}, this Govern's")
    else:
        click.echo(
            f"schema revision {manifest.revision}: run `govern db upgrade` before starting "
            "this Govern on it"
        )
    if "kept newer" in restored.files.values():
        click.echo(
            "the checkpoint copy in place goes on past the set: `govern audit verify` names "
            "the events lost since it; keep that report, then put the set's copy in place "
            "before starting Govern (docs/operations.md, what must be restored together)",
            err=True,
        )
    if restored.signing_key_missing:
        click.echo(
            "no signing key at GOVERN_AUDIT_KEY_FILE: put back the one the set was signed with "
            f"(key id {manifest.audit_key_id}) before starting Govern",
            err=True,
        )


def _verified(check: SetCheck) -> str:
    trail = check.trail
    return (
        f"{len(check.manifest.hashes)} files match their hashes; {counted(trail.events, 'event')} "
        f"against {counted(trail.checkpoints, 'signed checkpoint')}, signed up to "
        f"{check.manifest.signed_size}, "
        f"anchored up to {trail.anchored_to}"
    )
