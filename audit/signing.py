"""Signed checkpoints: tree size, root hash and time, signed with Ed25519; and the one way a
document Govern issues is signed with the same key (`Signer.sign_document`).

A checkpoint is two things: the statement (canonical JSON, the bytes signed) and the
signature. A document's signature covers its bytes after `DOCUMENT_CONTEXT`, so neither can
pass for the other. Standard library and `cryptography` only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.entry import canonical, rfc3339


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hash: bytes
    time: str
    key_id: str
    signature: bytes

    @property
    def statement(self) -> bytes:
        return statement(self.tree_size, self.root_hash, self.time)

    def to_json(self) -> str:
        """One line of the checkpoint file (and of an export bundle)."""
        return json.dumps(
            {
                "tree_size": self.tree_size,
                "root_hash": self.root_hash.hex(),
                "time": self.time,
                "key_id": self.key_id,
                "signature": base64.b64encode(self.signature).decode(),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, line: str) -> Checkpoint:
        raw = json.loads(line)
        return cls(
            int(raw["tree_size"]),
            bytes.fromhex(raw["root_hash"]),
            raw["time"],
            raw["key_id"],
            base64.b64decode(raw["signature"]),
        )


def statement(tree_size: int, root_hash: bytes, time: str) -> bytes:
    return canonical({"root_hash": root_hash.hex(), "time": time, "tree_size": tree_size})


class Signer:
    """Signs checkpoints, and the documents Govern issues, with the service's Ed25519 key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    def sign(self, tree_size: int, root_hash: bytes, at: datetime) -> Checkpoint:
        time = rfc3339(at)
        signature = self._key.sign(statement(tree_size, root_hash, time))
        return Checkpoint(tree_size, root_hash, time, self.key_id, signature)

    def sign_document(self, data: bytes) -> DocumentSignature:
        """A detached signature of a document Govern issues (`document_bytes`): a JSON
        document's canonical JSON (`audit.entry.canonical`), a CSV's exact bytes."""
        return DocumentSignature(self.key_id, self._key.sign(document_bytes(data)))


@dataclass(frozen=True)
class DocumentSignature:
    """A detached Ed25519 signature of a document's bytes, and the id of the key that made
    it (`key_id`: the first 16 hex digits of the SHA-256 of the raw public key)."""

    key_id: str
    value: bytes

    def to_dict(self) -> dict[str, str]:
        return {"algorithm": "Ed25519", "key_id": self.key_id, "value": self.value.hex()}


#: Prefixed to a document's bytes before they are signed, so that no document signed with the
#: audit key can pass for a checkpoint statement, nor a statement for a document.
DOCUMENT_CONTEXT = b"govern signed document v1\n"


def document_bytes(data: bytes) -> bytes:
    """The bytes a document's signature covers: the context, then the document's own."""
    return DOCUMENT_CONTEXT + data


def verify_document(data: bytes, signature: bytes, public_key: Ed25519PublicKey) -> bool:
    """Whether `signature` is the key's signature of the document `data`
    (`Signer.sign_document`)."""
    try:
        public_key.verify(signature, document_bytes(data))
    except InvalidSignature:
        return False
    return True


def verify_checkpoint(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(checkpoint.signature, checkpoint.statement)
    except InvalidSignature:
        return False
    return True


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file. Raises ValueError when it is not one."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds no Ed25519 private key")
    return key


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key of a PEM: a public key, or the signing key itself (which holds
    its public half). Raises ValueError when it is neither."""
    if b"PRIVATE KEY" in pem:
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return private.public_key()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def new_private_key_pem() -> bytes:
    """A fresh key, PEM (PKCS#8, unencrypted): for the demo and for tests."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
