"""RFC 9162 §2.1 Merkle tree: roots, frontiers and both proofs, against the definitions."""

from __future__ import annotations

import hashlib

import pytest

from audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    aligned_subtrees,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    root_of,
    split,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [leaf_hash(f"event {i}".encode()) for i in range(70)]


def subtree(begin: int, end: int) -> bytes:
    return root_of(LEAVES[begin:end])


def reference_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as RFC 9162 §2.1.3.1 writes it."""
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return [*reference_path(m, leaves[:k]), root_of(leaves[k:])]
    return [*reference_path(m - k, leaves[k:]), root_of(leaves[:k])]


def reference_proof(m: int, leaves: list[bytes], whole: bool = True) -> list[bytes]:
    """SUBPROOF(m, D[n], b) exactly as RFC 9162 §2.1.4.1 writes it."""
    n = len(leaves)
    if m == n:
        return [] if whole else [root_of(leaves)]
    k = split(n)
    if m <= k:
        return [*reference_proof(m, leaves[:k], whole), root_of(leaves[k:])]
    return [*reference_proof(m - k, leaves[k:], False), root_of(leaves[:k])]


def test_r_aud_2_hashes_are_those_of_rfc_9162() -> None:
    assert root_of([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    # The RFC 6962 test vector tree: the root of the 8-leaf test tree.
    vectors = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ]
    assert root_of([leaf_hash(v) for v in vectors]).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


@pytest.mark.parametrize("n", range(1, 70))
def test_a_frontier_gives_the_root_of_every_size(n: int) -> None:
    frontier = Frontier()
    for leaf in LEAVES[:n]:
        frontier.append(leaf)
    assert frontier.root() == root_of(LEAVES[:n])
    assert Frontier.decode(n, frontier.encode()).root() == frontier.root()


def test_aligned_subtrees_extend_a_frontier_to_the_same_root() -> None:
    for begin in range(0, 40):
        for end in range(begin, 70):
            frontier = Frontier()
            for leaf in LEAVES[:begin]:
                frontier.append(leaf)
            for start, size in aligned_subtrees(begin, end):
                frontier.append_subtree(size, subtree(start, start + size))
            assert frontier.root() == root_of(LEAVES[:end])


def test_r_aud_2_inclusion_proofs_follow_the_rfc_and_verify() -> None:
    for n in range(1, 40):
        root = root_of(LEAVES[:n])
        for m in range(n):
            path = inclusion_path(m, n, subtree)
            assert path == reference_path(m, LEAVES[:n])
            assert verify_inclusion(m, n, LEAVES[m], path, root)
            assert not verify_inclusion(m, n, LEAVES[m + 1], path, root)
            if path:
                forged = [bytes(32), *path[1:]]
                assert not verify_inclusion(m, n, LEAVES[m], forged, root)


def test_r_aud_2_consistency_proofs_follow_the_rfc_and_verify() -> None:
    for n in range(1, 40):
        for m in range(1, n + 1):
            proof = consistency_path(m, n, subtree)
            assert proof == reference_proof(m, LEAVES[:n])
            old_root, new_root = root_of(LEAVES[:m]), root_of(LEAVES[:n])
            assert verify_consistency(m, n, old_root, new_root, proof)
            if m < n:
                rewritten = root_of([bytes(32), *LEAVES[1:m]])
                assert not verify_consistency(m, n, rewritten, new_root, proof)


def test_an_inclusion_proof_stays_small_at_eighty_million_events() -> None:
    index, size = 41_234_567, 80_000_000
    path = inclusion_path(index, size, lambda begin, end: bytes(32))
    assert len(path) == 27 and 32 * len(path) < 1024
