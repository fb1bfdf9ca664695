"""The backup sets that copied the data keys file, listed beside it
(`<file>.copies.jsonl`): `govern backup create` notes each set with the creditors' key ids it
carries, and a contract's end names in its deletion certificate every set carrying the keys it
destroyed (they must be destroyed whole). Kept apart from the vault (the keys themselves) and
below both of its users: backup (which writes the list) sits above creditors (which reads it
for the certificate), so the list cannot live in govern/backup.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from govern.debtors.vault import Vault, give_to_owner


def copies_file(path: Path) -> Path:
    """Where the copies of the keys file that backup sets took are listed."""
    return path.with_name(f"{path.name}.copies.jsonl")


def record_copy(
    path: Path, folder: Path, made_at: str, creditor_keys: dict[str, list[str]]
) -> None:
    """Note that the backup set in `folder` copied the keys file, with these creditors' keys."""
    line = {"folder": str(folder), "made_at": made_at, "creditor_keys": creditor_keys}
    fd = os.open(copies_file(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    give_to_owner(fd, path)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())


def copies_carrying(path: Path, key_ids: list[str]) -> list[dict[str, Any]]:
    """The backup sets noted as having copied any of `key_ids`: folder, when, which ids."""
    listed = copies_file(path)
    if not listed.exists():
        return []
    found = []
    for line in listed.read_text(encoding="utf-8").splitlines():
        copy = json.loads(line)
        carried = sorted({k for ids in copy["creditor_keys"].values() for k in ids} & set(key_ids))
        if carried:
            found.append({"folder": copy["folder"], "made_at": copy["made_at"], "keys": carried})
    return found


def creditor_keys(vault: Vault) -> dict[str, list[str]]:
    """Each creditor's keys in the vault (client → key ids), as a backup set carries them."""
    owned: dict[str, list[str]] = {}
    for key_id, client in sorted(vault.owners.items()):
        owned.setdefault(client, []).append(key_id)
    return owned
