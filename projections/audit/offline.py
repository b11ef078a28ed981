"""Offline checks, with no database: an audit bundle, and a proof against a kept head.

A bundle is NDJSON: one line per event, then ``{"manifest": {...}}``. Each event line must hash
(from its stored bytes, ``state``) to its ``leaf_hash``; its decoded fields must be what those
bytes say; a full bundle's leaves must fold to the manifest's root; a subset's must each prove
their inclusion in it; a signed manifest must verify. The file is read twice, line by line,
so a bundle of any size is checked in constant memory.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.domain import EventSourcingError
from eventsourcing.persistence import Notification
from eventsourcing.utils import TopicError

from domain.application import PortfolioLedger
from domain.errors import LedgerError
from projections.audit import merkle
from projections.audit.bundle import BUNDLE_FORMAT
from projections.audit.heads import Head, public_key_from_text, signature_valid
from projections.audit.seal import leaf_input
from projections.service import event_public, jsonable
from projections.store.database import instant

EVENT_FIELDS = ("position", "originator_id", "version", "topic", "type", "recorded_at", "actor",
                "data", "state", "leaf_hash")
MANIFEST_FIELDS = ("count", "tree_size", "root_hash", "timestamp", "subset")


class CannotCheck(LedgerError):
    """The check could not be made: an unreadable file, or nothing to check against."""


class Broken(Exception):
    """One check failed; carries what `first_mismatch` reports."""

    def __init__(self, check: str, detail: str, expected: str | None = None,
                 actual: str | None = None) -> None:
        super().__init__(detail)
        self.check, self.detail, self.expected, self.actual = check, detail, expected, actual
        self.line: int | None = None
        self.position: int | None = None

    def public(self) -> dict[str, Any]:
        return {"line": self.line, "position": self.position, "check": self.check,
                "expected": self.expected, "actual": self.actual, "detail": self.detail}


@dataclass
class BundleCheck:
    """What checking a bundle found."""

    events_checked: int = 0
    manifest: dict[str, Any] | None = None
    signature: str = "absent"
    first_mismatch: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.first_mismatch is None

    def public(self) -> dict[str, Any]:
        return {"ok": self.ok, "events_checked": self.events_checked, "manifest": self.manifest,
                "signature": self.signature, "first_mismatch": self.first_mismatch}


@cache
def offline_ledger() -> PortfolioLedger:
    """The application's own event decoding, on an in-memory store: no database is touched."""
    return PortfolioLedger({"PERSISTENCE_MODULE": "eventsourcing.popo"})


def check_bundle(path: Path, public_key: Ed25519PublicKey | None = None,
                 head: Head | None = None) -> BundleCheck:
    """Check a bundle file; ``public_key`` insists on a signature by that key, ``head`` on the
    bundle's tree extending an auditor's kept head."""
    found = BundleCheck()
    last, total = _last_line(path)
    try:
        manifest = _manifest(last)
        found.manifest = manifest
        found.signature = _signature(manifest, public_key)
        _check_events(path, total, manifest, head, found)
    except Broken as broken:
        broken.line = broken.line or total
        found.first_mismatch = broken.public()
    return found


def _lines(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield line
    except UnicodeDecodeError:
        raise CannotCheck(f"{path} is not an audit bundle: it is not UTF-8 text") from None
    except OSError as error:
        raise CannotCheck(unreadable(path, error)) from None


def unreadable(path: Path, error: OSError) -> str:
    """Why a file cannot be read, in words (no errno)."""
    if isinstance(error, FileNotFoundError):
        return f"no file {path}"
    return f"cannot read {path}: {(error.strerror or type(error).__name__).lower()}"


def _last_line(path: Path) -> tuple[str, int]:
    first, last, total = "", "", 0
    for line in _lines(path):
        first = first or line
        last, total = line, total + 1
    if not total:
        raise CannotCheck(f"{path} is empty: not an audit bundle")
    if not _bundle_line(first):
        raise CannotCheck(f"{path} is not an audit bundle (the NDJSON that `export` or"
                          " GET /v1/audit/bundle writes)")
    return last, total


def _bundle_line(line: str) -> bool:
    """Whether a line reads as a bundle's: an event or the manifest (checked in full later)."""
    try:
        item = json.loads(line)
    except ValueError:
        return False
    return isinstance(item, dict) and ("manifest" in item or "leaf_hash" in item)


def _manifest(line: str) -> dict[str, Any]:
    try:
        manifest = json.loads(line)["manifest"]
    except (ValueError, KeyError, TypeError):
        raise Broken("manifest", "the last line is not the bundle's manifest") from None
    if not isinstance(manifest, dict) or any(f not in manifest for f in MANIFEST_FIELDS):
        raise Broken("manifest", f"the manifest needs {', '.join(MANIFEST_FIELDS)}")
    if manifest.get("format", BUNDLE_FORMAT) != BUNDLE_FORMAT:
        raise Broken("manifest", f"not a {BUNDLE_FORMAT} bundle")
    try:
        _root(manifest["root_hash"])
        int(manifest["tree_size"])
        int(manifest["count"])
    except (ValueError, TypeError):
        raise Broken("manifest", "tree_size, count or root_hash is malformed") from None
    return manifest


def _signature(manifest: dict[str, Any], public_key: Ed25519PublicKey | None) -> str:
    """'valid' or 'absent'; a signature that does not verify, or a missing one that a key
    insists on, breaks the bundle."""
    if "signature" not in manifest:
        if public_key is not None:
            raise Broken("signature", "the manifest is not signed")
        return "absent"
    key = public_key
    if key is None:
        try:
            key = public_key_from_text(str(manifest.get("public_key", "")))
        except LedgerError:
            raise Broken("signature", "the manifest is signed but names no usable key") from None
    if not signature_valid(manifest, key):
        raise Broken("signature", "the manifest's signature does not verify with the key")
    return "valid"


def _check_events(path: Path, total: int, manifest: dict[str, Any], head: Head | None,
                  found: BundleCheck) -> None:
    size, root = int(manifest["tree_size"]), _root(manifest["root_hash"])
    subset = bool(manifest["subset"])
    if head is not None and subset and (head.tree_size, head.root) != (size, root):
        raise CannotCheck("a subset bundle can be checked only against the head it was made"
                          f" for ({size}:{root.hex()}); ask for a consistency proof")
    if head is not None and not subset and head.tree_size > size:
        raise Broken("head", f"the bundle's tree of {size} events is smaller than the head's",
                     head.root.hex(), None)
    frontier = merkle.Frontier()
    previous = 0
    for number, line in enumerate(_lines(path), start=1):
        if number == total:
            break
        try:
            previous = _check_event(line, previous, manifest, frontier, head)
        except Broken as broken:
            broken.line = number
            raise
        found.events_checked += 1
    if found.events_checked != int(manifest["count"]):
        raise Broken("count", "the manifest's count is not the number of events",
                     str(manifest["count"]), str(found.events_checked))
    if not subset:
        if found.events_checked != size:
            raise Broken("count", "a full bundle holds every event of its tree",
                         str(size), str(found.events_checked))
        if frontier.root() != root:
            raise Broken("root", "the events do not hash to the manifest's root",
                         root.hex(), frontier.root().hex())
        if head is not None and head.tree_size == 0 and head.root != merkle.EMPTY_ROOT:
            raise Broken("head", "the empty tree's root is the hash of nothing", head.root.hex(),
                         merkle.EMPTY_ROOT.hex())


def _check_event(line: str, previous: int, manifest: dict[str, Any], frontier: merkle.Frontier,
                 head: Head | None) -> int:
    """Check one event line; returns its position."""
    event = _event(line)
    try:
        leaf = _leaf(event)
        _check_data(event)
        if event["position"] <= previous:
            raise Broken("order", "events are not in strictly increasing position order")
        size, root = int(manifest["tree_size"]), _root(manifest["root_hash"])
        if manifest["subset"]:
            _check_inclusion(event, leaf, size, root)
            return int(event["position"])
        if event.get("index", frontier.size) != frontier.size:
            raise Broken("order", f"a full bundle's event {frontier.size + 1} is leaf"
                         f" {frontier.size}, not {event.get('index')}")
        frontier.append(leaf)
        if head is not None and frontier.size == head.tree_size and frontier.root() != head.root:
            raise Broken("head", f"the first {head.tree_size} events do not hash to the"
                         " head's root", head.root.hex(), frontier.root().hex())
    except Broken as broken:
        broken.position = event["position"] if isinstance(event["position"], int) else None
        raise
    return int(event["position"])


def _event(line: str) -> dict[str, Any]:
    try:
        event = json.loads(line)
    except ValueError:
        raise Broken("format", "the line is not JSON") from None
    if not isinstance(event, dict) or any(f not in event for f in EVENT_FIELDS):
        raise Broken("format", f"an event line needs {', '.join(EVENT_FIELDS)}")
    return event


def _leaf(event: dict[str, Any]) -> bytes:
    """The event's leaf, recomputed from its stored bytes; it must be the one the line names."""
    try:
        state = base64.b64decode(event["state"], validate=True)
        leaf = merkle.leaf_hash(leaf_input(int(event["position"]), UUID(event["originator_id"]),
                                           int(event["version"]), str(event["topic"]), state))
    except (ValueError, TypeError, OverflowError, binascii.Error):
        raise Broken("format", "position, originator_id, version, topic or state is malformed"
                     ) from None
    if leaf.hex() != event["leaf_hash"]:
        raise Broken("leaf", "the event's stored bytes do not hash to its leaf_hash",
                     str(event["leaf_hash"]), leaf.hex())
    return leaf


def _check_data(event: dict[str, Any]) -> None:
    """The decoded fields must be what the stored bytes (the authority) say."""
    notification = Notification(
        id=event["position"], originator_id=UUID(event["originator_id"]),
        originator_version=event["version"], topic=event["topic"],
        state=base64.b64decode(event["state"]),
    )
    try:
        record = event_public(offline_ledger(), notification)
    except (EventSourcingError, TopicError, ValueError, TypeError, KeyError, AttributeError):
        raise Broken("data", "the stored bytes do not decode to an event") from None
    said = {"type": record["type"], "recorded_at": instant(record["recorded_at"]),
            "actor": record["actor"], "data": json.loads(json.dumps(jsonable(record["data"])))}
    for name, value in said.items():
        if event[name] != value:
            raise Broken("data", f"the line's {name} is not what its stored bytes say",
                         json.dumps(value), json.dumps(event[name]))


def _check_inclusion(event: dict[str, Any], leaf: bytes, size: int, root: bytes) -> None:
    try:
        index = int(event["index"])
        proof = [bytes.fromhex(node) for node in event["proof"]]
    except (KeyError, ValueError, TypeError):
        raise Broken("inclusion", "a subset bundle's event needs its index and proof") from None
    if not merkle.verify_inclusion(leaf, index, size, proof, root):
        raise Broken("inclusion", "the event's proof does not lead to the manifest's root")


def _root(text: Any) -> bytes:
    root = bytes.fromhex(str(text))
    if len(root) != merkle.HASH_SIZE:
        raise ValueError("a root is 32 bytes")
    return root


# Proofs


@dataclass(frozen=True)
class ProofCheck:
    """What checking one proof found."""

    ok: bool
    detail: str


def check_proof(document: dict[str, Any], head: Head | None = None,
                public_key: Ed25519PublicKey | None = None) -> ProofCheck:
    """Check a proof as the API returns it against a head: ``head`` (one the auditor kept),
    else the document's own ``head`` (``{tree_size, root_hash, ...}``, whose signature
    ``public_key`` must verify), else the head the proof itself names (which shows only that
    the proof is sound, not that the head is the ledger's)."""
    proof = document.get("proof", document)
    if not isinstance(proof, dict):
        raise CannotCheck("the document holds no proof")
    try:
        if head is not None:
            kept, note = head, ""
        elif "head" in document or public_key is not None:
            kept, note = _document_head(document, public_key), ""
        else:
            kept = _proof_head(proof)
            note = " (the head the proof names: --head checks it against a head you kept)"
    except Broken as broken:
        return ProofCheck(False, broken.detail)
    try:
        path = [bytes.fromhex(node) for node in proof["path"]]
        if proof.get("type") == "inclusion":
            found = _inclusion(proof, path, kept)
        elif proof.get("type") == "consistency":
            found = _consistency(proof, path, kept)
        else:
            raise CannotCheck("the proof's type is neither inclusion nor consistency")
    except (KeyError, ValueError, TypeError):
        raise CannotCheck("the proof is malformed: see GET /v1/audit/proofs/...") from None
    return ProofCheck(found.ok, found.detail + note)


def _proof_head(proof: dict[str, Any]) -> Head:
    """The head a proof is for: an inclusion proof's tree, a consistency proof's larger one."""
    names = {"inclusion": ("tree_size", "root_hash"), "consistency": ("second", "second_root")}
    size, root = names.get(str(proof.get("type")), ("tree_size", "root_hash"))
    if size not in proof or root not in proof:
        raise CannotCheck("no head to check against: the proof names none, so pass"
                          " --head SIZE:ROOT")
    try:
        return Head(int(proof[size]), _root(proof[root]))
    except (ValueError, TypeError):
        raise CannotCheck(f"the proof's {size} or {root} is malformed") from None


def _document_head(document: dict[str, Any], public_key: Ed25519PublicKey | None) -> Head:
    given = document.get("head")
    if "head" not in document:
        raise CannotCheck("--key checks a signed head, and the document holds none: add the"
                          " head (GET /v1/audit/head) as {\"proof\": ..., \"head\": ...}")
    if not isinstance(given, dict):
        raise CannotCheck("the document's head is not an object with tree_size and root_hash")
    if public_key is not None and not signature_valid(given, public_key):
        raise Broken("signature", "the head's signature does not verify with the key")
    try:
        return Head(int(given["tree_size"]), _root(given["root_hash"]))
    except (KeyError, ValueError, TypeError):
        raise CannotCheck("the head needs tree_size and a 64-hex-digit root_hash") from None


def _inclusion(proof: dict[str, Any], path: list[bytes], head: Head) -> ProofCheck:
    size = int(proof["tree_size"])
    if size != head.tree_size:
        return ProofCheck(False, f"the proof is for a tree of {size}, the head's has"
                          f" {head.tree_size}")
    ok = merkle.verify_inclusion(_root(proof["leaf_hash"]), int(proof["index"]), size, path,
                                 head.root)
    where = f"position {proof.get('position')} (leaf {proof['index']})"
    return ProofCheck(ok, f"{where} {'is' if ok else 'is NOT proven to be'} in the tree"
                      f" {head.receipt}")


def _consistency(proof: dict[str, Any], path: list[bytes], head: Head) -> ProofCheck:
    first, second = int(proof["first"]), int(proof["second"])
    first_root, second_root = _root(proof["first_root"]), _root(proof["second_root"])
    if (head.tree_size, head.root) not in ((first, first_root), (second, second_root)):
        return ProofCheck(False, f"neither end of the proof is the head {head.receipt}")
    ok = merkle.verify_consistency(first, second, first_root, second_root, path)
    verdict = "extends" if ok else "is NOT proven to extend"
    return ProofCheck(ok, f"the tree {second}:{second_root.hex()} {verdict}"
                      f" {first}:{first_root.hex()}")
