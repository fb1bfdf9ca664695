"""Encryption of debtors' personal fields at rest (AES-256-GCM) and keyed lookup digests.

The keys live in one file outside the repository (`GOVERN_DATA_KEYS_FILE`, JSON):
`{"current": "k2", "keys": {"k1": "<base64>", "k2": "<base64>"}, "lookup": "<base64>"}`.
Every value is sealed under the current key and names its key id. `govern keys new` adds a key
and makes it current; `govern keys rotate` re-seals every value under it while instances keep
serving: they read the file again when they meet a key id they lack. Once rotated, the old key
can be removed from the file. Each value is bound to its debtor and field (associated
data): a value copied to another row or field does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from govern.errors import ConfigError, GovernError

_MAGIC = b"GV1"
_NONCE = 12


class SealBroken(GovernError):
    """A stored value does not open: its key is gone, or it was changed or moved."""

    status = 500


@dataclass
class Vault:
    keys: dict[str, bytes]
    current: str
    lookup_key: bytes
    path: Path | None = None  # read again when a value names a key this process lacks

    def seal(self, value: str, place: str) -> bytes:
        """Encrypt `value` for `place` (e.g. `DB-7K3M-9Q2X/phones`) under the current key."""
        nonce = os.urandom(_NONCE)
        sealed = _cipher(self.keys[self.current]).encrypt(nonce, value.encode(), place.encode())
        key_id = self.current.encode()
        return _MAGIC + bytes([len(key_id)]) + key_id + nonce + sealed

    def open(self, blob: bytes, place: str) -> str:
        """The value sealed for `place`. Raises SealBroken."""
        key_id = key_id_of(blob)
        start = len(_MAGIC) + 1 + len(key_id)
        if key_id not in self.keys and self.path is not None:
            self.keys = load_vault(self.path).keys  # rotated since start-up: the file knows
        key = self.keys.get(key_id)
        if key is None:
            raise SealBroken("debtor.key_missing", f"Key {key_id} is not in the data keys file.")
        try:
            plain = _cipher(key).decrypt(
                blob[start : start + _NONCE], blob[start + _NONCE :], place.encode()
            )
        except InvalidTag:
            raise SealBroken(
                "debtor.seal_broken", f"A stored value of {place} does not open."
            ) from None
        return plain.decode()

    def digest(self, kind: str, value: str) -> bytes:
        """The keyed lookup digest (HMAC-SHA-256) of a phone number or identity number."""
        return hmac.new(self.lookup_key, f"{kind}:{value}".encode(), hashlib.sha256).digest()


@lru_cache(maxsize=16)
def _cipher(key: bytes) -> AESGCM:
    """One AES-GCM context per key (building one costs more than sealing a field)."""
    return AESGCM(key)


def key_id_of(blob: bytes) -> str:
    """The id of the key a stored value is sealed under. Raises SealBroken."""
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 1:
        raise SealBroken("debtor.seal_broken", "A stored value is not sealed.")
    length = blob[len(_MAGIC)]
    return blob[len(_MAGIC) + 1 : len(_MAGIC) + 1 + length].decode()


def load_vault(path: Path) -> Vault:
    """The keys in `path`, a file only its owner may read. Raises ConfigError naming
    GOVERN_DATA_KEYS_FILE."""
    try:
        if path.stat().st_mode & 0o077:
            raise ConfigError(
                "config.data_keys",
                f"{path} may be read by others; `chmod 600 {path}` (it holds the debtor keys)",
            )
        raw = json.loads(path.read_text(encoding="utf-8"))
        keys = {key_id: base64.b64decode(key, validate=True) for key_id, key in raw["keys"].items()}
        vault = Vault(keys, raw["current"], base64.b64decode(raw["lookup"], validate=True), path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(
            "config.data_keys",
            f"Cannot read the debtor data keys from {path} ({error.__class__.__name__}); set "
            "GOVERN_DATA_KEYS_FILE to a file made by `govern keys new`",
        ) from None
    problems = [k for k, v in keys.items() if len(v) != 32] + (
        [] if vault.current in keys and len(vault.lookup_key) >= 32 else ["current/lookup"]
    )
    if problems:
        raise ConfigError(
            "config.data_keys",
            f"{path}: keys must be 32 bytes and `current` one of them ({problems[0]})",
        )
    return vault


def add_key(path: Path) -> str:
    """Add a fresh key to `path` (created if missing, mode 0600) and make it current."""
    if path.exists():
        raw = json.loads(path.read_text(encoding="utf-8"))
    else:
        raw = {"keys": {}, "lookup": base64.b64encode(secrets.token_bytes(32)).decode()}
    key_id = f"k{secrets.token_hex(4)}"  # never an id an older, deleted key had
    raw["keys"][key_id] = base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
    raw["current"] = key_id
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(raw, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    return key_id
