"""Tree heads: the root of the first ``tree_size`` events, dated and (with a key) signed.

A tree head is ``{tree_size, root_hash, timestamp}``: the root of the first ``tree_size`` events
and the recording time of the last of them. With a signing key it is signed (Ed25519) over
`head_message`. A head is the auditor's receipt: kept outside the operator's reach, it lets
`verify` prove that the log still extends it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.errors import InvalidInput
from projections.audit import merkle
from projections.audit.seal import Seal, SealedTree
from projections.store.database import Database, instant
from projections.views.timeline import Timeline

HEAD_CONTEXT = b"portfolio-ledger-head:v1\n"
ALGORITHM = "Ed25519"


@dataclass(frozen=True)
class Head:
    """A tree head as an auditor keeps it: the root of the first ``tree_size`` events."""

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


@dataclass(frozen=True)
class TreeHead:
    """The head of the sealed tree as the ledger gives it: signed when a key is configured."""

    tree_size: int
    root_hash: str  # hex
    timestamp: str  # the recording time of its last event (RFC 3339, UTC)
    signature: str | None = None  # base64 Ed25519 over `head_message`

    @property
    def receipt(self) -> str:
        """``SIZE:ROOT``, what an auditor keeps and passes back to `verify`."""
        return f"{self.tree_size}:{self.root_hash}"

    def public(self) -> dict[str, Any]:
        """As `GET /v1/audit/head` and a bundle's manifest give it: no signature when unsigned."""
        found: dict[str, Any] = {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
        }
        if self.signature is not None:
            found["signature"] = self.signature
        return found


@dataclass(frozen=True)
class PublishedKey:
    """The public key that verifies signed heads, as `GET /v1/audit/key` gives it."""

    algorithm: str
    public_key: str  # the 32 raw bytes, base64
    public_key_pem: str


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

    def published(self) -> PublishedKey:
        """The public key as `GET /v1/audit/key` gives it."""
        public = self.public_key
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return PublishedKey(ALGORITHM, base64.b64encode(raw).decode(), pem.decode())


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
    """Tell whether a head's signature (as a document gives it) was made by ``public_key``
    over its own fields."""
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
) -> TreeHead:
    """The head of the sealed tree (or of its first ``tree_size`` leaves), signed when a key
    is configured; the timestamp is the recording time of its last event."""
    return head_and_position(database, signer, tree_size)[0]


def head_and_position(
    database: Database, signer: HeadSigner | None, tree_size: int | None
) -> tuple[TreeHead, int]:
    """A head and the position of its last event, read in one transaction."""
    with database.transaction(commit=False) as sql:
        tree = SealedTree(sql)
        size, position = tree.last()
        if tree_size is not None:
            check_size("tree_size", tree_size, size)
            size = tree_size
            position = tree.leaves(size - 1, size)[0][1] if size else 0
        root = tree.root(size).hex()
        recorded = Timeline.recorded_at(sql, position) if position else None
    timestamp = instant(recorded or datetime.now(UTC))
    signature = signer.sign(size, root, timestamp) if signer is not None else None
    return TreeHead(size, root, timestamp, signature), position


def size_as_of(database: Database, as_of: datetime) -> int:
    """How many events the seal had sealed of those recorded by ``as_of``."""
    with database.transaction(commit=False) as sql:
        reached = database.tracked_in(sql, Seal.name)
        position = Timeline.moment(sql, as_of, reached).position
        leaf = SealedTree(sql).leaf(position) if position else None
    return leaf[0] + 1 if leaf else 0


def check_size(name: str, value: int, size: int) -> None:
    if not 0 <= value <= size:
        raise InvalidInput(name, f"must be between 0 and the sealed tree size {size}")
