"""Encryption of debtors' personal fields at rest (AES-256-GCM) and keyed lookup digests.

The keys live in one file outside the repository (`GOVERN_DATA_KEYS_FILE`, JSON):
`{"current": "k2", "keys": {"k1": "<base64>", "k2": "<base64>"}, "lookup": "<base64>",
"creditors": {"某银行": "kc1"}, "lookup_keys": {"lc1": "<base64>"}, "lookups": {"某银行": "lc1"},
"owners": {"kc1": "某银行", "lc1": "某银行"}, "destroyed": {"kc0": "某信托", "lc0": "某信托"}}`.
Every value is sealed under the key of its debtor's creditor (`creditors`: the client's current
key; `owners`: every key a creditor owns), or the current key where its client is no creditor
Govern knows, and names its key id. The lookup digests of its debtors' phone and identity
numbers (their `debtor_lookup` rows, and the digests contact keeps of their numbers: calls,
permits, blocks) are keyed the same way: under its own lookup key (`lookups`, the key in
`lookup_keys`), or the file's `lookup` where its client is no creditor. At a contract's end
the creditor's keys, both kinds, are destroyed: removed from the file, their ids kept in
`destroyed` so that a value sealed under one answers `creditor.keys_destroyed`, and every copy
of the database made before, wherever it lies, holds values no remaining key opens, and
digests no remaining key can match to a guessed number (crypto-shredding). Backup sets that
copied the file are listed beside it (govern/debtors/copies.py), so a deletion certificate
can name them.
Every change of the file holds the exclusive lock of `<file>.lock` beside it (`flock`).
`govern keys new` adds a key and makes it current; `govern keys rotate` re-seals every value
under its client's key while instances keep serving: they read the file again when they meet
a key id they lack. Once rotated, the old key can be removed from the file. Each value is
bound to its debtor and field (associated data): a value copied to another row or field does
not open.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from govern.errors import ConfigError, Forbidden, GovernError, ServiceUnavailable

_MAGIC = b"GV1"
_NONCE = 12


class SealBroken(GovernError):
    """A stored value does not open: its key is gone, or it was changed or moved."""

    status = 500


class KeysDestroyed(Forbidden):
    """The value was sealed under a creditor's key destroyed at its contract's end."""


@dataclass
class Vault:
    keys: dict[str, bytes]
    current: str
    lookup_key: bytes
    path: Path | None = None  # read again when a value names a key this process lacks
    creditors: dict[str, str] = field(default_factory=dict)  # client → its current key id
    owners: dict[str, str] = field(default_factory=dict)  # key id → the client owning it
    destroyed: dict[str, str] = field(default_factory=dict)  # key id → client, destroyed
    stamp: tuple[int, int] | None = None  # the file's inode and mtime when it was read
    lookup_keys: dict[str, bytes] = field(default_factory=dict)  # a creditor's lookup keys
    lookups: dict[str, str] = field(default_factory=dict)  # client → its lookup key id

    def lookup_for(self, client: str) -> str | None:
        """The id of the lookup key the digests of `client`'s debtors are made under now: its
        creditor's, or None (the file's `lookup`). Raises KeysDestroyed
        `creditor.keys_destroyed` when that creditor's contract has ended."""
        self.key_for(client)  # fresh, and refused for a creditor whose keys are gone
        return self.lookups.get(client)

    def key_for(self, client: str) -> str:
        """The id of the key a value of `client`'s debtor is sealed under now: its creditor's,
        or the current key. Raises KeysDestroyed `creditor.keys_destroyed` when that
        creditor's contract has ended and its keys are gone."""
        self._fresh()  # a creditor recorded or ended by another process since
        if client in self.destroyed.values() and client not in self.creditors:
            raise KeysDestroyed(
                "creditor.keys_destroyed", f"The keys of {client}'s debtors were destroyed."
            )
        return self.creditors.get(client, self.current)

    def seal(self, value: str, place: str, key_id: str | None = None) -> bytes:
        """Encrypt `value` for `place` (e.g. `DB-7K3M-9Q2X/phones`) under `key_id` (the
        current key by default)."""
        key_id = key_id or self.current
        nonce = os.urandom(_NONCE)
        sealed = _cipher(self.keys[key_id]).encrypt(nonce, value.encode(), place.encode())
        named = key_id.encode()
        return _MAGIC + bytes([len(named)]) + named + nonce + sealed

    def reload(self) -> None:
        """Read the keys file again (a creditor's key added or destroyed by this process)."""
        if self.path is not None:
            fresh = load_vault(self.path)
            for name in (f.name for f in fields(self) if f.name != "path"):
                setattr(self, name, getattr(fresh, name))
            _cipher.cache_clear()  # no destroyed key kept in memory

    def _fresh(self) -> None:
        """Read the file again when it was replaced since (one stat: every process learns of
        a creditor's key, and forgets a destroyed one, at its next seal or open)."""
        if self.path is None or self.stamp is None:
            return
        try:
            now = _stamp(self.path)
        except OSError:
            return  # a rename under way: the keys held serve until the next look
        if now != self.stamp:
            self.reload()

    def open(self, blob: bytes, place: str) -> str:
        """The value sealed for `place`. Raises SealBroken, KeysDestroyed
        `creditor.keys_destroyed`."""
        key_id = key_id_of(blob)
        start = len(_MAGIC) + 1 + len(key_id)
        if key_id in self.owners:
            self._fresh()  # a creditor's key: destroyed since by another process?
        key = self._known("keys", key_id)  # rotated since start-up? the file knows
        try:
            plain = _cipher(key).decrypt(
                blob[start : start + _NONCE], blob[start + _NONCE :], place.encode()
            )
        except InvalidTag:
            raise SealBroken(
                "debtor.seal_broken", f"A stored value of {place} does not open."
            ) from None
        return plain.decode()

    def digest(self, kind: str, value: str, lookup_id: str | None = None) -> bytes:
        """The keyed lookup digest (HMAC-SHA-256) of a phone number or identity number, under
        the lookup key `lookup_id` (a creditor's, `lookup_for`) or the file's (None). Raises
        KeysDestroyed `creditor.keys_destroyed`, SealBroken `debtor.key_missing`."""
        key = self.lookup_key if lookup_id is None else self._lookup_key(lookup_id)
        return _hmac(key, kind, value)

    def digests(self, kind: str, value: str) -> frozenset[bytes]:
        """The digest of `value` under every lookup key that remains (the file's and each
        creditor's): what a search or a contact check matches a number by, whoever's it is."""
        self._fresh()
        keys = [self.lookup_key, *self.lookup_keys.values()]
        return frozenset(_hmac(key, kind, value) for key in keys)

    def _lookup_key(self, lookup_id: str) -> bytes:
        """A creditor's lookup key: destroyed since by another process? recorded since?"""
        self._fresh()
        return self._known("lookup_keys", lookup_id)

    def _known(self, kind: Literal["keys", "lookup_keys"], key_id: str) -> bytes:
        """The key `key_id` among the file's `kind`, the file read again when this process
        does not know it (added since start-up by another process). Raises KeysDestroyed
        `creditor.keys_destroyed`, SealBroken `debtor.key_missing`."""
        if key_id not in getattr(self, kind) and self.path is not None:
            self.reload()
        if key_id in self.destroyed:
            raise KeysDestroyed(
                "creditor.keys_destroyed",
                f"Key {key_id} was destroyed at its creditor's contract end.",
            )
        key = getattr(self, kind).get(key_id)
        if key is None:
            raise SealBroken("debtor.key_missing", f"Key {key_id} is not in the data keys file.")
        return key


def _hmac(key: bytes, kind: str, value: str) -> bytes:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).digest()


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
        vault = Vault(
            keys,
            raw["current"],
            base64.b64decode(raw["lookup"], validate=True),
            path,
            dict(raw.get("creditors", {})),
            dict(raw.get("owners", {})),
            dict(raw.get("destroyed", {})),
            _stamp(path),
            {k: base64.b64decode(v, validate=True) for k, v in raw.get("lookup_keys", {}).items()},
            dict(raw.get("lookups", {})),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(
            "config.data_keys",
            f"Cannot read the debtor data keys from {path} ({error.__class__.__name__}); set "
            "GOVERN_DATA_KEYS_FILE to a file made by `govern keys new`",
        ) from None
    problems = [k for k, v in {**keys, **vault.lookup_keys}.items() if len(v) != 32] + (
        [] if vault.current in keys and len(vault.lookup_key) >= 32 else ["current/lookup"]
    )
    if problems:
        raise ConfigError(
            "config.data_keys",
            f"{path}: keys must be 32 bytes and `current` one of them ({problems[0]})",
        )
    return vault


def _stamp(path: Path) -> tuple[int, int]:
    """What changes when the file is replaced: its inode and modification time."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns


def add_key(path: Path, client: str | None = None) -> str:
    """Add a fresh key to `path` (created if missing, mode 0600) and make it current: the
    file's, or (with `client`) that creditor's own, owned by it (with its own lookup key, the
    first time). Under the file's lock."""
    key_id = f"k{'c' if client else ''}{secrets.token_hex(4)}"  # never an older key's id
    with _locked(path):
        raw = _raw(path)
        raw["keys"][key_id] = base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
        if client is None:
            raw["current"] = key_id
        else:
            raw.setdefault("creditors", {})[client] = key_id
            raw.setdefault("owners", {})[key_id] = client
            if client not in raw.get("lookups", {}):
                _new_lookup(raw, client)
        _write(path, raw)
    return key_id


def add_lookup_keys(path: Path) -> list[str]:
    """Give every creditor in `path` without a lookup key of its own one (a file written
    before creditors had them; `govern keys rotate` then moves their debtors' digests under
    it). Under the file's lock. Returns the ids added."""
    with _locked(path):
        raw = _raw(path)
        lookups = raw.get("lookups", {})
        added = [_new_lookup(raw, c) for c in sorted(raw.get("creditors", {})) if c not in lookups]
        if added:
            _write(path, raw)
    return added


def _new_lookup(raw: dict[str, Any], client: str) -> str:
    """A fresh lookup key for `client` in `raw`, owned by it; its id."""
    lookup_id = f"lc{secrets.token_hex(4)}"
    fresh = base64.b64encode(secrets.token_bytes(32)).decode()
    raw.setdefault("lookup_keys", {})[lookup_id] = fresh
    raw.setdefault("lookups", {})[client] = lookup_id
    raw.setdefault("owners", {})[lookup_id] = client
    return lookup_id


def destroy_keys(path: Path, client: str) -> list[str]:
    """Destroy every key `client` owns, its data keys and its lookup key: removed from `path`
    (the file rewritten whole, synced, renamed into place, its folder synced), their ids kept
    as destroyed; under the file's lock, read back after. Returns the ids of all its destroyed
    keys, these and any destroyed before (idempotent)."""
    with _locked(path):
        raw = _raw(path)
        owners, destroyed = raw.setdefault("owners", {}), raw.setdefault("destroyed", {})
        for key_id in [k for k, owner in owners.items() if owner == client]:
            raw["keys"].pop(key_id, None)
            raw.get("lookup_keys", {}).pop(key_id, None)
            del owners[key_id]
            destroyed[key_id] = client
        raw.setdefault("creditors", {}).pop(client, None)
        raw.get("lookups", {}).pop(client, None)
        _write(path, raw)
        written = _raw(path)
    gone = sorted(k for k, owner in written.get("destroyed", {}).items() if owner == client)
    left = {*written["keys"], *written.get("lookup_keys", {})}
    if left & set(gone) or client in {*written.get("creditors", {}), *written.get("lookups", {})}:
        raise ConfigError("config.data_keys", f"{path}: {client}'s keys are still in the file")
    return gone


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the keys file (`<file>.lock`, beside it) across a
    read-change-write, so that two processes never lose each other's change (a destroyed
    key written back, a new creditor's key lost)."""
    try:
        fd = os.open(path.with_name(f"{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise _unwritable(path, error) from None
    try:
        give_to_owner(fd, path)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        except OSError as error:
            raise _unwritable(path, error) from None
    finally:
        os.close(fd)  # closing releases the lock


class KeysUnwritable(ServiceUnavailable):
    """The keys file (or its folder) cannot be written: nothing was changed."""


def _unwritable(path: Path, error: OSError) -> KeysUnwritable:
    return KeysUnwritable(
        "creditor.keys_unwritable",
        f"The data keys file {path.name} cannot be written ({error.strerror}); nothing was"
        " changed. Its folder must be writable by the service.",
    )


def give_to_owner(fd: int, path: Path) -> None:
    """Run as root (`govern keys new`, `govern backup create`), a file Govern makes beside the
    keys file is given to the keys file's owner, so that the service can still use it."""
    if os.geteuid() == 0 and path.exists():
        owner = path.stat()
        os.fchown(fd, owner.st_uid, owner.st_gid)


def _raw(path: Path) -> dict[str, Any]:
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"keys": {}, "lookup": base64.b64encode(secrets.token_bytes(32)).decode()}


def _write(path: Path, raw: dict[str, Any]) -> None:
    """Replace `path` with `raw` atomically and durably: a crash leaves the old file or the
    new one, never a part, and a destroyed key does not come back after a power cut."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    give_to_owner(fd, path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(raw, handle, indent=2, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
