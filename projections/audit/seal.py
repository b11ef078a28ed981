"""The seal: a Merkle tree (RFC 9162 hashing) over the global event log, one leaf per event.

Leaf ``i`` (0-based) is the ``i``-th stored event in log order; its input is the event exactly
as stored, in an unambiguous length-prefixed encoding (see `leaf_input`). The view keeps every
leaf hash (`seal_leaves`) and every complete perfect subtree above them (`seal_nodes`, level >= 1;
level 0 is read from `seal_leaves`), so the root of the tree of any earlier size, and every
inclusion and consistency proof, reads O(log n) rows.

Sealing reads the raw stored notifications, never decoded events: the seal covers the bytes the
store holds, and a tampered event can neither crash nor escape it (a value of a type the ledger
never writes, a state edited into text or a NULL, is hashed as found: see `leaf_input`). Like
every view it is written in the projector's batch transaction with its tracking position, so
each event is sealed exactly once; the tree's right edge is restored from the stored nodes at
the start of every batch, so a batch another process applied first, or one rolled back, leaves
nothing stale in memory.

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
from typing import Any, NamedTuple, TypeAlias, cast
from uuid import UUID

from eventsourcing.persistence import Notification
from psycopg.rows import tuple_row

from domain.errors import LedgerError
from projections.audit import merkle
from projections.framework import View
from projections.store.database import Database, Sql

READ_BATCH = 1000
LEAF_HEAD = struct.Struct(">BQ16sQ")  # 0x00 leaf prefix, position, originator id, version
LENGTH = struct.Struct(">I")
AS_STORED = b"\xff" * 28  # where a plain leaf has id, version and topic length: see `leaf_input`
KIND_CODES = {"uuid": b"u", "blob": b"b", "text": b"t", "integer": b"i", "real": b"r", "null": b"n"}
MAX_VERSION = 2**63  # a version fits 8 bytes, and both stores' integers
LEAF_COLUMNS = ("seal_leaves", ("idx", "position", "leaf"))
LEAF_TYPES = ("int8", "int8", "bytea")
NODE_COLUMNS = ("seal_nodes", ("level", "idx", "hash"))
NODE_TYPES = ("int4", "int8", "bytea")

# A stored event whose values have the types the ledger writes:
# (position, originator id bytes, version, topic as text or its UTF-8 bytes, state).
StoredEvent: TypeAlias = tuple[int, bytes, int, str | bytes, bytes]
Stored: TypeAlias = tuple[str, bytes]  # a value as the store holds it: its kind, its bytes


class AsStored(NamedTuple):
    """A stored event with a value of a type the ledger never writes there (its state as text,
    a NULL, a number for a topic, an id in another spelling): altered outside the ledger. Kept
    as found, each value as (kind, bytes), so it is sealed and verified like any event."""

    position: int
    values: tuple[Stored, Stored, Stored, Stored]  # originator id, version, topic, state


StoredRow: TypeAlias = StoredEvent | AsStored


class SealDamaged(LedgerError):
    """A node the seal should hold is missing: its tables were altered outside the ledger."""


def leaf_input(
    position: int, originator_id: UUID | str, version: int, topic: str, state: bytes
) -> bytes:
    """The canonical bytes of one stored event, the input of its leaf hash.

    position as 8 bytes big-endian, the originator id as its 16 UUID bytes, the version as 8
    bytes big-endian, then the topic (UTF-8) and the stored state, each after its length as 4
    bytes big-endian. Fixed widths and length prefixes make the encoding unambiguous.

    A stored event holding a value of another type (`AsStored`) has its leaf over position,
    then 28 bytes 0xff, then each of id, version, topic and state as a kind byte (u an id in
    the form its store writes, b blob, t text, i integer, r real, n null), its length (4 bytes)
    and its bytes (the id's 16, text as UTF-8, a number as its digits, null as nothing). The
    four 0xff bytes where a plain input has its topic's length would need a 4 GiB topic, which
    neither store can hold, so the two forms never meet; and a value whose type changed
    changes the leaf even if its bytes did not.
    """
    return _prefixed_input(position, uuid_bytes(originator_id), version, topic, state)[1:]


def _prefixed_input(
    position: int, ident: bytes, version: int, topic: str | bytes, state: bytes
) -> bytes:
    """0x00 (RFC 9162's leaf prefix) then `leaf_input`, built in one concatenation."""
    return (
        LEAF_HEAD.pack(0, position, ident, version)
        + _topic(topic)
        + LENGTH.pack(len(state))
        + state
    )


def _as_stored_input(row: AsStored) -> bytes:
    """0x00 then the leaf input of a stored event kept as found (see `leaf_input`)."""
    parts = [b"\x00", struct.pack(">Q", row.position), AS_STORED]
    for kind, data in row.values:
        parts += [KIND_CODES[kind], LENGTH.pack(len(data)), data]
    return b"".join(parts)


@lru_cache(maxsize=1024)
def _topic(topic: str | bytes) -> bytes:
    """A topic's length and UTF-8 bytes; a log holds a few dozen topics, encoded once each."""
    encoded = topic.encode("utf-8", "surrogateescape") if isinstance(topic, str) else topic
    return LENGTH.pack(len(encoded)) + encoded


def as_stored(value: object) -> Stored:
    """A value read from the store as (kind, bytes), whatever its type."""
    if value is None:
        return "null", b""
    if isinstance(value, bytes | bytearray | memoryview):
        return "blob", bytes(value)
    if isinstance(value, str):
        return "text", value.encode("utf-8", "surrogateescape")
    if isinstance(value, int):
        return "integer", str(int(value)).encode()
    if isinstance(value, float):
        return "real", repr(value).encode()
    if isinstance(value, UUID):  # an originator id in the form its store writes
        return "uuid", value.bytes
    return "text", repr(value).encode("utf-8", "backslashreplace")


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


def stored_leaf(row: StoredRow) -> bytes:
    """The leaf hash of one stored event, as `log_rows` or `notification_rows` give it."""
    return stored_leaves([row])[0]


def stored_leaves(rows: Sequence[StoredRow]) -> list[bytes]:
    """The leaf hashes of many stored events: one loop, no call per plain event."""
    sha256, head, topic_part, length = hashlib.sha256, LEAF_HEAD.pack, _topic, LENGTH.pack
    if any(type(row) is AsStored for row in rows):
        return [
            sha256(
                _as_stored_input(row) if type(row) is AsStored else _prefixed_input(*row)
            ).digest()
            for row in rows
        ]
    plain = cast(Sequence[StoredEvent], rows)
    return [
        sha256(
            head(0, position, ident, version) + topic_part(topic) + length(len(state)) + state
        ).digest()
        for position, ident, version, topic, state in plain
    ]


def event_leaf(notification: Notification) -> bytes:
    """The leaf hash of one stored event."""
    return notification_leaves([notification])[0]


def notification_leaves(notifications: Sequence[Notification]) -> list[bytes]:
    """The leaf hashes of stored events as `Database.notifications` reads them."""
    return stored_leaves(notification_rows(notifications))


def notification_rows(notifications: Sequence[Notification]) -> list[StoredRow]:
    """Stored events as the leaves see them. `Database.notifications` gives each value as the
    store holds it (an originator id as a `UUID` only in the form the store writes it), so an
    event that holds a value of another type is kept as found; the types are checked for the
    whole batch at once, and one by one only if one of them is off."""
    ids: list[Any] = [n.originator_id for n in notifications]
    versions = [n.originator_version for n in notifications]
    plain = (
        {*map(type, ids)} <= {UUID}
        and {*map(type, versions)} <= {int}
        and {type(n.topic) for n in notifications} <= {str}
        and {type(n.state) for n in notifications} <= {bytes}
        and (not versions or (min(versions) >= 0 and max(versions) < MAX_VERSION))
    )
    if plain:
        return [
            (n.id, ident.bytes, n.originator_version, n.topic, n.state)
            for n, ident in zip(notifications, ids, strict=True)
        ]
    return [_notification_row(n) for n in notifications]


def _notification_row(n: Notification) -> StoredRow:
    ident, version, topic, state = n.originator_id, n.originator_version, n.topic, n.state
    if (
        type(ident) is UUID
        and type(version) is int
        and 0 <= version < MAX_VERSION
        and type(topic) is str
        and type(state) is bytes
    ):
        return n.id, ident.bytes, version, topic, state
    stored = (as_stored(ident), as_stored(version), as_stored(topic), as_stored(state))
    return AsStored(n.id, stored)


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


def sealed_hash(value: object) -> bytes:
    """A hash as the seal's tables hold it; a value of another type (text, say) as its bytes,
    which no leaf or node computed from the log will equal."""
    return value if type(value) is bytes else as_stored(value)[1]


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
        return sealed_hash(found)

    def root(self, size: int) -> bytes:
        return merkle.root_at(size, self.get_node)

    def leaf(self, position: int) -> tuple[int, bytes] | None:
        """The leaf index and hash sealing the event at ``position``."""
        row = self.sql.execute(
            "SELECT idx, leaf FROM seal_leaves WHERE position = ?", (position,)
        ).one()
        return None if row is None else (int(row["idx"]), sealed_hash(row["leaf"]))

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
            found.update(
                {int(r["position"]): (int(r["idx"]), sealed_hash(r["leaf"])) for r in rows}
            )
        return found

    def leaves(self, start: int, end: int) -> list[tuple[int, int, bytes]]:
        """Sealed leaves with index in [start, end) as (index, position, hash), in order."""
        rows = self.sql.execute(
            "SELECT idx, position, leaf FROM seal_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, end),
        ).all()
        return [(int(r["idx"]), int(r["position"]), sealed_hash(r["leaf"])) for r in rows]

    def leaf_rows(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """(position, hash) of the sealed leaves with index in [start, end), in index order."""
        rows: list[tuple[int, bytes]] = tuples(
            self.sql,
            "SELECT position, leaf FROM seal_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, end),
        )
        numbered = {type(position) for position, _ in rows} <= {int}
        if numbered and {type(leaf) for _, leaf in rows} <= {bytes}:
            return rows
        if not numbered:
            raise SealDamaged(f"the seal's leaves {start} to {end - 1} hold a position that is"
                              " not a number")
        return [(position, sealed_hash(leaf)) for position, leaf in rows]

    def hashes(self, level: int, first: int, count: int) -> list[bytes]:
        """The stored hashes of level ``level`` with index in [first, first + count), in order."""
        rows = tuples(
            self.sql,
            "SELECT hash FROM seal_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
            (level, first, first + count),
        )
        return [sealed_hash(node) for (node,) in rows]

    def nodes(self, level: int, first: int, last: int) -> dict[int, bytes]:
        """Stored nodes of one level with index in [first, last]."""
        rows = self.sql.execute(
            "SELECT idx, hash FROM seal_nodes WHERE level = ? AND idx >= ? AND idx <= ?",
            (level, first, last),
        ).all()
        return {int(r["idx"]): sealed_hash(r["hash"]) for r in rows}


def stored_events(database: Database, last_position: int) -> Iterator[Notification]:
    """Every stored event up to ``last_position`` in log order, read in batches, undecoded, each
    value as the store holds it (see `Database.notifications`)."""
    start = 0
    while start < last_position:
        with database.reading() as sql:
            batch = database.notifications(sql, start, READ_BATCH)
        batch = [n for n in batch if n.id <= last_position]
        if not batch:
            return
        yield from batch
        start = batch[-1].id


def log_rows(database: Database, after: int, last: int, limit: int) -> list[StoredRow]:
    """Stored events with position in (after, last], at most ``limit``, in log order, undecoded,
    as the leaves see them (`notification_rows`): read the one way the ledger reads its log
    (`Database.notifications`), each value as the store holds it, whatever its type."""
    with database.reading() as sql:
        batch = database.notifications(sql, after, limit)
    return notification_rows([n for n in batch if n.id <= last])


def tuples(sql: Sql, statement: str, params: Sequence[Any]) -> list[Any]:
    """The rows of a query as tuples; on PostgreSQL in binary (no hex for `bytea`)."""
    if sql.dialect == "postgresql":
        with sql.cursor.connection.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement.replace("?", "%s"), tuple(params), binary=True)
            return list(cursor.fetchall())
    sql.execute(statement, params)
    return [tuple(row) for row in sql.cursor.fetchall()]
