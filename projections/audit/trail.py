"""The auditor's reads of the seal: tree heads, verification, proofs and the export bundle.

A tree head is ``{tree_size, root_hash, timestamp}``: the root of the first ``tree_size`` events
and the recording time of the last of them. With a signing key it is signed (Ed25519) over
`head_message`. A head is the auditor's receipt: kept outside the operator's reach, it lets
`verify` prove that the log still extends it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.persistence import Notification

from domain.errors import InvalidInput, NotFound
from domain.project import Project
from projections.audit import merkle
from projections.audit.seal import (
    READ_BATCH,
    Seal,
    SealDamaged,
    SealedTree,
    StoredRow,
    event_leaf,
    log_rows,
    stored_events,
    stored_leaf,
    stored_leaves,
)
from projections.framework import Projector
from projections.service import LedgerService, event_item, jsonable
from projections.store.database import Database, instant
from projections.views.timeline import Timeline

NDJSON = "application/x-ndjson"  # the media type of an audit bundle

HEAD_CONTEXT = b"portfolio-ledger-head:v1\n"
BUNDLE_FORMAT = "portfolio-ledger-bundle:v1"
ALGORITHM = "Ed25519"
VERIFY_BATCH = 4096  # leaves checked at once; a power of two keeps batches aligned with levels


class PositionNotSealed(NotFound):
    """No event at this position is sealed."""

    def __init__(self, position: int) -> None:
        super().__init__(str(position))
        self.args = (f"no sealed event at position {position}",)


# Heads and their signatures


@dataclass(frozen=True)
class Head:
    """A tree head: the root of the first ``tree_size`` events of the log."""

    tree_size: int
    root: bytes
    timestamp: str | None = None

    @classmethod
    def parse(cls, text: str) -> Head:
        """Read an auditor's receipt, ``SIZE:ROOT`` with the root in hex."""
        size, _, root = text.strip().partition(":")
        try:
            head = cls(int(size), bytes.fromhex(root))
        except ValueError:
            raise InvalidInput("head", "expected SIZE:ROOT, the root as 64 hex digits") from None
        if head.tree_size < 0 or len(head.root) != merkle.HASH_SIZE:
            raise InvalidInput("head", "expected SIZE:ROOT, the root as 64 hex digits")
        return head

    @property
    def receipt(self) -> str:
        return f"{self.tree_size}:{self.root.hex()}"


def head_message(tree_size: int, root_hash: str, timestamp: str) -> bytes:
    """What a head's signature covers: a context line, then size, root (hex), timestamp, each
    on a line of its own (``portfolio-ledger-head:v1\\n{size}\\n{root}\\n{timestamp}\\n``)."""
    return HEAD_CONTEXT + f"{tree_size}\n{root_hash}\n{timestamp}\n".encode()


class HeadSigner:
    """Signs tree heads with the ledger's Ed25519 key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    def sign(self, tree_size: int, root_hash: str, timestamp: str) -> str:
        signature = self.key.sign(head_message(tree_size, root_hash, timestamp))
        return base64.b64encode(signature).decode()

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()

    def published(self) -> dict[str, str]:
        """The public key as `GET /v1/audit/key` gives it."""
        public = self.public_key
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "algorithm": ALGORITHM,
            "public_key": base64.b64encode(raw).decode(),
            "public_key_pem": pem.decode(),
        }


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text or the base64 of its 32 raw bytes."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError:
            raise InvalidInput("public_key", "is not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidInput("public_key", "is not an Ed25519 key")
        return key
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error):
        raise InvalidInput("public_key", "is neither PEM nor base64 of 32 raw bytes") from None


def signature_valid(head: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Tell whether a head's signature was made by ``public_key`` over its own fields."""
    try:
        signature = base64.b64decode(str(head["signature"]), validate=True)
        message = head_message(
            int(head["tree_size"]), str(head["root_hash"]), str(head["timestamp"])
        )
        public_key.verify(signature, message)
    except (KeyError, ValueError, binascii.Error, InvalidSignature):
        return False
    return True


def tree_head(
    database: Database, signer: HeadSigner | None = None, tree_size: int | None = None
) -> dict[str, Any]:
    """The head of the sealed tree (or of its first ``tree_size`` leaves), signed when a key
    is configured; the timestamp is the recording time of its last event."""
    return _head(database, signer, tree_size)[0]


def _head(
    database: Database, signer: HeadSigner | None, tree_size: int | None
) -> tuple[dict[str, Any], int]:
    """A head and the position of its last event, read in one transaction."""
    with database.transaction(commit=False) as sql:
        tree = SealedTree(sql)
        size, position = tree.last()
        if tree_size is not None:
            _check_size("tree_size", tree_size, size)
            size = tree_size
            position = tree.leaves(size - 1, size)[0][1] if size else 0
        root = tree.root(size)
        recorded = Timeline.recorded_at(sql, position) if position else None
    timestamp = instant(recorded or datetime.now(UTC))
    head: dict[str, Any] = {"tree_size": size, "root_hash": root.hex(), "timestamp": timestamp}
    if signer is not None:
        head["signature"] = signer.sign(size, head["root_hash"], timestamp)
    return head, position


def seal_up(database: Database) -> int:
    """Seal every event recorded so far; returns the last position sealed.

    Only the seal runs: it reads stored bytes, so even a log whose events no longer decode is
    sealed up to its end before it is verified. Its tables exist: the ledger service made them.
    """
    return Projector(database, [Seal()], create_tables=False).catch_up()


# Verification


@dataclass
class Verification:
    """What `verify` found: ok, or the first position where the log and its seal part."""

    events_checked: int = 0
    tree_size: int = 0
    root_hash: str = merkle.EMPTY_ROOT.hex()
    first_mismatch: dict[str, Any] | None = None
    head_checked: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.first_mismatch is None

    def public(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "head": {"tree_size": self.tree_size, "root_hash": self.root_hash},
            "first_mismatch": self.first_mismatch,
        }
        if self.head_checked is not None:
            found["head_checked"] = self.head_checked
        return found

    def mismatch(
        self,
        position: int | None,
        check: str,
        expected: bytes | None,
        actual: bytes | None,
        detail: str,
    ) -> Verification:
        self.first_mismatch = {
            "position": position,
            "check": check,
            "expected": expected.hex() if expected is not None else None,
            "actual": actual.hex() if actual is not None else None,
            "detail": detail,
        }
        return self


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
    found = Verification(tree_size=size, root_hash=sealed_root.hex() if sealed_root else "")
    if head is not None:
        found.head_checked = {"tree_size": head.tree_size, "root_hash": head.root.hex()}
        if head.tree_size == 0 and head.root != merkle.EMPTY_ROOT:
            return found.mismatch(
                None,
                "head",
                head.root,
                merkle.EMPTY_ROOT,
                "the empty tree's root is the hash of nothing",
            )
    walk = _Walk(database, found, head)
    for start in range(0, size, VERIFY_BATCH):
        if not walk.batch(start, min(start + VERIFY_BATCH, size)):
            return found
    return walk.finish(sealed_root, last_position)


@dataclass
class _Walk:
    """The log and its seal, compared batch by batch, in log order."""

    database: Database
    found: Verification
    head: Head | None
    frontier: merkle.Frontier = field(default_factory=merkle.Frontier)
    after: int = 0  # the position of the last event checked

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
        self._part_ways(sealed, events, computed, good)
        return False

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
            self.found.events_checked += completing - before
            self.found.mismatch(
                events[completing - before][0],
                "root",
                stored,
                computed,
                "a stored tree node is not the hash of the leaves below it",
            )
            return False
        self.found.events_checked += len(leaves)
        head = self.head
        if head is None or not leaves or self.frontier.size != head.tree_size:
            return True
        if self.frontier.root() == head.root:
            return True
        self.found.mismatch(
            None,
            "head",
            head.root,
            self.frontier.root(),
            f"the first {head.tree_size} events no longer hash to the head's root",
        )
        return False

    def _part_ways(
        self,
        sealed: list[tuple[int, bytes]],
        events: list[StoredRow],
        computed: list[bytes],
        index: int,
    ) -> None:
        """Report where the log and the seal part: a changed, missing or extra event."""
        leaf = sealed[index] if index < len(sealed) else None
        event = events[index] if index < len(events) else None
        if leaf is not None and event is not None and index < len(computed):
            self.found.mismatch(
                event[0],
                "leaf",
                leaf[1],
                computed[index],
                "the stored event no longer hashes to its sealed leaf",
            )
        elif leaf is not None and (event is None or event[0] > leaf[0]):
            self.found.mismatch(
                leaf[0], "missing", leaf[1], None, "a sealed event is no longer in the log"
            )
        else:
            assert event is not None
            self._extra(event)

    def _extra(self, event: StoredRow) -> Verification:
        return self.found.mismatch(
            event[0],
            "extra",
            None,
            stored_leaf(event),
            "a stored event among the sealed positions was never sealed",
        )

    def finish(self, sealed_root: bytes | None, last_position: int) -> Verification:
        """After the last batch: no event left unchecked, the seal's root and the head's size."""
        found, frontier = self.found, self.frontier
        unchecked = log_rows(self.database, self.after, last_position, 1)
        if unchecked:
            return self._extra(unchecked[0])
        if frontier.root() != sealed_root:
            return found.mismatch(
                last_position or None,
                "root",
                sealed_root,
                frontier.root(),
                "the seal's root is not the root of its leaves",
            )
        if self.head is not None and self.head.tree_size > frontier.size:
            return found.mismatch(
                None,
                "head",
                self.head.root,
                None,
                f"the log has {frontier.size} sealed events,"
                f" fewer than the head's {self.head.tree_size}",
            )
        return found


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


# Proofs


def inclusion(database: Database, position: int, tree_size: int | None = None) -> dict[str, Any]:
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
        _check_size("tree_size", tree_size, size)
        if index >= tree_size:
            raise InvalidInput(
                "tree_size",
                f"the event at position {position} is leaf {index},"
                f" sealed after the tree of size {tree_size}",
            )
        path = merkle.inclusion_proof(index, tree_size, tree.get_node)
        root = tree.root(tree_size)
    return {
        "type": "inclusion",
        "position": position,
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": leaf.hex(),
        "root_hash": root.hex(),
        "path": [p.hex() for p in path],
    }


def consistency(database: Database, first: int, second: int | None = None) -> dict[str, Any]:
    """The proof that the tree of ``first`` events is a prefix of the tree of ``second``."""
    with database.transaction(commit=False) as sql:
        tree = SealedTree(sql)
        size = tree.size()
        if second is None:
            second = size
        _check_size("second", second, size)
        if not 0 <= first <= second:
            raise InvalidInput("first", f"must be between 0 and second ({second})")
        path = merkle.consistency_proof(first, second, tree.get_node)
        first_root, second_root = tree.root(first), tree.root(second)
    return {
        "type": "consistency",
        "first": first,
        "second": second,
        "first_root": first_root.hex(),
        "second_root": second_root.hex(),
        "path": [p.hex() for p in path],
    }


def _check_size(name: str, value: int, size: int) -> None:
    if not 0 <= value <= size:
        raise InvalidInput(name, f"must be between 0 and the sealed tree size {size}")


# The export bundle


@dataclass(frozen=True)
class Filters:
    """Which events a bundle holds: one portfolio's (and its projects'), within instants."""

    portfolio_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def subset(self) -> bool:
        return any(value is not None for value in (self.portfolio_id, self.since, self.until))

    def public(self) -> dict[str, str | None]:
        return {
            "portfolio_id": str(self.portfolio_id) if self.portfolio_id else None,
            "since": instant(self.since) if self.since else None,
            "until": instant(self.until) if self.until else None,
        }


def bundle_lines(
    service: LedgerService, filters: Filters = Filters(), signer: HeadSigner | None = None
) -> Iterator[str]:
    """The audit bundle as NDJSON lines: the events, then the manifest.

    Each event line carries the stored bytes (``state``, base64) so its leaf can be recomputed
    offline, and the decoded data for the reader. A bundle of a subset carries each event's
    inclusion proof against the manifest's tree. ``since`` and ``until`` bound the timeline's
    recording instant, as ``as_of`` reads do, so the two halves of one decision are never
    split. Events are read in batches (constant memory).
    """
    database = service.database
    head, last_position = _head(database, signer, None)
    size = head["tree_size"]
    members: set[UUID | str] = set()
    count = 0
    batch: list[Notification] = []
    for notification in stored_events(database, last_position):
        batch.append(notification)
        if len(batch) == READ_BATCH:
            chosen = _choose(service, batch, filters, members)
            count += len(chosen)
            yield from _lines(database, chosen, size, filters.subset)
            batch = []
    chosen = _choose(service, batch, filters, members)
    count += len(chosen)
    yield from _lines(database, chosen, size, filters.subset)
    manifest: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "count": count,
        **head,
        "subset": filters.subset,
        "filters": filters.public(),
    }
    if signer is not None:
        manifest.update(public_key=signer.published()["public_key"], algorithm=ALGORITHM)
    yield json.dumps({"manifest": manifest}, separators=(",", ":")) + "\n"


def _choose(
    service: LedgerService, batch: list[Notification], filters: Filters, members: set[UUID | str]
) -> list[dict[str, Any]]:
    """The batch's events the filters select, as bundle lines."""
    instants: dict[int, datetime | None] = {}
    if filters.since is not None or filters.until is not None:
        with service.database.transaction(commit=False) as sql:
            instants = {n.id: Timeline.recorded_at(sql, n.id) for n in batch}
    chosen = []
    for notification in batch:
        record = event_item(service.app, notification)
        recorded = instants.get(notification.id) or record["recorded_at"]
        if _selected(notification.originator_id, record, recorded, filters, members):
            chosen.append(_event_line(notification, record))
    return chosen


def _selected(
    originator_id: UUID | str,
    record: dict[str, Any],
    recorded: datetime | None,
    filters: Filters,
    members: set[UUID | str],
) -> bool:
    """Whether the filters keep an event; one that cannot be read, and so cannot be dated,
    is kept by any bounds in time."""
    if filters.portfolio_id is not None:
        if record["type"] == Project.ProjectProposed.__name__ and (
            record["data"].get("portfolio_id") == str(filters.portfolio_id)
        ):
            members.add(originator_id)
        if originator_id != filters.portfolio_id and originator_id not in members:
            return False
    if recorded is None:
        return True
    if filters.since is not None and recorded < filters.since:
        return False
    return filters.until is None or recorded <= filters.until


def _event_line(notification: Any, record: dict[str, Any]) -> dict[str, Any]:
    """One event of the bundle. One that cannot be read is there too, as `Unreadable`, with
    its true leaf, its values where they have the types the ledger writes (null where not),
    and why it cannot be read (``data.reason``); an offline check then fails at its line."""
    return {
        "position": notification.id,
        "originator_id": record["originator_id"],
        "version": record["version"],
        "topic": notification.topic if type(notification.topic) is str else None,
        "type": record["type"],
        "recorded_at": instant(record["recorded_at"]) if record["recorded_at"] else None,
        "actor": record["actor"],
        "data": jsonable(record["data"]),
        "state": base64.b64encode(notification.state).decode()
        if type(notification.state) is bytes
        else None,
        "leaf_hash": event_leaf(notification).hex(),
    }


def _lines(
    database: Database, events: list[dict[str, Any]], size: int, subset: bool
) -> Iterator[str]:
    if not events:
        return
    with database.transaction(commit=False) as sql:
        tree = SealedTree(sql)
        get_node = lru_cache(maxsize=4096)(tree.get_node)
        sealed = tree.leaves_at(e["position"] for e in events)
        for event in events:
            index = sealed[event["position"]][0] if event["position"] in sealed else None
            event["index"] = index
            if subset and index is not None:
                path = merkle.inclusion_proof(index, size, get_node)
                event["proof"] = [node.hex() for node in path]
    for event in events:
        yield json.dumps(event, separators=(",", ":")) + "\n"
