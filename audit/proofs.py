"""Proofs and export bundles an auditor can check offline (with `audit.offline`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from audit import store
from audit.merkle import (
    Frontier,
    SubtreeHash,
    aligned_subtrees,
    consistency_path,
    inclusion_path,
)
from audit.signing import Checkpoint
from audit.tally import QUIET, Tally

#: How many events an export writes between two words of its progress.
EVENTS_A_STEP = 1000


def inclusion_proof(
    connection: Connection, seq: int, checkpoint: Checkpoint, public_key_pem: bytes
) -> dict[str, Any]:
    """Proof that event `seq` is in the tree signed by `checkpoint`."""
    if not 1 <= seq <= checkpoint.tree_size:
        raise ValueError(f"event {seq} is not covered by the checkpoint at {checkpoint.tree_size}")
    entry = next(store.rows(connection, seq, seq))[1]
    path = inclusion_path(seq - 1, checkpoint.tree_size, _subtree(connection))
    return {
        "kind": "inclusion",
        "seq": seq,
        "entry": entry.decode(),
        "tree_size": checkpoint.tree_size,
        "path": [h.hex() for h in path],
        "checkpoint": json.loads(checkpoint.to_json()),
        "public_key": public_key_pem.decode(),
    }


def inclusion_proofs(
    connection: Connection, seqs: Iterable[int], checkpoint: Checkpoint
) -> dict[int, dict[str, Any]]:
    """Inclusion proofs of each of `seqs` in the tree signed by `checkpoint`, without the
    checkpoint and the key: the caller gives them once beside the proofs (a document for
    `verify_proof` is a proof with `checkpoint` and `public_key` added). A subtree's hash
    shared by several proofs is read once."""
    subtree = cache(_subtree(connection))
    proofs = {}
    for seq in seqs:
        entry = next(store.rows(connection, seq, seq))[1]
        path = inclusion_path(seq - 1, checkpoint.tree_size, subtree)
        proofs[seq] = {
            "kind": "inclusion",
            "seq": seq,
            "entry": entry.decode(),
            "tree_size": checkpoint.tree_size,
            "path": [h.hex() for h in path],
        }
    return proofs


def consistency_proof(
    connection: Connection, old: Checkpoint, new: Checkpoint, public_key_pem: bytes
) -> dict[str, Any]:
    """Proof that the tree signed by `new` extends the one signed by `old`."""
    proof = consistency_path(old.tree_size, new.tree_size, _subtree(connection))
    return {
        "kind": "consistency",
        "old": json.loads(old.to_json()),
        "new": json.loads(new.to_json()),
        "proof": [h.hex() for h in proof],
        "public_key": public_key_pem.decode(),
    }


def export_bundle(
    connection: Connection,
    checkpoints: list[Checkpoint],
    first: int,
    last: int,
    public_key_pem: bytes,
    folder: Path,
    tally: Tally = QUIET,
) -> dict[str, Any]:
    """Write events first..last with what rebuilds each covering checkpoint's root (`tally`
    hears each thousand events written).

    The bundle holds `events.jsonl` (entries byte for byte), `checkpoints.jsonl`, `left.json`
    (the frontier before `first`), `right.json` (aligned subtree hashes from `last` to the
    first checkpoint at or after it), `public_key.pem` and `manifest.json`.
    """
    folder.mkdir(parents=True, exist_ok=False)
    anchor = next((c for c in checkpoints if c.tree_size >= last), None)
    anchored_by = anchor.tree_size if anchor else None
    covering = [c for c in checkpoints if first <= c.tree_size <= (anchored_by or last)]
    _write_events(connection, first, last, folder / "events.jsonl", tally)
    (folder / "checkpoints.jsonl").write_text("".join(c.to_json() + "\n" for c in covering))
    left = _frontier_before(connection, first)
    _write_json(folder / "left.json", {"size": first - 1, "hashes": [h.hex() for h in left.hashes]})
    right = _subtrees_after(connection, last, anchored_by) if anchored_by else []
    _write_json(folder / "right.json", {"tree_size": anchored_by, "subtrees": right})
    (folder / "public_key.pem").write_bytes(public_key_pem)
    manifest = {
        "first": first,
        "last": last,
        "anchored_by": anchored_by,
        "checkpoints": [c.tree_size for c in covering],
    }
    _write_json(folder / "manifest.json", manifest)
    return manifest


def _write_events(connection: Connection, first: int, last: int, path: Path, tally: Tally) -> None:
    """Events first..last to `path`, entries byte for byte, a line each; `tally` hears each
    EVENTS_A_STEP written."""
    tally.count(last - first + 1)
    with path.open("wb") as out:
        for written, (_, entry, _) in enumerate(store.rows(connection, first, last), 1):
            out.write(entry + b"\n")
            if written % EVENTS_A_STEP == 0:
                tally.advance(EVENTS_A_STEP)
    tally.advance((last - first + 1) % EVENTS_A_STEP)


def _subtrees_after(connection: Connection, last: int, tree_size: int) -> list[list[Any]]:
    """[start, size, hash] of the aligned subtrees between event `last` and `tree_size`."""
    return [
        [start, size, store.subtree_hash(connection, start, start + size).hex()]
        for start, size in aligned_subtrees(last, tree_size)
    ]


def _frontier_before(connection: Connection, first: int) -> Frontier:
    found = store.checkpoint_at_or_before(connection, first - 1)
    frontier, start = (found[1], found[0].tree_size + 1) if found else (Frontier(), 1)
    for leaf in store.leaf_hashes(connection, start, first - 1):
        frontier.append(leaf)
    return frontier


def _subtree(connection: Connection) -> SubtreeHash:
    return lambda begin, end: store.subtree_hash(connection, begin, end)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    path.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")
