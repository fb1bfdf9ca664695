"""A backup set's manifest: what the set holds, each file's SHA-256, and the trail's signed
size. Plain: files and JSON only.

A set is one folder:

    manifest.json                 written last: a set without it is not complete
    database.dump | database.sqlite
    data_keys.json                the keys that seal debtors' fields (GOVERN_DATA_KEYS_FILE);
                                  the manifest lists each creditor's key ids it carries
    audit_public.pem              the public half of the audit signing key
    checkpoints/checkpoints.jsonl the copy of the checkpoints (GOVERN_CHECKPOINT_DIR)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.errors import BadRequest

FORMAT = "govern-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATA_KEYS = "data_keys.json"
PUBLIC_KEY = "audit_public.pem"
CHECKPOINTS = "checkpoints/checkpoints.jsonl"
#: The database's file by kind: pg_dump's custom format, or a SQLite database file.
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite"}
CHUNK = 1024 * 1024


class SetRefused(BadRequest):
    """The set is incomplete, damaged or not what it says it is; nothing was restored."""


@dataclass(frozen=True)
class Manifest:
    """What a set holds. `checkpoint`: the newest signed checkpoint (its JSON line), whose
    `tree_size` is the trail's signed size; None when nothing was signed yet."""

    database: str  # postgresql | sqlite
    revision: str | None  # the schema's Alembic revision
    created_at: str
    audit_key_id: str
    checkpoint: dict[str, Any] | None
    hashes: dict[str, str] = field(default_factory=dict)  # file → sha256 hex
    #: Each creditor's data key ids the set's keys file carries (client → ids): once a
    #: contract ends and those keys are destroyed, the set's copy is what still holds them.
    creditor_keys: dict[str, list[str]] = field(default_factory=dict)

    @property
    def database_file(self) -> str:
        return DATABASE_FILES[self.database]

    @property
    def signed_size(self) -> int:
        return int(self.checkpoint["tree_size"]) if self.checkpoint else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "database": self.database,
            "revision": self.revision,
            "created_at": self.created_at,
            "audit_key_id": self.audit_key_id,
            "trail": {"signed_size": self.signed_size, "checkpoint": self.checkpoint},
            "files": {name: {"sha256": digest} for name, digest in sorted(self.hashes.items())},
            "creditor_keys": self.creditor_keys,
        }


def required_files(database: str) -> tuple[str, ...]:
    """Every file a set of this database kind must hold and hash."""
    return (DATABASE_FILES[database], DATA_KEYS, PUBLIC_KEY, CHECKPOINTS)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write the manifest last, whole or not at all (a temporary file renamed into place)."""
    temporary = folder / f".{MANIFEST}.part"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(json.dumps(manifest.as_dict(), indent=2, sort_keys=True) + "\n")
    os.replace(temporary, folder / MANIFEST)


def read_manifest(folder: Path) -> Manifest:
    """The set's manifest. Raises SetRefused `backup.manifest` when it is missing or not one,
    `backup.incomplete` when it leaves out a file every set holds."""
    try:
        raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT or raw.get("version") != VERSION:
            raise ValueError("not a Govern backup manifest of a known version")
        manifest = Manifest(
            database=raw["database"],
            revision=raw["revision"],
            created_at=raw["created_at"],
            audit_key_id=raw["audit_key_id"],
            checkpoint=raw["trail"]["checkpoint"],
            hashes={name: entry["sha256"] for name, entry in raw["files"].items()},
            creditor_keys=dict(raw.get("creditor_keys", {})),  # sets made before list none
        )
        left_out = [name for name in required_files(manifest.database) if name not in raw["files"]]
        if set(raw["files"]) - set(required_files(manifest.database)):
            raise ValueError("it lists files a set does not hold")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise SetRefused(
            "backup.manifest",
            f"{folder / MANIFEST} is missing or not a backup manifest ({type(error).__name__}).",
        ) from None
    if left_out:
        raise SetRefused("backup.incomplete", f"The manifest lists no {', '.join(left_out)}.")
    return manifest


def sha256_of(path: Path) -> str:
    """The file's SHA-256 (hex), read in chunks (a dump may be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_hashes(folder: Path, manifest: Manifest) -> None:
    """Every file the manifest lists is there, byte for byte. Raises SetRefused
    `backup.file_missing` or `backup.hash_mismatch` naming the first file that is not."""
    for name, expected in sorted(manifest.hashes.items()):
        path = folder / name
        if not path.is_file():
            raise SetRefused("backup.file_missing", f"The set has no {name}.")
        if sha256_of(path) != expected:
            raise SetRefused(
                "backup.hash_mismatch", f"{name} is not the file backed up (its hash differs)."
            )
