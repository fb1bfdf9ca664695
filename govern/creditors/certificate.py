"""The deletion certificate: what it states, and the check of its signature. Plain: JSON and
the audit key's public half (audit.signing), no database; a creditor or a regulator can check
a certificate with this module and the public key alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from audit.entry import canonical
from audit.signing import load_public_key, verify_document
from govern.creditors.rules import FORMAT, VERSION


@dataclass(frozen=True)
class Destroyed:
    """What a contract's end destroyed, counted before the keys went."""

    debtors: int
    fields: int  # sealed personal values: debtors × personal fields
    lookup_digests: int
    key_ids: list[str]
    notes: int = 0  # collection notes sealed under its keys
    #: notes of its debtors written before it was recorded, under another key: notes are
    #: never re-sealed (the database refuses to change one), so these stay readable
    notes_under_other_keys: int = 0
    #: its debtors sealed under another key when the end came (a re-seal not finished): they
    #: stay readable, and the certificate says so rather than count them destroyed
    debtors_under_other_keys: int = 0
    #: do-not-call blocks of its debtors' parties (R-CON-4): kept, their numbers' digests
    #: under the keys file's lookup key, so the person stays blocked under any other debtor
    blocks_kept: int = 0


def document(
    header: dict[str, Any],
    creditor: dict[str, Any],
    destroyed: Destroyed,
    checkpoint: dict[str, Any] | None,
    backup_sets: list[dict[str, Any]],
) -> dict[str, Any]:
    """The certificate's statement: `header` (id, issued_at, ended_by, audit_key_id), the
    creditor and its contract, what was destroyed, the trail's newest signed checkpoint (its
    `tree_size`: the signed size) and the backup sets known to carry the destroyed keys."""
    return {
        "format": FORMAT,
        "version": VERSION,
        **header,
        "creditor": creditor,
        "destroyed": {
            "debtors": destroyed.debtors,
            "fields": destroyed.fields,
            "lookup_digests": destroyed.lookup_digests,
            "notes": destroyed.notes,
            "key_ids": destroyed.key_ids,
        },
        "not_destroyed": {
            "notes_under_other_keys": destroyed.notes_under_other_keys,
            "debtors_under_other_keys": destroyed.debtors_under_other_keys,
            "blocks_kept": destroyed.blocks_kept,
        },
        "trail": {
            "signed_size": int(checkpoint["tree_size"]) if checkpoint else 0,
            "checkpoint": checkpoint,
        },
        "backup_sets": backup_sets,
    }


def verify(certificate: dict[str, Any], public_pem: bytes) -> bool:
    """Whether `certificate` (`{"document": …, "signature": hex, …}`, as Govern exports it)
    is signed by the audit key whose public half is `public_pem`. Raises ValueError when the
    key or the signature is not one."""
    signature = bytes.fromhex(certificate["signature"])
    statement = canonical(certificate["document"])
    return verify_document(statement, signature, load_public_key(public_pem))


def exported(document_json: str, signature: bytes, key_id: str) -> dict[str, Any]:
    """The certificate as Govern hands it out: the statement, its signature and the key id."""
    return {"document": json.loads(document_json), "signature": signature.hex(), "key_id": key_id}
