"""Verification: every sealed event's leaf recomputed from the store, the tree from the leaves.

`verify` walks the log and its seal side by side, in batches and in log order, and reports the
first position where they part (`Mismatch`), or that they agree (`Verification.ok`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from projections.audit import merkle
from projections.audit.heads import Head
from projections.audit.seal import (
    Seal,
    SealDamaged,
    SealedTree,
    StoredRow,
    log_rows,
    stored_leaf,
    stored_leaves,
)
from projections.framework import Projector
from projections.store.database import Database

VERIFY_BATCH = 4096  # leaves checked at once; a power of two keeps batches aligned with levels


@dataclass(frozen=True)
class Mismatch:
    """Where the log and its seal first part, and which check failed there."""

    position: int | None  # None for a ``head`` check: a root names no event
    check: str  # leaf | missing | extra | root | head
    expected: str | None  # what the seal (or the kept head) holds, hex
    actual: str | None  # what the stored events hash to now, hex
    detail: str

    @classmethod
    def found(
        cls,
        position: int | None,
        check: str,
        expected: bytes | None,
        actual: bytes | None,
        detail: str,
    ) -> Mismatch:
        return cls(
            position,
            check,
            expected.hex() if expected is not None else None,
            actual.hex() if actual is not None else None,
            detail,
        )

    def public(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verification:
    """What `verify` found: ok, or the first position where the log and its seal part."""

    events_checked: int
    tree_size: int
    root_hash: str  # the seal's root, hex ("" when a node it needs is gone)
    first_mismatch: Mismatch | None = None
    head_checked: Head | None = None  # the head the log had to extend, if one was given

    @property
    def ok(self) -> bool:
        return self.first_mismatch is None

    def public(self) -> dict[str, Any]:
        """As `GET /v1/audit/verify` gives it."""
        found: dict[str, Any] = {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "head": {"tree_size": self.tree_size, "root_hash": self.root_hash},
            "first_mismatch": self.first_mismatch.public() if self.first_mismatch else None,
        }
        if self.head_checked is not None:
            found["head_checked"] = {
                "tree_size": self.head_checked.tree_size,
                "root_hash": self.head_checked.root.hex(),
            }
        return found


def seal_up(database: Database) -> int:
    """Seal every event recorded so far; returns the last position sealed.

    Only the seal runs: it reads stored bytes, so even a log whose events no longer decode is
    sealed up to its end before it is verified. Its tables exist: the ledger service made them.
    """
    return Projector(database, [Seal()], create_tables=False).catch_up()


def verify(database: Database, head: Head | None = None) -> Verification:
    """Recompute every sealed event's leaf from the stored event, and the tree from the leaves.

    Streams both the log and the seal in batches (constant memory). The i-th stored event must
    be sealed by leaf i: an event whose bytes changed fails the ``leaf`` check at its position;
    a sealed position no longer in the log is ``missing``; a stored event the seal never saw,
    among the sealed positions, is ``extra``; a stored tree node that the leaves no longer hash
    to fails the ``root`` check at the position of the leaf that completed it. With ``head``,
    the root recomputed from the first ``head.tree_size`` stored events must equal the head's
    (check ``head``): a root commits to all its leaves at once, so that check names no position.
    Each batch's leaves, and then each level of the nodes above them, are computed and compared
    with the stored ones in bulk.
    """
    with database.transaction(commit=False) as sql:
        tree = SealedTree(sql)
        size, last_position = tree.last()
        try:
            sealed_root: bytes | None = tree.root(size)
        except SealDamaged:
            sealed_root = None
    walk = _Walk(database, head)
    if head is not None and head.tree_size == 0 and head.root != merkle.EMPTY_ROOT:
        walk.part(
            None,
            "head",
            head.root,
            merkle.EMPTY_ROOT,
            "the empty tree's root is the hash of nothing",
        )
    else:
        walk.run(size, sealed_root, last_position)
    return Verification(
        events_checked=walk.checked,
        tree_size=size,
        root_hash=sealed_root.hex() if sealed_root else "",
        first_mismatch=walk.mismatch,
        head_checked=head,
    )


@dataclass
class _Walk:
    """The log and its seal, compared batch by batch, in log order."""

    database: Database
    head: Head | None
    frontier: merkle.Frontier = field(default_factory=merkle.Frontier)
    after: int = 0  # the position of the last event checked
    checked: int = 0  # events whose leaves (and the nodes they complete) were found good
    mismatch: Mismatch | None = None

    def part(
        self,
        position: int | None,
        check: str,
        expected: bytes | None,
        actual: bytes | None,
        detail: str,
    ) -> bool:
        """Note where the log and the seal part; False, to stop the walk."""
        self.mismatch = Mismatch.found(position, check, expected, actual, detail)
        return False

    def run(self, size: int, sealed_root: bytes | None, last_position: int) -> bool:
        """Every batch of the tree of ``size`` leaves, then the end; False at a mismatch."""
        for start in range(0, size, VERIFY_BATCH):
            if not self.batch(start, min(start + VERIFY_BATCH, size)):
                return False
        return self.finish(sealed_root, last_position)

    def batch(self, start: int, end: int) -> bool:
        """Check the sealed leaves [start, end) and the events they seal; False at a mismatch."""
        with self.database.transaction(commit=False) as sql:
            sealed = SealedTree(sql).leaf_rows(start, end)
        if not sealed:
            return True
        upto = max(position for position, _ in sealed)
        events = log_rows(self.database, self.after, upto, len(sealed) + 1)
        split = _diverge([position for position, _ in sealed], [event[0] for event in events])
        computed = stored_leaves(events[:split])
        good = _diverge([leaf for _, leaf in sealed[:split]], computed)
        for part in self._parts(good):
            if not self._absorb(computed[part], events[part]):
                return False
        if good == len(sealed) == len(events):
            self.after = events[-1][0]
            return True
        return self._part_ways(sealed, events, computed, good)

    def _parts(self, count: int) -> list[slice]:
        """The next ``count`` leaves in at most two runs, split where the head's tree ends."""
        if self.head is not None and 0 < self.head.tree_size - self.frontier.size < count:
            cut = self.head.tree_size - self.frontier.size
            return [slice(0, cut), slice(cut, count)]
        return [slice(0, count)]

    def _absorb(self, leaves: list[bytes], events: list[StoredRow]) -> bool:
        """Append checked leaves; compare the nodes they complete, then the head's root."""
        before = self.frontier.size
        wrong = _first_wrong_node(self.database, self.frontier.extend(leaves))
        if wrong is not None:
            completing, stored, computed = wrong
            self.checked += completing - before
            return self.part(
                events[completing - before][0],
                "root",
                stored,
                computed,
                "a stored tree node is not the hash of the leaves below it",
            )
        self.checked += len(leaves)
        head = self.head
        if head is None or not leaves or self.frontier.size != head.tree_size:
            return True
        if self.frontier.root() == head.root:
            return True
        return self.part(
            None,
            "head",
            head.root,
            self.frontier.root(),
            f"the first {head.tree_size} events no longer hash to the head's root",
        )

    def _part_ways(
        self,
        sealed: list[tuple[int, bytes]],
        events: list[StoredRow],
        computed: list[bytes],
        index: int,
    ) -> bool:
        """Report where the log and the seal part: a changed, missing or extra event."""
        leaf = sealed[index] if index < len(sealed) else None
        event = events[index] if index < len(events) else None
        if leaf is not None and event is not None and index < len(computed):
            return self.part(
                event[0],
                "leaf",
                leaf[1],
                computed[index],
                "the stored event no longer hashes to its sealed leaf",
            )
        if leaf is not None and (event is None or event[0] > leaf[0]):
            return self.part(
                leaf[0], "missing", leaf[1], None, "a sealed event is no longer in the log"
            )
        if event is None:  # unreachable: the leaves and the events differ somewhere
            raise SealDamaged(f"the seal and the log part after position {self.after}")
        return self._extra(event)

    def _extra(self, event: StoredRow) -> bool:
        return self.part(
            event[0],
            "extra",
            None,
            stored_leaf(event),
            "a stored event among the sealed positions was never sealed",
        )

    def finish(self, sealed_root: bytes | None, last_position: int) -> bool:
        """After the last batch: no event left unchecked, the seal's root and the head's size."""
        frontier = self.frontier
        unchecked = log_rows(self.database, self.after, last_position, 1)
        if unchecked:
            return self._extra(unchecked[0])
        if frontier.root() != sealed_root:
            return self.part(
                last_position or None,
                "root",
                sealed_root,
                frontier.root(),
                "the seal's root is not the root of its leaves",
            )
        if self.head is not None and self.head.tree_size > frontier.size:
            return self.part(
                None,
                "head",
                self.head.root,
                None,
                f"the log has {frontier.size} sealed events,"
                f" fewer than the head's {self.head.tree_size}",
            )
        return True


def _diverge(first: Sequence[Any], second: Sequence[Any]) -> int:
    """The first index where two sequences differ (the shorter one's length if one is a prefix
    of the other; their length if they are equal)."""
    if first == second:
        return len(first)
    pairs = enumerate(zip(first, second, strict=False))
    return next((index for index, (a, b) in pairs if a != b), min(len(first), len(second)))


def _first_wrong_node(
    database: Database, levels: Sequence[merkle.Level]
) -> tuple[int, bytes | None, bytes] | None:
    """The first computed node (in the order of the leaves completing them) that the seal does
    not store as computed: (index of its completing leaf, stored, computed). Each level is
    compared as a whole; only a level that differs is searched node by node."""
    wrong: list[tuple[int, int, bytes | None, bytes]] = []
    with database.transaction(commit=False) as sql:
        tree = SealedTree(sql)
        for level, (first, nodes) in enumerate(levels):
            # One row per index at most: as many rows as nodes means every index is there.
            if not level or tree.hashes(level, first, len(nodes)) == nodes:
                continue
            stored = tree.nodes(level, first, first + len(nodes) - 1)
            offset = next(i for i, node in enumerate(nodes) if stored.get(first + i) != node)
            completing = ((first + offset + 1) << level) - 1
            wrong.append((completing, level, stored.get(first + offset), nodes[offset]))
    if not wrong:
        return None
    completing, _, stored_node, computed = min(wrong, key=lambda w: (w[0], w[1]))
    return completing, stored_node, computed
