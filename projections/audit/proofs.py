"""Proofs an auditor checks against a head: one event's inclusion, one tree's consistency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidInput, NotFound
from projections.audit import merkle
from projections.audit.heads import check_size
from projections.audit.seal import SealedTree
from projections.store.database import Database


class PositionNotSealed(NotFound):
    """No event at this position is sealed."""

    def __init__(self, position: int) -> None:
        super().__init__(str(position))
        self.args = (f"no sealed event at position {position}",)


@dataclass(frozen=True)
class InclusionProof:
    """The audit path from the leaf of the event at ``position`` to the root of the tree of
    ``tree_size`` (hashes in hex)."""

    position: int
    index: int  # the event's leaf index (0-based)
    tree_size: int
    leaf_hash: str
    root_hash: str
    path: tuple[str, ...]
    type: str = "inclusion"

    def public(self) -> dict[str, Any]:
        """As `GET /v1/audit/proofs/inclusion` gives it, and `verify-proof` reads it."""
        return {
            "type": self.type,
            "position": self.position,
            "index": self.index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash,
            "root_hash": self.root_hash,
            "path": list(self.path),
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """The proof that the tree of ``first`` events is a prefix of the tree of ``second``."""

    first: int
    second: int
    first_root: str
    second_root: str
    path: tuple[str, ...]
    type: str = "consistency"

    def public(self) -> dict[str, Any]:
        """As `GET /v1/audit/proofs/consistency` gives it, and `verify-proof` reads it."""
        return {
            "type": self.type,
            "first": self.first,
            "second": self.second,
            "first_root": self.first_root,
            "second_root": self.second_root,
            "path": list(self.path),
        }


def inclusion(database: Database, position: int, tree_size: int | None = None) -> InclusionProof:
    """The audit path proving the event at ``position`` is in the tree of ``tree_size``."""
    with database.transaction(commit=False) as sql:
        tree = SealedTree(sql)
        size = tree.size()
        sealed = tree.leaf(position)
        if sealed is None:
            raise PositionNotSealed(position)
        index, leaf = sealed
        if tree_size is None:
            tree_size = size
        check_size("tree_size", tree_size, size)
        if index >= tree_size:
            raise InvalidInput(
                "tree_size",
                f"the event at position {position} is leaf {index},"
                f" sealed after the tree of size {tree_size}",
            )
        path = merkle.inclusion_proof(index, tree_size, tree.get_node)
        root = tree.root(tree_size)
    return InclusionProof(
        position, index, tree_size, leaf.hex(), root.hex(), tuple(p.hex() for p in path)
    )


def consistency(database: Database, first: int, second: int | None = None) -> ConsistencyProof:
    """The proof that the tree of ``first`` events is a prefix of the tree of ``second``."""
    with database.transaction(commit=False) as sql:
        tree = SealedTree(sql)
        size = tree.size()
        if second is None:
            second = size
        check_size("second", second, size)
        if not 0 <= first <= second:
            raise InvalidInput("first", f"must be between 0 and second ({second})")
        path = merkle.consistency_proof(first, second, tree.get_node)
        first_root, second_root = tree.root(first), tree.root(second)
    return ConsistencyProof(
        first, second, first_root.hex(), second_root.hex(), tuple(p.hex() for p in path)
    )
