"""Offline checks of proofs and export bundles: standard library and `cryptography` only.

Used by scripts/verify_bundle.py; needs nothing of the service, its database or its key
store. A verified bundle or proof is as good as the public key it is checked against: compare
the key id with the one the service's operators publish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audit.merkle import Frontier, aligned_subtrees, leaf_hash, verify_consistency, verify_inclusion
from audit.signing import Checkpoint, key_id, load_public_key, verify_checkpoint


def verify_proof(document: dict[str, Any], pinned_key: bytes | None = None) -> list[str]:
    """Problems with an inclusion or consistency proof document; empty when it holds."""
    public_key = load_public_key(pinned_key or document["public_key"].encode())
    if document["kind"] == "inclusion":
        checkpoint = Checkpoint.from_json(json.dumps(document["checkpoint"]))
        problems = _signature_problems([checkpoint], public_key)
        entry = document["entry"].encode()
        if json.loads(entry)["seq"] != document["seq"]:
            problems.append("the entry's own sequence number differs from the proof's")
        path = [bytes.fromhex(h) for h in document["path"]]
        if not verify_inclusion(
            document["seq"] - 1, checkpoint.tree_size, leaf_hash(entry), path, checkpoint.root_hash
        ):
            problems.append(
                f"event {document['seq']} is not in the signed tree of "
                f"{checkpoint.tree_size} events"
            )
        return problems
    old = Checkpoint.from_json(json.dumps(document["old"]))
    new = Checkpoint.from_json(json.dumps(document["new"]))
    problems = _signature_problems([old, new], public_key)
    proof = [bytes.fromhex(h) for h in document["proof"]]
    if not verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof):
        problems.append(f"the tree of {new.tree_size} does not extend the tree of {old.tree_size}")
    return problems


def verify_bundle(
    folder: Path, pinned_key: bytes | None = None
) -> tuple[list[str], dict[str, Any]]:
    """(problems, manifest) of an export bundle; no problems means every event in it is
    covered by a signed checkpoint whose root it rebuilds exactly."""
    manifest = _read_json(folder / "manifest.json")
    public_key = load_public_key(pinned_key or (folder / "public_key.pem").read_bytes())
    checkpoints = [
        Checkpoint.from_json(line)
        for line in (folder / "checkpoints.jsonl").read_text().splitlines()
        if line.strip()
    ]
    problems = _signature_problems(checkpoints, public_key)
    roots = {c.tree_size: c.root_hash for c in checkpoints}
    frontier = _left_frontier(_read_json(folder / "left.json"))
    expected, checked = manifest["first"], 0
    with (folder / "events.jsonl").open("rb") as lines:
        for line in lines:
            entry = line.rstrip(b"\n")
            if json.loads(entry)["seq"] != expected:
                problems.append(f"event {expected} is missing or out of order in the bundle")
            frontier.append(leaf_hash(entry))
            expected += 1
            checked += _check_root(frontier, roots, problems)
    right = _read_json(folder / "right.json")
    for start, size, subtree in right["subtrees"]:
        if start != frontier.size:
            problems.append(f"right-hand subtree at {start} does not follow event {frontier.size}")
        frontier.append_subtree(size, bytes.fromhex(subtree))
    if right["subtrees"]:
        checked += _check_root(frontier, roots, problems)
    if expected - 1 != manifest["last"]:
        problems.append(f"the bundle ends at {expected - 1}, its manifest says {manifest['last']}")
    if manifest["anchored_by"] is None:
        problems.append(
            f"events after the last checkpoint are unanchored (up to {manifest['last']})"
        )
    manifest = {**manifest, "checked_checkpoints": checked, "key_id": key_id(public_key)}
    return problems, manifest


def _check_root(frontier: Frontier, roots: dict[int, bytes], problems: list[str]) -> int:
    root = roots.get(frontier.size)
    if root is None:
        return 0
    if frontier.root() != root:
        problems.append(f"the events do not rebuild the signed root at size {frontier.size}")
    return 1


def _left_frontier(left: dict[str, Any]) -> Frontier:
    sizes = [size for _, size in aligned_subtrees(0, left["size"])]
    return Frontier(sizes, [bytes.fromhex(h) for h in left["hashes"]])


def _signature_problems(checkpoints: list[Checkpoint], public_key: Any) -> list[str]:
    return [
        f"the checkpoint at size {c.tree_size} is not signed by key {key_id(public_key)}"
        for c in checkpoints
        if not verify_checkpoint(c, public_key)
    ]


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
