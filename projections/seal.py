"""The seal: a Merkle tree (RFC 9162 hashing) over the global event log, one leaf per event.

Leaf ``i`` (0-based) is the ``i``-th stored event in log order; its input is the event exactly
as stored, in an unambiguous length-prefixed encoding (see `leaf_input`). The view keeps every
leaf hash (`seal_leaves`) and every complete perfect subtree above them (`seal_nodes`, level >= 1;
level 0 is read from `seal_leaves`), so the root of the tree of any earlier size, and every
inclusion and consistency proof, reads O(log n) rows.

Sealing reads the raw stored notifications, never decoded events: the seal covers the bytes the
store holds, and a tampered event can neither crash nor escape it. Like every view it is written
in the projector's batch transaction with its tracking position, so each event is sealed exactly
once; the tree's right edge is restored from the stored nodes at the start of every batch, so a
batch another process applied first, or one rolled back, leaves nothing stale in memory.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.errors import LedgerError
from projections import merkle
from projections.database import Database, Sql
from projections.framework import View

READ_BATCH = 1000
HEAD_FIELDS = struct.Struct(">Q16sQI")  # position, originator id, version, topic length
LENGTH = struct.Struct(">I")
INSERT_CHUNK = 500


class SealDamaged(LedgerError):
    """A node the seal should hold is missing: its tables were altered outside the ledger."""


def leaf_input(
    position: int, originator_id: UUID | str, version: int, topic: str, state: bytes
) -> bytes:
    """The canonical bytes of one stored event, the input of its leaf hash.

    position as 8 bytes big-endian, the originator id as its 16 UUID bytes, the version as 8
    bytes big-endian, then the topic (UTF-8) and the stored state, each after its length as 4
    bytes big-endian. Fixed widths and length prefixes make the encoding unambiguous.
    """
    ident = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
    topic_bytes = topic.encode("utf-8")
    return b"".join(
        (
            HEAD_FIELDS.pack(position, ident.bytes, version, len(topic_bytes)),
            topic_bytes,
            LENGTH.pack(len(state)),
            state,
        )
    )


def event_leaf(notification: Notification) -> bytes:
    """The leaf hash of one stored event."""
    return merkle.leaf_hash(
        leaf_input(
            notification.id,
            notification.originator_id,
            notification.originator_version,
            notification.topic,
            bytes(notification.state),
        )
    )


class Seal(View):
    """Seals every stored event into the Merkle tree, in log order, exactly once."""

    name = "seal"
    raw = True
    tables = ("seal_leaves", "seal_nodes")
    schema = (
        "CREATE TABLE IF NOT EXISTS seal_leaves ("
        " idx BIGINT PRIMARY KEY, position BIGINT NOT NULL UNIQUE, leaf BYTES NOT NULL)",
        "CREATE TABLE IF NOT EXISTS seal_nodes ("
        " level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTES NOT NULL,"
        " PRIMARY KEY (level, idx))",
    )

    frontier: merkle.Frontier | None = None

    def process_notifications(self, notifications: Sequence[Notification], sql: Sql) -> None:
        tree = SealedTree(sql)
        size = tree.size()
        if self.frontier is None or self.frontier.size != size:
            # Another process sealed meanwhile, or a batch rolled back: read the right edge.
            self.frontier = merkle.Frontier.from_nodes(size, tree.get_node)
        frontier = self.frontier
        leaves: list[tuple[int, int, bytes]] = []
        nodes: list[tuple[int, int, bytes]] = []
        for notification in notifications:
            index = frontier.size
            completed = frontier.append(event_leaf(notification))
            leaves.append((index, notification.id, completed[0][2]))
            nodes.extend(node for node in completed if node[0])
        insert_rows(sql, "seal_leaves (idx, position, leaf)", leaves)
        insert_rows(sql, "seal_nodes (level, idx, hash)", nodes)


def insert_rows(sql: Sql, into: str, rows: Sequence[tuple[int, int, bytes]]) -> None:
    """Insert rows of three values with few statements: one round trip per chunk."""
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        sql.execute(
            f"INSERT INTO {into} VALUES {', '.join(['(?, ?, ?)'] * len(chunk))}",
            [value for row in chunk for value in row],
        )


class SealedTree:
    """The sealed tree as stored, read inside one transaction."""

    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def size(self) -> int:
        """How many events are sealed."""
        last = self.sql.execute("SELECT MAX(idx) AS last FROM seal_leaves").scalar()
        return 0 if last is None else int(last) + 1

    def last(self) -> tuple[int, int]:
        """The tree size and the position of its last leaf, read in one statement."""
        row = self.sql.execute(
            "SELECT MAX(idx) AS last, MAX(position) AS position FROM seal_leaves"
        ).one()
        if row is None or row["last"] is None:
            return 0, 0
        return int(row["last"]) + 1, int(row["position"])

    def get_node(self, level: int, index: int) -> bytes:
        """The hash of the complete perfect subtree (level, index)."""
        if level == 0:
            found = self.sql.execute(
                "SELECT leaf FROM seal_leaves WHERE idx = ?", (index,)
            ).scalar()
        else:
            found = self.sql.execute(
                "SELECT hash FROM seal_nodes WHERE level = ? AND idx = ?", (level, index)
            ).scalar()
        if found is None:
            raise SealDamaged(f"the seal has no node at level {level}, index {index}")
        return bytes(found)

    def root(self, size: int) -> bytes:
        return merkle.root_at(size, self.get_node)

    def leaf(self, position: int) -> tuple[int, bytes] | None:
        """The leaf index and hash sealing the event at ``position``."""
        row = self.sql.execute(
            "SELECT idx, leaf FROM seal_leaves WHERE position = ?", (position,)
        ).one()
        return None if row is None else (int(row["idx"]), bytes(row["leaf"]))

    def leaves_at(self, positions: Iterable[int]) -> dict[int, tuple[int, bytes]]:
        """The leaf index and hash of each sealed position among ``positions``."""
        wanted = sorted(set(positions))
        found: dict[int, tuple[int, bytes]] = {}
        for start in range(0, len(wanted), READ_BATCH):
            chunk = wanted[start : start + READ_BATCH]
            rows = self.sql.execute(
                f"SELECT idx, position, leaf FROM seal_leaves"
                f" WHERE position IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).all()
            found.update({int(r["position"]): (int(r["idx"]), bytes(r["leaf"])) for r in rows})
        return found

    def leaves(self, start: int, end: int) -> list[tuple[int, int, bytes]]:
        """Sealed leaves with index in [start, end) as (index, position, hash), in order."""
        rows = self.sql.execute(
            "SELECT idx, position, leaf FROM seal_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, end),
        ).all()
        return [(int(r["idx"]), int(r["position"]), bytes(r["leaf"])) for r in rows]

    def nodes(self, level: int, first: int, last: int) -> dict[int, bytes]:
        """Stored nodes of one level with index in [first, last]."""
        rows = self.sql.execute(
            "SELECT idx, hash FROM seal_nodes WHERE level = ? AND idx >= ? AND idx <= ?",
            (level, first, last),
        ).all()
        return {int(r["idx"]): bytes(r["hash"]) for r in rows}


def sealed_leaves(database: Database, size: int) -> Iterator[tuple[int, int, bytes]]:
    """Every sealed leaf below ``size`` in order, read in batches: (index, position, hash)."""
    for start in range(0, size, READ_BATCH):
        with database.transaction(commit=False) as sql:
            batch = SealedTree(sql).leaves(start, min(start + READ_BATCH, size))
        yield from batch


def stored_events(database: Database, last_position: int) -> Iterator[Notification]:
    """Every stored event up to ``last_position`` in log order, read in batches, undecoded."""
    start = 0
    while start < last_position:
        batch: Sequence[Notification] = database.app.recorder.select_notifications(
            start=start, limit=READ_BATCH, stop=last_position, inclusive_of_start=False
        )
        if not batch:
            return
        yield from batch
        start = batch[-1].id
