"""Appending many leaves at once (`Frontier.extend`) builds the same tree as one at a time."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from projections.audit.merkle import Frontier, MemoryTree, leaf_hash

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[3] / "shared" / "merkle-test-vectors.json").read_text()
)
LEAVES = [leaf_hash(b"event %d" % i) for i in range(600)]


def one_by_one(frontier: Frontier, leaves: list[bytes]) -> list[tuple[int, int, bytes]]:
    completed = [node for leaf in leaves for node in frontier.append(leaf)]
    return sorted(completed, key=lambda node: (node[0], node[1]))


def in_bulk(frontier: Frontier, leaves: list[bytes]) -> list[tuple[int, int, bytes]]:
    levels = frontier.extend(leaves)
    return [
        (level, first + offset, node)
        for level, (first, nodes) in enumerate(levels)
        for offset, node in enumerate(nodes)
    ]


@pytest.mark.parametrize("seed", range(40))
def test_extending_in_runs_of_any_length_completes_the_nodes_appending_would(seed: int) -> None:
    rng = random.Random(seed)
    single, bulk = Frontier(), Frontier()
    done = 0
    while done < len(LEAVES):
        run = LEAVES[done : done + rng.choice([0, 1, 2, 3, 7, 8, 64, 100, 257])]
        done += len(run)

        assert in_bulk(bulk, run) == one_by_one(single, run)
        assert bulk.size == single.size
        assert (bulk.root(), bulk.nodes()) == (single.root(), single.nodes())


def test_extending_a_restored_frontier_continues_the_stored_tree() -> None:
    tree = MemoryTree(LEAVES[:333])
    restored = Frontier.from_nodes(333, tree.get_node)

    restored.extend(LEAVES[333:])

    assert restored.root() == MemoryTree(LEAVES).root()


def test_extending_reproduces_the_known_answer_roots() -> None:
    inputs = [bytes.fromhex(data) for data in VECTORS["leaf_inputs_hex"]]
    for known in VECTORS["roots"]:
        frontier = Frontier()
        frontier.extend([leaf_hash(data) for data in inputs[: known["tree_size"]]])

        assert frontier.root().hex() == known["root_hex"]


def test_extending_with_nothing_changes_nothing() -> None:
    frontier = Frontier()
    frontier.extend(LEAVES[:5])

    assert frontier.extend([]) == []
    assert frontier.root() == MemoryTree(LEAVES[:5]).root()


def test_extending_refuses_leaf_inputs_in_place_of_leaf_hashes() -> None:
    frontier = Frontier()

    with pytest.raises(ValueError, match="leaf hash"):
        frontier.extend([LEAVES[0], b"not a hash"])
    assert frontier.size == 0
