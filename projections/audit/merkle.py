"""RFC 9162 (Certificate Transparency v2, RFC 6962) Merkle trees, proofs and their verification.

Trees are served from stored "perfect subtree" hashes: node ``(level, index)`` is the hash of
leaves ``[index * 2**level, (index + 1) * 2**level)``. A node never changes once its last leaf is
appended, so a table keyed by ``(level, index)`` can hold them all, and every root and proof of a
tree of any earlier size reads O(log n) of them through a ``get_node(level, index)`` callable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import TypeAlias

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "GetNode",
    "Level",
    "MemoryTree",
    "Node",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "perfect_subtrees",
    "root",
    "root_at",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

GetNode: TypeAlias = Callable[[int, int], bytes]
Node: TypeAlias = tuple[int, int, bytes]
Level: TypeAlias = tuple[int, list[bytes]]  # the first index of a run of nodes, their hashes


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf input: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child hashes: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """Return the Merkle tree hash (MTH) of already-hashed leaves, in O(log n) memory."""
    frontier = Frontier()
    for leaf in leaf_hashes:
        frontier.append(leaf)
    return frontier.root()


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Split leaves [start, end) into the fewest aligned perfect subtrees, left to right."""
    if not 0 <= start <= end:
        raise ValueError(f"[{start}, {end}) is not a range of leaves")
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def subtree_hash(start: int, end: int, get_node: GetNode) -> bytes:
    """Return the MTH of leaves [start, end), a range that some RFC 9162 tree has as a subtree.

    That is the case when ``start`` is a multiple of the largest power of two below the range's
    width (any single leaf qualifies): the range is then its perfect subtrees, folded from the
    right.
    """
    if not 0 <= start < end:
        raise ValueError(f"[{start}, {end}) is not a non-empty range of leaves")
    width = end - start
    if width > 1 and start % _split(width):
        raise ValueError(f"[{start}, {end}) is not a subtree of any RFC 9162 tree")
    return _fold([get_node(level, index) for level, index in perfect_subtrees(start, end)])


def root_at(size: int, get_node: GetNode) -> bytes:
    """Return the root of the tree of the first ``size`` leaves."""
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return subtree_hash(0, size, get_node) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """Return the audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    path = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            path.append(subtree_hash(mid, end, get_node))
            end = mid
        else:
            path.append(subtree_hash(start, mid, get_node))
            start = mid
    path.reverse()
    return path


def consistency_proof(first: int, second: int, get_node: GetNode) -> list[bytes]:
    """Return the proof that the first ``first`` leaves' tree is a prefix of ``second``'s.

    RFC 9162 2.1.4.1 defines it for 0 < first < second; for 0 or for equal sizes it is empty.
    """
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from tree size {first} to {second}")
    if first in (0, second):
        return []
    path = []
    start, end = 0, second
    first_root_known = True
    while end != first:
        mid = start + _split(end - start)
        if first <= mid:
            path.append(subtree_hash(mid, end, get_node))
            end = mid
        else:
            path.append(subtree_hash(start, mid, get_node))
            start = mid
            first_root_known = False
    if not first_root_known:
        path.append(subtree_hash(start, end, get_node))
    path.reverse()
    return path


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check ``leaf_hash`` is leaf ``index`` of the tree (size, root) (RFC 9162 2.1.3.2).

    The proof is checked against the shape of a tree of ``size`` leaves, so ``size`` and ``root``
    must come from one trusted tree head.
    """
    if not (0 <= index < size and _is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not all(_is_hash(sibling) for sibling in proof):
        return False
    fn, sn = index, size - 1
    computed = leaf_hash
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            computed = node_hash(computed, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and computed == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check the tree (first, first_root) is a prefix of (second, second_root) (RFC 9162 2.1.4.2).

    The RFC covers 0 < first < second. Equal sizes need an empty proof and equal roots. The empty
    tree is a prefix of every tree, so first == 0 needs an empty proof and first_root == EMPTY_ROOT
    (and second_root == EMPTY_ROOT when second == 0 too); second_root is otherwise unconstrained.
    Each size and its root must come from one trusted tree head.
    """
    if not (0 <= first <= second and _is_hash(first_root) and _is_hash(second_root)):
        return False
    if not all(_is_hash(node) for node in proof):
        return False
    if first == 0:
        return not proof and first_root == EMPTY_ROOT and (second > 0 or second_root == EMPTY_ROOT)
    if first == second:
        return not proof and first_root == second_root
    return _verify_growth(first, second, first_root, second_root, proof)


def _verify_growth(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Run the RFC 9162 2.1.4.2 algorithm for 0 < first < second."""
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


class Frontier:
    """The right edge of a growing tree: appends leaves one by one in O(log n) memory."""

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def from_nodes(cls, size: int, get_node: GetNode) -> Frontier:
        """Restore the frontier of a tree of ``size`` leaves from its stored right-edge nodes."""
        frontier = cls()
        frontier._hashes = [get_node(level, index) for level, index in perfect_subtrees(0, size)]
        frontier._size = size
        return frontier

    @property
    def size(self) -> int:
        """Return the number of leaves appended."""
        return self._size

    def append(self, leaf_hash: bytes) -> list[Node]:
        """Append a leaf hash; return the perfect subtrees it completes as (level, index, hash)."""
        if not _is_hash(leaf_hash):
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes: hash leaf inputs with leaf_hash()")
        index = self._size
        completed = [(0, index, leaf_hash)]
        computed = leaf_hash
        level = 0
        while (index >> level) & 1:
            computed = node_hash(self._hashes.pop(), computed)
            level += 1
            completed.append((level, index >> level, computed))
        self._hashes.append(computed)
        self._size += 1
        return completed

    def extend(self, leaf_hashes: Sequence[bytes]) -> list[Level]:
        """Append many leaf hashes at once, one level at a time.

        Return, for each level from 0 up, the nodes the new leaves complete there as
        ``(first index, hashes)``: level 0 holds the leaves themselves. The same nodes as
        `append` would return one by one, computed with one pass over each level.
        """
        if not _are_hashes(leaf_hashes):
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes: hash leaf inputs with leaf_hash()")
        edge = {level: node for (level, _), node in self._edge()}
        levels: list[Level] = []
        row, first = list(leaf_hashes), self._size
        while row:
            levels.append((first, row))
            level = len(levels) - 1
            pairs = [edge.pop(level), *row] if first & 1 else row
            if len(pairs) & 1:
                edge[level] = pairs[-1]
            row, first = _pair_up(pairs), first >> 1
        self._hashes = [edge[level] for level in sorted(edge, reverse=True)]
        self._size += len(leaf_hashes)
        return levels

    def nodes(self) -> list[Node]:
        """Return the right-edge perfect subtrees held, left to right, as (level, index, hash)."""
        return [(level, index, node) for (level, index), node in self._edge()]

    def _edge(self) -> Iterable[tuple[tuple[int, int], bytes]]:
        return zip(perfect_subtrees(0, self._size), self._hashes, strict=True)

    def root(self) -> bytes:
        """Return the root of the tree of the leaves appended so far."""
        return _fold(self._hashes)


class MemoryTree:
    """An append-only tree keeping every perfect subtree in memory, for tests and offline checks."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._frontier = Frontier()
        self._levels: list[list[bytes]] = []
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """Return the number of leaves appended."""
        return self._frontier.size

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash and return its index."""
        index = self._frontier.size
        for level, _, node in self._frontier.append(leaf_hash):
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(node)
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaf hashes in order."""
        for leaf in leaf_hashes:
            self.append(leaf)

    def get_node(self, level: int, index: int) -> bytes:
        """Return the hash of the complete perfect subtree (level, index)."""
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise KeyError(f"no complete perfect subtree at level {level}, index {index}")

    def root(self, size: int | None = None) -> bytes:
        """Return the root of the tree of the first ``size`` leaves (default: all)."""
        return root_at(self._available(size), self.get_node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the audit path of leaf ``index`` in the tree of ``size`` leaves (default: all)."""
        return inclusion_proof(index, self._available(size), self.get_node)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """Return the consistency proof from size ``first`` to ``second`` (default: all)."""
        return consistency_proof(first, self._available(second), self.get_node)

    def _available(self, size: int | None) -> int:
        if size is None:
            return self.size
        if size > self.size:
            raise ValueError(f"tree size {size} exceeds the {self.size} leaves appended")
        return size


def _split(width: int) -> int:
    """Return the largest power of two below ``width`` (width >= 2)."""
    return 1 << ((width - 1).bit_length() - 1)


def _pair_up(hashes: Sequence[bytes]) -> list[bytes]:
    """Hash neighbours pairwise, (0, 1), (2, 3), ...; an odd last hash is left out."""
    sha256 = hashlib.sha256
    return [
        sha256(b"\x01" + left + right).digest()
        for left, right in zip(hashes[0::2], hashes[1::2], strict=False)
    ]


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine perfect subtree hashes, largest (leftmost) first, into their tree's root."""
    if not hashes:
        return EMPTY_ROOT
    computed = hashes[-1]
    for left in reversed(hashes[:-1]):
        computed = node_hash(left, computed)
    return computed


def _are_hashes(values: Sequence[bytes]) -> bool:
    """Tell whether every value is a SHA-256 digest, checked without a Python loop."""
    return not values or {*map(type, values), *map(len, values)} == {bytes, HASH_SIZE}


def _is_hash(value: object) -> bool:
    """Tell whether ``value`` is a SHA-256 digest."""
    return isinstance(value, bytes) and len(value) == HASH_SIZE
