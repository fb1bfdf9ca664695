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
    """(problems, manifest) of an export bundle. No problems means: every event in it, in
    order, rebuilds with the bundle's edge hashes the root of a checkpoint signed by the key."""
    manifest = _read_json(folder / "manifest.json")
    public_key = load_public_key(pinned_key or (folder / "public_key.pem").read_bytes())
    checkpoints = [
        Checkpoint.from_json(line)
        for line in (folder / "checkpoints.jsonl").read_text().splitlines()
        if line.strip()
    ]
    problems = _signature_problems(checkpoints, public_key)
    roots = {c.tree_size: c.root_hash for c in checkpoints if verify_checkpoint(c, public_key)}
    frontier = _left_frontier(_read_json(folder / "left.json"), manifest["first"], problems)
    checked, last = _replay_events(folder, frontier, roots, manifest["first"], problems)
    if last != manifest["last"]:
        problems.append(f"the bundle ends at {last}, its manifest says {manifest['last']}")
    checked += _close_to_anchor(
        frontier, roots, manifest, _read_json(folder / "right.json"), problems
    )
    if (folder / "consistency.json").exists():  # an archive: the trail kept goes on from it
        problems += _chain_problems(
            _read_json(folder / "consistency.json"), roots, manifest, pinned_key
        )
    return problems, {**manifest, "checked_checkpoints": checked, "key_id": key_id(public_key)}


def _replay_events(
    folder: Path, frontier: Frontier, roots: dict[int, bytes], first: int, problems: list[str]
) -> tuple[int, int]:
    """Add each event's leaf; returns (signed roots matched on the way, last event number)."""
    expected, checked = first, 0
    with (folder / "events.jsonl").open("rb") as lines:
        for line in lines:
            entry = line.rstrip(b"\n")
            if json.loads(entry)["seq"] != expected:
                problems.append(f"event {expected} is missing or out of order in the bundle")
            frontier.append(leaf_hash(entry))
            expected += 1
            checked += _check_root(frontier, roots, problems)
    return checked, expected - 1


def _close_to_anchor(
    frontier: Frontier,
    roots: dict[int, bytes],
    manifest: dict[str, Any],
    right: dict[str, Any],
    problems: list[str],
) -> int:
    """Finish the tree at the anchoring checkpoint; its signed root must come out exactly."""
    anchor = manifest["anchored_by"]
    if anchor is None or right["tree_size"] != anchor:
        problems.append(f"events up to {manifest['last']} are not anchored by a signed checkpoint")
        return 0
    given = [(start, size) for start, size, _ in right["subtrees"]]
    if given != aligned_subtrees(manifest["last"], anchor):
        problems.append(f"the right-hand hashes do not cover events {manifest['last']}..{anchor}")
        return 0
    for _, size, subtree in right["subtrees"]:
        frontier.append_subtree(size, bytes.fromhex(subtree))
    if anchor not in roots or frontier.size != anchor or frontier.root() != roots[anchor]:
        problems.append(f"the bundle does not rebuild the signed root at size {anchor}")
        return 0
    return 1 if right["subtrees"] else 0  # a root at the last event was counted on the way


def _chain_problems(
    proof: dict[str, Any], roots: dict[int, bytes], manifest: dict[str, Any], pinned: bytes | None
) -> list[str]:
    """An archive's proof that a later signed checkpoint extends the one anchoring it."""
    anchor = manifest["anchored_by"]
    old = proof.get("old", {})
    if proof.get("kind") != "consistency" or old.get("tree_size") != anchor:
        return [f"the consistency proof does not start at the anchor at size {anchor}"]
    if anchor not in roots or bytes.fromhex(old["root_hash"]) != roots[anchor]:
        return [f"the consistency proof's checkpoint at size {anchor} is not the bundle's"]
    return verify_proof(proof, pinned)


def _check_root(frontier: Frontier, roots: dict[int, bytes], problems: list[str]) -> int:
    root = roots.get(frontier.size)
    if root is None:
        return 0
    if frontier.root() != root:
        problems.append(f"the events do not rebuild the signed root at size {frontier.size}")
    return 1


def _left_frontier(left: dict[str, Any], first: int, problems: list[str]) -> Frontier:
    sizes = [size for _, size in aligned_subtrees(0, left["size"])]
    if left["size"] != first - 1 or len(left["hashes"]) != len(sizes):
        problems.append(f"the hashes before event {first} do not fit the bundle")
        return Frontier()
    return Frontier(sizes, [bytes.fromhex(h) for h in left["hashes"]])


def _signature_problems(checkpoints: list[Checkpoint], public_key: Any) -> list[str]:
    return [
        f"the checkpoint at size {c.tree_size} is not signed by key {key_id(public_key)}"
        for c in checkpoints
        if not verify_checkpoint(c, public_key)
    ]


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
