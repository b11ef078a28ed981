"""RFC 9162 Merkle trees: known answers, an independent reference, tampering and stored nodes."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from projections.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    root,
    root_at,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[3] / "shared" / "merkle-test-vectors.json").read_text()
)
CT_INPUTS = [bytes.fromhex(data) for data in VECTORS["leaf_inputs_hex"]]
CT_LEAVES = [leaf_hash(data) for data in CT_INPUTS]
CT_TREE = MemoryTree(CT_LEAVES)

DATA = [b"decision %d" % i for i in range(5000)]
LEAVES = [leaf_hash(data) for data in DATA]
TREE = MemoryTree(LEAVES)


# An independent reference: RFC 9162 section 2.1, recursive and literal, over leaf inputs.


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 2.1.1."""
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _ref_split(n)
    return _sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1."""
    n = len(d)
    if n == 1:
        return []
    k = _ref_split(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 2.1.4.1."""
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _ref_split(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1."""
    return ref_subproof(m, d, True)


class StrictNodes:
    """A get_node that refuses nodes not complete within ``size`` leaves, and counts its reads."""

    def __init__(self, get_node: Callable[[int, int], bytes], size: int) -> None:
        self.get_node = get_node
        self.size = size
        self.calls = 0

    def __call__(self, level: int, index: int) -> bytes:
        assert level >= 0
        assert index >= 0
        assert (index + 1) << level <= self.size, f"({level}, {index}) is not complete"
        self.calls += 1
        return self.get_node(level, index)


def log_bound(size: int) -> int:
    """The most node reads a root or proof of a tree of ``size`` leaves may take."""
    return 2 * size.bit_length()


def flipped(value: bytes, position: int) -> bytes:
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1 :]


def every_byte_flipped(value: bytes) -> list[bytes]:
    return [flipped(value, position) for position in range(len(value))]


# Known answers


def test_root_of_empty_tree_is_hash_of_nothing() -> None:
    empty = bytes.fromhex(VECTORS["roots"][0]["root_hex"])
    assert VECTORS["roots"][0]["tree_size"] == 0
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == empty
    assert root([]) == EMPTY_ROOT
    assert root_at(0, StrictNodes(TREE.get_node, 0)) == EMPTY_ROOT
    assert MemoryTree().root() == EMPTY_ROOT
    assert Frontier().root() == EMPTY_ROOT


def test_leaf_hashes_match_known_answers() -> None:
    expected = [bytes.fromhex(h) for h in VECTORS["leaf_hashes_hex"]]
    assert len(expected) == len(CT_INPUTS) == 8
    assert expected == CT_LEAVES


def test_node_hash_prefixes_one_to_both_children() -> None:
    left, right = CT_LEAVES[0], CT_LEAVES[1]
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) == bytes.fromhex(VECTORS["roots"][2]["root_hex"])


@pytest.mark.parametrize("vector", VECTORS["roots"], ids=lambda v: f"size{v['tree_size']}")
def test_roots_match_known_answers(vector: dict[str, Any]) -> None:
    size, expected = vector["tree_size"], bytes.fromhex(vector["root_hex"])
    frontier = Frontier()
    for leaf in CT_LEAVES[:size]:
        frontier.append(leaf)
    assert root(CT_LEAVES[:size]) == expected
    assert root_at(size, StrictNodes(CT_TREE.get_node, size)) == expected
    assert CT_TREE.root(size) == expected
    assert frontier.root() == expected


def test_known_answers_cover_every_size_and_every_pair() -> None:
    assert [v["tree_size"] for v in VECTORS["roots"]] == list(range(9))
    inclusions = {(v["leaf_index"], v["tree_size"]) for v in VECTORS["inclusion_proofs"]}
    assert inclusions == {(i, n) for n in range(1, 9) for i in range(n)}
    consistencies = {(v["first"], v["second"]) for v in VECTORS["consistency_proofs"]}
    assert consistencies == {(m, n) for n in range(1, 9) for m in range(1, n)}


@pytest.mark.parametrize(
    "vector",
    VECTORS["inclusion_proofs"],
    ids=lambda v: f"leaf{v['leaf_index']}-size{v['tree_size']}",
)
def test_inclusion_proofs_match_known_answers(vector: dict[str, Any]) -> None:
    index, size = vector["leaf_index"], vector["tree_size"]
    expected = [bytes.fromhex(h) for h in vector["path_hex"]]
    tree_root = bytes.fromhex(VECTORS["roots"][size]["root_hex"])
    assert inclusion_proof(index, size, StrictNodes(CT_TREE.get_node, size)) == expected
    assert CT_TREE.inclusion_proof(index, size) == expected
    assert verify_inclusion(CT_LEAVES[index], index, size, expected, tree_root)


@pytest.mark.parametrize(
    "vector",
    VECTORS["consistency_proofs"],
    ids=lambda v: f"{v['first']}-to-{v['second']}",
)
def test_consistency_proofs_match_known_answers(vector: dict[str, Any]) -> None:
    first, second = vector["first"], vector["second"]
    expected = [bytes.fromhex(h) for h in vector["path_hex"]]
    first_root = bytes.fromhex(VECTORS["roots"][first]["root_hex"])
    second_root = bytes.fromhex(VECTORS["roots"][second]["root_hex"])
    assert consistency_proof(first, second, StrictNodes(CT_TREE.get_node, second)) == expected
    assert CT_TREE.consistency_proof(first, second) == expected
    assert verify_consistency(first, second, first_root, second_root, expected)


# Against the reference, exhaustively for small trees


def test_reference_agrees_with_the_known_answers() -> None:
    for vector in VECTORS["roots"]:
        assert ref_mth(CT_INPUTS[: vector["tree_size"]]).hex() == vector["root_hex"]


def test_root_at_matches_root_and_the_reference_for_every_size_up_to_64() -> None:
    for size in range(65):
        nodes = StrictNodes(TREE.get_node, size)
        expected = ref_mth(DATA[:size])
        assert root_at(size, nodes) == root(LEAVES[:size]) == expected
        assert nodes.calls == bin(size).count("1")


def test_inclusion_proofs_match_the_reference_and_verify_for_every_leaf_up_to_64() -> None:
    for size in range(1, 65):
        tree_root = ref_mth(DATA[:size])
        for index in range(size):
            nodes = StrictNodes(TREE.get_node, size)
            proof = inclusion_proof(index, size, nodes)
            assert proof == ref_path(index, DATA[:size])
            assert nodes.calls <= log_bound(size)
            assert verify_inclusion(LEAVES[index], index, size, proof, tree_root)


def test_consistency_proofs_match_the_reference_and_verify_for_every_pair_up_to_64() -> None:
    roots = [ref_mth(DATA[:size]) for size in range(65)]
    for second in range(1, 65):
        for first in range(1, second + 1):
            nodes = StrictNodes(TREE.get_node, second)
            proof = consistency_proof(first, second, nodes)
            assert proof == ref_proof(first, DATA[:second])
            assert nodes.calls <= log_bound(second)
            assert verify_consistency(first, second, roots[first], roots[second], proof)


def test_an_empty_tree_is_consistent_with_every_tree_through_an_empty_proof() -> None:
    for second in range(65):
        assert consistency_proof(0, second, StrictNodes(TREE.get_node, second)) == []
        assert verify_consistency(0, second, EMPTY_ROOT, TREE.root(second), [])


def test_equal_sizes_are_consistent_through_an_empty_proof_and_equal_roots() -> None:
    for size in range(65):
        assert TREE.consistency_proof(size, size) == []
        assert verify_consistency(size, size, TREE.root(size), TREE.root(size), [])


@pytest.mark.parametrize("sample", range(30))
def test_proofs_for_random_large_trees_match_the_reference(sample: int) -> None:
    rng = random.Random(9162 + sample)
    size = rng.randrange(65, len(DATA) + 1)
    index = rng.randrange(size)
    first = rng.randrange(1, size)
    second_root, first_root = ref_mth(DATA[:size]), ref_mth(DATA[:first])

    assert TREE.root(size) == root(LEAVES[:size]) == second_root
    proof = TREE.inclusion_proof(index, size)
    assert proof == ref_path(index, DATA[:size])
    assert verify_inclusion(LEAVES[index], index, size, proof, second_root)
    proof = TREE.consistency_proof(first, size)
    assert proof == ref_proof(first, DATA[:size])
    assert verify_consistency(first, size, first_root, second_root, proof)


def test_subtree_hash_matches_the_reference_for_every_subtree_range() -> None:
    for start, end in itertools.combinations(range(65), 2):
        width = end - start
        if width > 1 and start % _ref_split(width):
            with pytest.raises(ValueError, match="not a subtree"):
                subtree_hash(start, end, TREE.get_node)
        else:
            nodes = StrictNodes(TREE.get_node, end)
            assert subtree_hash(start, end, nodes) == ref_mth(DATA[start:end])
            assert nodes.calls <= end.bit_length()


def test_perfect_subtrees_tile_a_range_with_aligned_subtrees_in_order() -> None:
    for start, end in itertools.combinations_with_replacement(range(70), 2):
        position = start
        for level, index in perfect_subtrees(start, end):
            assert index << level == position
            position += 1 << level
        assert position == end
        assert len(perfect_subtrees(start, end)) <= log_bound(end)


# Storage: few reads, and only of complete nodes, however large the tree


def _identical_leaves_tree(size: int) -> StrictNodes:
    """Stored nodes of a tree whose leaves are all one input: every level has one hash."""
    levels = [leaf_hash(b"same")]
    while len(levels) < size.bit_length():
        levels.append(node_hash(levels[-1], levels[-1]))
    return StrictNodes(lambda level, index: levels[level], size)


@pytest.mark.parametrize("size", [2**40, 2**40 + 1, 10**12 + 12345, 2**50 - 1])
def test_roots_and_proofs_of_huge_trees_read_logarithmically_many_nodes(size: int) -> None:
    rng = random.Random(size)
    nodes = _identical_leaves_tree(size)
    tree_root = root_at(size, nodes)
    leaf = nodes(0, 0)
    for index in [0, size - 1, size // 2, rng.randrange(size)]:
        nodes.calls = 0
        proof = inclusion_proof(index, size, nodes)
        assert nodes.calls <= log_bound(size)
        assert verify_inclusion(leaf, index, size, proof, tree_root)
    for first in [1, size - 1, size // 3, rng.randrange(1, size)]:
        first_root = root_at(first, _identical_leaves_tree(first))
        nodes.calls = 0
        proof = consistency_proof(first, size, nodes)
        assert nodes.calls <= log_bound(size)
        assert verify_consistency(first, size, first_root, tree_root, proof)


def test_root_of_a_million_leaves_needs_no_recursion() -> None:
    size = 1_000_000
    nodes = _identical_leaves_tree(size)
    assert root(itertools.repeat(leaf_hash(b"same"), size)) == root_at(size, nodes)


# Tampering


def test_flipping_any_byte_of_an_inclusion_proof_leaf_or_root_fails() -> None:
    for size in range(1, 18):
        tree_root = TREE.root(size)
        for index in range(size):
            leaf, proof = LEAVES[index], TREE.inclusion_proof(index, size)
            for position, sibling in enumerate(proof):
                for bad in every_byte_flipped(sibling):
                    tampered = [*proof[:position], bad, *proof[position + 1 :]]
                    assert not verify_inclusion(leaf, index, size, tampered, tree_root)
            for bad in every_byte_flipped(leaf):
                assert not verify_inclusion(bad, index, size, proof, tree_root)
            for bad in every_byte_flipped(tree_root):
                assert not verify_inclusion(leaf, index, size, proof, bad)


def test_flipping_any_byte_of_a_consistency_proof_or_root_fails() -> None:
    for second in range(2, 18):
        second_root = TREE.root(second)
        for first in range(1, second):
            first_root, proof = TREE.root(first), TREE.consistency_proof(first, second)
            for position, node in enumerate(proof):
                for bad in every_byte_flipped(node):
                    tampered = [*proof[:position], bad, *proof[position + 1 :]]
                    assert not verify_consistency(first, second, first_root, second_root, tampered)
            for bad in every_byte_flipped(first_root):
                assert not verify_consistency(first, second, bad, second_root, proof)
            for bad in every_byte_flipped(second_root):
                assert not verify_consistency(first, second, first_root, bad, proof)


def test_an_inclusion_proof_fails_for_any_other_index_or_tree_head() -> None:
    roots = [TREE.root(size) for size in range(34)]
    for size in range(1, 33):
        for index in range(size):
            leaf, proof = LEAVES[index], TREE.inclusion_proof(index, size)
            for other in range(-1, size + 2):
                if other != index:
                    assert not verify_inclusion(leaf, other, size, proof, roots[size])
            for other in range(34):
                if other != size:
                    assert not verify_inclusion(leaf, index, other, proof, roots[other])


def test_a_consistency_proof_fails_between_any_other_tree_heads() -> None:
    roots = [TREE.root(size) for size in range(20)]
    for second in range(2, 20):
        for first in range(1, second):
            proof = TREE.consistency_proof(first, second)
            for other_first, other_second in itertools.product(range(20), repeat=2):
                if (other_first, other_second) != (first, second):
                    assert not verify_consistency(
                        other_first, other_second, roots[other_first], roots[other_second], proof
                    )


def test_a_root_presented_as_a_tree_of_twice_its_size_or_more_fails() -> None:
    roots = [TREE.root(size) for size in range(33)]
    for size in range(1, 33):
        for index in range(size):
            leaf, proof = LEAVES[index], TREE.inclusion_proof(index, size)
            for claimed in range(2 * size, 4 * size + 1):
                assert not verify_inclusion(leaf, index, claimed, proof, roots[size])
    for second in range(2, 33):
        for first in range(1, second):
            proof = TREE.consistency_proof(first, second)
            for claimed in range(2 * second, 4 * second + 1):
                assert not verify_consistency(first, claimed, roots[first], roots[second], proof)


def _truncated_and_extended(proof: list[bytes], extra: bytes) -> list[list[bytes]]:
    variants = [[*proof, extra], [extra, *proof]]
    if proof:
        variants += [proof[:-1], proof[1:], [*proof, proof[-1]], [proof[0], *proof], proof * 2]
        variants += [proof[:i] + proof[i + 1 :] for i in range(len(proof))]
    return variants


def test_truncated_or_extended_inclusion_proofs_fail() -> None:
    for size in range(1, 40):
        tree_root = TREE.root(size)
        for index in range(size):
            leaf, proof = LEAVES[index], TREE.inclusion_proof(index, size)
            for variant in _truncated_and_extended(proof, LEAVES[-1]):
                assert not verify_inclusion(leaf, index, size, variant, tree_root)


def test_truncated_or_extended_consistency_proofs_fail() -> None:
    for second in range(0, 40):
        for first in range(0, second + 1):
            first_root, second_root = TREE.root(first), TREE.root(second)
            proof = TREE.consistency_proof(first, second)
            for variant in _truncated_and_extended(proof, LEAVES[-1]):
                assert not verify_consistency(first, second, first_root, second_root, variant)


# Malformed input: verifiers say no, producers raise ValueError

GOOD_PROOF = TREE.inclusion_proof(5, 13)
GOOD_ROOT = TREE.root(13)
NOT_BYTES = cast(bytes, "not a hash")


@pytest.mark.parametrize(
    ("leaf", "index", "size", "proof", "tree_root"),
    [
        pytest.param(LEAVES[5], 13, 13, GOOD_PROOF, GOOD_ROOT, id="index-equal-to-size"),
        pytest.param(LEAVES[5], 14, 13, GOOD_PROOF, GOOD_ROOT, id="index-beyond-size"),
        pytest.param(LEAVES[5], -1, 13, GOOD_PROOF, GOOD_ROOT, id="negative-index"),
        pytest.param(LEAVES[0], 0, 0, [], EMPTY_ROOT, id="empty-tree"),
        pytest.param(LEAVES[5], 5, 13, [], GOOD_ROOT, id="empty-proof"),
        pytest.param(
            LEAVES[5], 5, 13, [*GOOD_PROOF[:-1], GOOD_PROOF[-1][:31]], GOOD_ROOT, id="short-element"
        ),
        pytest.param(
            LEAVES[5],
            5,
            13,
            [*GOOD_PROOF[:-1], GOOD_PROOF[-1] + b"\0"],
            GOOD_ROOT,
            id="long-element",
        ),
        pytest.param(
            LEAVES[5], 5, 13, [*GOOD_PROOF[:-1], NOT_BYTES], GOOD_ROOT, id="element-not-bytes"
        ),
        pytest.param(LEAVES[5][:31], 5, 13, GOOD_PROOF, GOOD_ROOT, id="short-leaf"),
        pytest.param(NOT_BYTES, 5, 13, GOOD_PROOF, GOOD_ROOT, id="leaf-not-bytes"),
        pytest.param(LEAVES[5], 5, 13, GOOD_PROOF, GOOD_ROOT + b"\0", id="long-root"),
        pytest.param(LEAVES[5], 5, 13, GOOD_PROOF, NOT_BYTES, id="root-not-bytes"),
    ],
)
def test_malformed_inclusion_claims_are_rejected_without_raising(
    leaf: bytes, index: int, size: int, proof: list[bytes], tree_root: bytes
) -> None:
    assert verify_inclusion(LEAVES[5], 5, 13, GOOD_PROOF, GOOD_ROOT)
    assert verify_inclusion(leaf, index, size, proof, tree_root) is False


R3, R7, P37 = TREE.root(3), TREE.root(7), TREE.consistency_proof(3, 7)


@pytest.mark.parametrize(
    ("first", "second", "first_root", "second_root", "proof"),
    [
        pytest.param(7, 3, R7, R3, P37, id="first-beyond-second"),
        pytest.param(-1, 7, R3, R7, P37, id="negative-first"),
        pytest.param(3, 7, R3, R7, [], id="empty-proof"),
        pytest.param(7, 7, R7, R7, [R7], id="equal-sizes-with-a-proof"),
        pytest.param(7, 7, R7, R3, [], id="equal-sizes-other-roots"),
        pytest.param(0, 7, EMPTY_ROOT, R7, [R7], id="from-empty-with-a-proof"),
        pytest.param(0, 7, R3, R7, [], id="from-empty-with-a-non-empty-root"),
        pytest.param(0, 0, EMPTY_ROOT, R3, [], id="both-empty-other-roots"),
        pytest.param(3, 7, R3, R7, [*P37[:-1], P37[-1][:31]], id="short-element"),
        pytest.param(3, 7, R3, R7, [*P37[:-1], NOT_BYTES], id="element-not-bytes"),
        pytest.param(3, 7, R3[:31], R7, P37, id="short-first-root"),
        pytest.param(3, 7, R3, NOT_BYTES, P37, id="second-root-not-bytes"),
    ],
)
def test_malformed_consistency_claims_are_rejected_without_raising(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> None:
    assert verify_consistency(3, 7, R3, R7, P37)
    assert verify_consistency(first, second, first_root, second_root, proof) is False


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (4, 3), (-1, 3)])
def test_an_inclusion_proof_of_a_leaf_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(ValueError, match=f"leaf index {index} is not in a tree of size {size}"):
        inclusion_proof(index, size, TREE.get_node)


@pytest.mark.parametrize(("first", "second"), [(4, 3), (1, 0), (-1, 3)])
def test_a_consistency_proof_to_a_smaller_tree_is_refused(first: int, second: int) -> None:
    with pytest.raises(ValueError, match=f"from tree size {first} to {second}"):
        consistency_proof(first, second, TREE.get_node)


def test_a_memory_tree_refuses_sizes_beyond_its_leaves() -> None:
    with pytest.raises(ValueError, match="tree size 9 exceeds the 8 leaves appended"):
        CT_TREE.root(9)
    with pytest.raises(ValueError, match="exceeds"):
        CT_TREE.inclusion_proof(0, 9)
    with pytest.raises(ValueError, match="exceeds"):
        CT_TREE.consistency_proof(1, 9)


def test_a_memory_tree_has_no_incomplete_nodes() -> None:
    assert CT_TREE.get_node(3, 0) == CT_TREE.root()
    for level, index in [(0, 8), (1, 4), (4, 0), (0, -1), (-1, 0)]:
        with pytest.raises(KeyError):
            CT_TREE.get_node(level, index)


def test_ranges_that_are_no_tree_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        root_at(-1, TREE.get_node)
    for start, end in [(3, 3), (4, 2), (-1, 2)]:
        with pytest.raises(ValueError, match="range"):
            subtree_hash(start, end, TREE.get_node)
    with pytest.raises(ValueError, match="range"):
        perfect_subtrees(5, 4)


def test_a_frontier_refuses_leaf_inputs_in_place_of_leaf_hashes() -> None:
    with pytest.raises(ValueError, match="leaf_hash"):
        Frontier().append(b"decision 1")


# The frontier: appending one leaf at a time, storing its nodes, restoring from them


def test_frontier_root_matches_root_over_the_leaves_at_every_size_up_to_200() -> None:
    frontier = Frontier()
    for size, leaf in enumerate(LEAVES[:200], start=1):
        frontier.append(leaf)
        assert frontier.size == size
        assert frontier.root() == root(LEAVES[:size])


def test_frontier_appends_return_exactly_the_perfect_subtrees_they_complete() -> None:
    frontier, stored = Frontier(), {}
    for size, leaf in enumerate(LEAVES[:200], start=1):
        created = frontier.append(leaf)
        expected = [(level, (size >> level) - 1) for level in range(size.bit_length())]
        expected = [(lv, i) for lv, i in expected if size % (1 << lv) == 0]
        assert [(level, index) for level, index, _ in created] == expected
        for level, index, node in created:
            assert node == ref_mth(DATA[index << level : (index + 1) << level])
            assert (level, index) not in stored
            stored[level, index] = node
    every_complete = {(level, index) for level in range(8) for index in range(200 >> level)}
    assert set(stored) == every_complete


def test_frontier_restored_from_stored_nodes_continues_with_the_same_roots() -> None:
    roots = [root(LEAVES[:size]) for size in range(201)]
    for size in range(201):
        nodes = StrictNodes(TREE.get_node, size)
        frontier = Frontier.from_nodes(size, nodes)
        assert nodes.calls == bin(size).count("1")
        assert frontier.size == size
        assert frontier.root() == roots[size]
        for later in range(size + 1, 201):
            created = frontier.append(LEAVES[later - 1])
            assert all(node == TREE.get_node(level, index) for level, index, node in created)
            assert frontier.root() == roots[later]


def test_frontier_holds_only_the_right_edge_that_restores_it() -> None:
    frontier = Frontier()
    for size, leaf in enumerate(LEAVES[:200], start=1):
        frontier.append(leaf)
        edge = frontier.nodes()
        assert [(level, index) for level, index, _ in edge] == perfect_subtrees(0, size)
        assert all(node == TREE.get_node(level, index) for level, index, node in edge)
        assert len(edge) == bin(size).count("1")
