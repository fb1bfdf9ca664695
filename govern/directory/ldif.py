"""The demo's embedded directory: a read-only LDIF file checked in-process.

Only for the demo (GOVERN_DEMO=1). Passwords must be `{SSHA}` hashes, as slapd stores them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from pathlib import Path

from ldif import LDIFParser

from govern.directory.person import TRACK_NAMES, DirectoryEntry, TrackTable, username_key
from govern.directory.source import Directory
from govern.errors import ConfigError


class LdifDirectory(Directory):
    def __init__(
        self,
        path: str,
        attributes: Mapping[str, str],
        role_groups: Mapping[str, str],
        tracks: TrackTable = TRACK_NAMES,
    ) -> None:
        super().__init__(attributes, role_groups, tracks)
        self._entries = _read(Path(path))
        key = self.attributes["employee_number"].lower()
        self._people = [entry for entry in self._entries if entry.attributes.get(key)]

    def answers(self) -> None:
        """The file was read at start-up: it always answers."""

    def _people_entries(self) -> list[DirectoryEntry]:
        return list(self._people)

    def _groups(self) -> dict[str, set[str]]:
        return {
            cn.lower(): set(entry.attributes.get("member", ()))
            for entry in self._entries
            if "groupofnames" in {kind.lower() for kind in entry.attributes.get("objectclass", ())}
            for cn in entry.attributes.get("cn", ())
        }

    def _find_person(self, username: str) -> DirectoryEntry | None:
        key, wanted = self.attributes["username"], username_key(username)
        found = [e for e in self._people if username_key(e.first(key) or "") == wanted]
        return found[0] if len(found) == 1 else None

    def _password_ok(self, entry: DirectoryEntry, password: str) -> bool:
        return any(
            ssha_matches(stored, password) for stored in entry.attributes.get("userpassword", ())
        )


def ssha_matches(stored: str, password: str) -> bool:
    """Whether `password` matches an `{SSHA}` value (SHA-1 over password ‖ salt, then salt)."""
    if not stored.upper().startswith("{SSHA}"):
        return False
    try:
        raw = base64.b64decode(stored[6:], validate=True)
    except ValueError:
        return False
    digest, salt = raw[:20], raw[20:]
    return hmac.compare_digest(digest, hashlib.sha1(password.encode() + salt).digest())


def _read(path: Path) -> list[DirectoryEntry]:
    try:
        with path.open("rb") as handle:
            records = list(LDIFParser(handle).parse())
    except (OSError, ValueError) as error:
        raise ConfigError(
            "config.directory_url", f"Cannot read the LDIF directory {path}: {error}"
        ) from None
    return [
        DirectoryEntry(
            dn, {name.lower(): [_text(v) for v in values] for name, values in attrs.items()}
        )
        for dn, attrs in records
        if dn
    ]


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
