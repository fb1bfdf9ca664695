"""The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2), standard library only.

Leaf hash SHA-256(0x00 ‖ entry), node hash SHA-256(0x01 ‖ left ‖ right); the tree over n
leaves splits at the largest power of two below n. Proofs follow §2.1.3 and §2.1.4.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256

#: Returns the hash of the perfect or partial subtree over leaves [begin, end).
SubtreeHash = Callable[[int, int], bytes]


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, by the definition (§2.1.1)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


def aligned_subtrees(begin: int, end: int) -> list[tuple[int, int]]:
    """The perfect, aligned subtrees (start, size) that cover [begin, end), left to right.

    From 0 they are the tree's frontier; from any `begin` they can be appended to a
    frontier of size `begin` one after another.
    """
    out = []
    while begin < end:
        size = begin & -begin if begin else 1 << ((end - begin).bit_length() - 1)
        while size > end - begin:
            size >>= 1
        out.append((begin, size))
        begin += size
    return out


@dataclass
class Frontier:
    """The right edge of a growing tree: one hash per perfect subtree, largest first.

    O(log n) hashes give the root of n leaves and let more leaves be added without the
    earlier ones (a "compact range" from 0).
    """

    sizes: list[int] = field(default_factory=list)
    hashes: list[bytes] = field(default_factory=list)
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = sum(self.sizes)

    def append(
        self, leaf: bytes, notes: list[tuple[int, int, bytes]] | None = None, least: int = 0
    ) -> None:
        """Add one leaf hash (the verifier's hot path: kept free of checks). With `notes`,
        also note each perfect subtree of at least `least` leaves this leaf completes, as
        (start, size, hash): stored, they make proofs O(log n) to build."""
        sizes, hashes = self.sizes, self.hashes
        sizes.append(1)
        hashes.append(leaf)
        self.size += 1
        while len(sizes) > 1 and sizes[-1] == sizes[-2]:
            right = hashes.pop()
            hashes[-1] = _sha256(b"\x01" + hashes[-1] + right).digest()
            sizes.pop()
            sizes[-1] *= 2
            if notes is not None and sizes[-1] >= least:
                notes.append((self.size - sizes[-1], sizes[-1], hashes[-1]))

    def append_subtree(self, size: int, subtree: bytes) -> None:
        """Add a perfect subtree of `size` leaves; the tree's size must be a multiple of it."""
        if self.size % size:
            raise ValueError(f"a subtree of {size} cannot start at {self.size}")
        self.sizes.append(size)
        self.hashes.append(subtree)
        self.size += size
        while len(self.sizes) > 1 and self.sizes[-1] == self.sizes[-2]:
            right, left = self.hashes.pop(), self.hashes.pop()
            self.sizes[-2:] = [self.sizes[-1] * 2]
            self.hashes.append(node_hash(left, right))

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for subtree in reversed(self.hashes[:-1]):
            result = node_hash(subtree, result)
        return result

    def encode(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def decode(cls, tree_size: int, data: bytes) -> Frontier:
        sizes = [size for _, size in aligned_subtrees(0, tree_size)]
        hashes = [data[i * 32 : (i + 1) * 32] for i in range(len(sizes))]
        if len(data) != 32 * len(sizes):
            raise ValueError("frontier does not fit its tree size")
        return cls(sizes, hashes)


def inclusion_path(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PATH(index, D[size]) of §2.1.3.1, with subtree hashes from `subtree(begin, end)`."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    begin, end = 0, size
    while end - begin > 1:
        k = split(end - begin)
        if index < begin + k:
            path.append(subtree(begin + k, end))
            end = begin + k
        else:
            path.append(subtree(begin, begin + k))
            begin += k
    return path[::-1]


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """§2.1.3.2: does `path` prove `leaf` at `index` in the tree of `size` with `root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistency_path(old: int, new: int, subtree: SubtreeHash) -> list[bytes]:
    """PROOF(old, D[new]) of §2.1.4.1."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from {old} to {new}")
    proof: list[bytes] = []
    begin, end, whole = 0, new, True
    m = old
    while m != end - begin:
        k = split(end - begin)
        if m <= k:
            proof.append(subtree(begin + k, end))
            end = begin + k
        else:
            proof.append(subtree(begin, begin + k))
            begin, m, whole = begin + k, m - k, False
    if not whole:
        proof.append(subtree(begin, end))
    return proof[::-1]


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """§2.1.4.2: is the tree of `new` leaves an extension of the tree of `old` leaves?"""
    if not 0 < old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
