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

A batch is sealed in bulk: its leaves are hashed, the nodes they complete computed level by
level (`merkle.Frontier.extend`), and each table's rows written at once, with a binary
``COPY ... FROM STDIN`` on PostgreSQL and multi-row ``INSERT``s on SQLite (`Sql.append`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from functools import lru_cache
from itertools import repeat
from typing import Any, TypeAlias
from uuid import UUID

from eventsourcing.persistence import Notification
from psycopg.rows import tuple_row

from domain.errors import LedgerError
from projections import merkle
from projections.database import Database, Sql
from projections.framework import View

READ_BATCH = 1000
LEAF_HEAD = struct.Struct(">BQ16sQ")  # 0x00 leaf prefix, position, originator id, version
LENGTH = struct.Struct(">I")
LEAF_COLUMNS = ("seal_leaves", ("idx", "position", "leaf"))
LEAF_TYPES = ("int8", "int8", "bytea")
NODE_COLUMNS = ("seal_nodes", ("level", "idx", "hash"))
NODE_TYPES = ("int4", "int8", "bytea")

StoredEvent: TypeAlias = tuple[int, bytes, int, str, bytes]  # position, id, version, topic, state


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
    return _prefixed_input(position, uuid_bytes(originator_id), version, topic, state)[1:]


def _prefixed_input(position: int, ident: bytes, version: int, topic: str, state: bytes) -> bytes:
    """0x00 (RFC 9162's leaf prefix) then `leaf_input`, built in one concatenation."""
    return (
        LEAF_HEAD.pack(0, position, ident, version)
        + _topic(topic)
        + LENGTH.pack(len(state))
        + state
    )


@lru_cache(maxsize=1024)
def _topic(topic: str) -> bytes:
    """A topic's length and UTF-8 bytes; a log holds a few dozen topics, encoded once each."""
    encoded = topic.encode("utf-8")
    return LENGTH.pack(len(encoded)) + encoded


def uuid_bytes(originator_id: UUID | str | bytes) -> bytes:
    """The 16 bytes of an originator id: a `UUID`, its text (as SQLite stores it) or its bytes
    (as PostgreSQL's `uuid_send` gives them)."""
    if isinstance(originator_id, UUID):
        return originator_id.bytes
    if isinstance(originator_id, bytes):
        if len(originator_id) != 16:
            raise ValueError("a UUID is 16 bytes")
        return originator_id
    if len(originator_id) == 32:  # SQLite's hex text: no `UUID` object needed
        with suppress(ValueError):
            ident = bytes.fromhex(originator_id)
            if len(ident) == 16:
                return ident
    return UUID(str(originator_id)).bytes


def stored_leaf(event: StoredEvent) -> bytes:
    """The leaf hash of one stored event, given as (position, id bytes, version, topic, state)."""
    return hashlib.sha256(_prefixed_input(*event)).digest()


def stored_leaves(events: Iterable[StoredEvent]) -> list[bytes]:
    """The leaf hashes of many stored events: `stored_leaf` in one loop, no call per event."""
    sha256, head, topic_part, length = hashlib.sha256, LEAF_HEAD.pack, _topic, LENGTH.pack
    return [
        sha256(
            head(0, position, ident, version) + topic_part(topic) + length(len(state)) + state
        ).digest()
        for position, ident, version, topic, state in events
    ]


def event_leaf(notification: Notification) -> bytes:
    """The leaf hash of one stored event."""
    return notification_leaves([notification])[0]


def notification_leaves(notifications: Sequence[Notification]) -> list[bytes]:
    """The leaf hashes of stored events as the recorder returns them."""
    idents = ids_as_bytes([n.originator_id for n in notifications])
    return stored_leaves(
        (n.id, ident, n.originator_version, n.topic, bytes(n.state))
        for n, ident in zip(notifications, idents, strict=True)
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

    def __init__(self) -> None:
        self.frontier: merkle.Frontier | None = None  # the tree's right edge, once read

    def forget(self) -> None:
        self.frontier = None

    def process_notifications(self, notifications: Sequence[Notification], sql: Sql) -> None:
        if self.frontier is None:
            tree = SealedTree(sql)
            self.frontier = merkle.Frontier.from_nodes(tree.size(), tree.get_node)
        levels = self.frontier.extend(notification_leaves(notifications))
        first, leaves = levels[0]
        indexes = range(first, first + len(leaves))
        leaf_rows = zip(indexes, [n.id for n in notifications], leaves, strict=True)
        sql.append(*LEAF_COLUMNS, leaf_rows, LEAF_TYPES)
        sql.append(*NODE_COLUMNS, level_rows(levels), NODE_TYPES)


def level_rows(levels: Sequence[merkle.Level]) -> Iterator[tuple[int, int, bytes]]:
    """The nodes of levels 1 and up as rows (level, index, hash)."""
    for level, (first, hashes) in enumerate(levels):
        if level:
            yield from zip(repeat(level), range(first, first + len(hashes)), hashes)


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

    def leaf_rows(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """(position, hash) of the sealed leaves with index in [start, end), in index order."""
        return tuples(
            self.sql,
            "SELECT position, leaf FROM seal_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, end),
        )

    def hashes(self, level: int, first: int, count: int) -> list[bytes]:
        """The stored hashes of level ``level`` with index in [first, first + count), in order."""
        rows = tuples(
            self.sql,
            "SELECT hash FROM seal_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
            (level, first, first + count),
        )
        return [bytes(node) for (node,) in rows]

    def nodes(self, level: int, first: int, last: int) -> dict[int, bytes]:
        """Stored nodes of one level with index in [first, last]."""
        rows = self.sql.execute(
            "SELECT idx, hash FROM seal_nodes WHERE level = ? AND idx >= ? AND idx <= ?",
            (level, first, last),
        ).all()
        return {int(r["idx"]): bytes(r["hash"]) for r in rows}


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


def log_rows(database: Database, after: int, last: int, limit: int) -> list[StoredEvent]:
    """Stored events with position in (after, last], at most ``limit``, in log order, undecoded:
    (position, originator id bytes, version, topic, state), read without building
    notifications or `UUID` objects."""
    table = database.events_table
    if database.dialect == "postgresql":
        datastore = getattr(database.app.recorder, "datastore", None)
        schema = getattr(datastore, "schema", None)
        table = f"{schema}.{table}" if schema else table
        as_text = getattr(datastore, "originator_id_type", "uuid") == "text"
        ident = "originator_id" if as_text else "uuid_send(originator_id)"
        statement = (
            f"SELECT notification_id, {ident}, originator_version, topic, state"
            f" FROM {table} WHERE notification_id > ? AND notification_id <= ?"
            " ORDER BY notification_id LIMIT ?"
        )
    else:
        statement = (
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {table}"
            " WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
        )
    with database.transaction(commit=False) as sql:
        rows = tuples(sql, statement, (after, last, limit))
    idents = ids_as_bytes([row[1] for row in rows])
    return [
        (position, ident, version, topic, bytes(state))
        for (position, _, version, topic, state), ident in zip(rows, idents, strict=True)
    ]


def ids_as_bytes(idents: list[Any]) -> list[bytes]:
    """Originator ids as their 16 bytes: `UUID`s (as the recorder returns them), PostgreSQL's
    `uuid_send` bytes as they come, SQLite's hex text decoded in one pass; any other form (or a
    malformed id) one by one."""
    kinds = {*map(type, idents)}
    if kinds <= {UUID}:
        return [ident.bytes for ident in idents]
    with suppress(ValueError, TypeError):
        found = idents if kinds <= {bytes} else [*map(bytes.fromhex, idents)]
        if {*map(len, found)} <= {16}:
            return found
    return [uuid_bytes(ident) for ident in idents]


def tuples(sql: Sql, statement: str, params: Sequence[Any]) -> list[Any]:
    """The rows of a query as tuples; on PostgreSQL in binary (no hex for `bytea`)."""
    if sql.dialect == "postgresql":
        with sql.cursor.connection.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement.replace("?", "%s"), tuple(params), binary=True)
            return list(cursor.fetchall())
    sql.execute(statement, params)
    return [tuple(row) for row in sql.cursor.fetchall()]
