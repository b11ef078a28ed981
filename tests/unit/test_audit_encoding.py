"""The seal's canonical leaf bytes, the signed head encoding, keys, and offline proof checks."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from uuid import UUID

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import Notification

from api.auth.signing import generate, head_signer, private_key
from api.settings import ConfigurationError, Settings
from domain.errors import InvalidInput
from projections.audit.heads import (
    Head,
    HeadSigner,
    head_message,
    public_key_from_text,
    signature_valid,
)
from projections.audit.merkle import EMPTY_ROOT, MemoryTree, leaf_hash
from projections.audit.offline import CannotCheck, check_proof
from projections.audit.seal import event_leaf, leaf_input

IDENT = UUID("12345678-1234-5678-1234-567812345678")
TOPIC = "domain.portfolio:Portfolio.PortfolioCreated"


# Leaf bytes


def test_a_leaf_input_is_fixed_width_fields_then_length_prefixed_topic_and_state() -> None:
    encoded = leaf_input(7, IDENT, 3, "ab", b"xyz")

    assert encoded == (
        (7).to_bytes(8, "big") + IDENT.bytes + (3).to_bytes(8, "big")
        + b"\x00\x00\x00\x02ab" + b"\x00\x00\x00\x03xyz"
    )


def test_moving_bytes_between_topic_and_state_changes_the_leaf() -> None:
    assert leaf_input(1, IDENT, 1, "ab", b"c") != leaf_input(1, IDENT, 1, "a", b"bc")


def test_an_events_leaf_is_the_rfc9162_leaf_hash_of_its_stored_form() -> None:
    notification = Notification(id=5, originator_id=IDENT, originator_version=2, topic=TOPIC,
                                state=b'{"name":"P"}')
    expected = hashlib.sha256(b"\x00" + leaf_input(5, IDENT, 2, TOPIC, b'{"name":"P"}')).digest()

    assert event_leaf(notification) == expected
    assert leaf_input(5, IDENT.hex, 2, TOPIC, b"") == leaf_input(5, IDENT, 2, TOPIC, b"")


@pytest.mark.parametrize("changed", [
    {"id": 6}, {"originator_id": UUID(int=1)}, {"originator_version": 3},
    {"topic": TOPIC + "X"}, {"state": b'{"name":"Q"}'},
])
def test_changing_any_stored_field_changes_the_leaf(changed: dict[str, object]) -> None:
    fields: dict[str, object] = {"id": 5, "originator_id": IDENT, "originator_version": 2,
                                 "topic": TOPIC, "state": b'{"name":"P"}'}

    original = event_leaf(Notification(**fields))  # type: ignore[arg-type]
    altered = event_leaf(Notification(**{**fields, **changed}))  # type: ignore[arg-type]

    assert original != altered


# Heads and their signatures


def test_a_head_message_is_a_context_line_then_size_root_and_timestamp() -> None:
    message = head_message(3, "ab" * 32, "2026-03-31T17:00:00.000000Z")

    assert message == (b"portfolio-ledger-head:v1\n3\n" + b"ab" * 32
                       + b"\n2026-03-31T17:00:00.000000Z\n")


def test_a_signed_head_verifies_with_its_key_only_and_only_as_signed() -> None:
    signer = HeadSigner(Ed25519PrivateKey.generate())
    when = "2026-03-31T17:00:00.000000Z"
    head: dict[str, object] = {"tree_size": 3, "root_hash": "ab" * 32, "timestamp": when}
    signed = {**head, "signature": signer.sign(3, "ab" * 32, when)}
    published = public_key_from_text(signer.published().public_key)

    assert signature_valid(signed, published)
    assert signature_valid(signed, public_key_from_text(signer.published().public_key_pem))
    assert not signature_valid(signed, Ed25519PrivateKey.generate().public_key())
    assert not signature_valid({**signed, "root_hash": "cd" * 32}, published)
    assert not signature_valid({**signed, "timestamp": "2026-04-01T00:00:00.000000Z"}, published)
    assert not signature_valid(head, published)


def test_a_receipt_is_size_and_hex_root() -> None:
    head = Head.parse(f"12:{'ab' * 32}")

    assert (head.tree_size, head.root) == (12, bytes.fromhex("ab" * 32))
    assert head.receipt == f"12:{'ab' * 32}"


@pytest.mark.parametrize("text", ["", "12", "12:abc", f"x:{'ab' * 32}", f"-1:{'ab' * 32}",
                                  f"12:{'ab' * 31}"])
def test_a_malformed_receipt_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        Head.parse(text)


# Keys


def test_a_signing_key_comes_from_a_base64_seed_or_a_pem_file(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    seed = base64.b64encode(key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())).decode()
    written = generate(tmp_path / "key.pem")

    from_seed = head_signer(Settings(signing_key=seed))
    from_file = head_signer(Settings(signing_key_file=tmp_path / "key.pem"))

    assert from_seed is not None and from_file is not None
    assert from_seed.published() == HeadSigner(key).published()
    assert from_file.published() == written.published()
    assert head_signer(Settings()) is None


@pytest.mark.parametrize("settings", [
    Settings(signing_key="not a key"),
    Settings(signing_key=base64.b64encode(b"short").decode()),
    Settings(signing_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
    Settings(signing_key_file=Path("/nonexistent/key.pem")),
    Settings(signing_key="x", signing_key_file=Path("/nonexistent/key.pem")),
])
def test_an_unusable_signing_key_is_a_configuration_error(settings: Settings) -> None:
    with pytest.raises(ConfigurationError):
        head_signer(settings)


def test_an_error_about_a_key_never_shows_the_key() -> None:
    secret = base64.b64encode(b"a secret of 20 bytes").decode()
    with pytest.raises(ConfigurationError) as refused:
        private_key(secret, "PORTFOLIO_LEDGER_SIGNING_KEY")

    assert secret not in str(refused.value)


# Proofs checked offline


TREE = MemoryTree(leaf_hash(b"event %d" % i) for i in range(13))


def inclusion(index: int, size: int) -> dict[str, object]:
    return {"type": "inclusion", "position": index + 1, "index": index, "tree_size": size,
            "leaf_hash": leaf_hash(b"event %d" % index).hex(),
            "root_hash": TREE.root(size).hex(),
            "path": [node.hex() for node in TREE.inclusion_proof(index, size)]}


def consistency(first: int, second: int) -> dict[str, object]:
    return {"type": "consistency", "first": first, "second": second,
            "first_root": TREE.root(first).hex(), "second_root": TREE.root(second).hex(),
            "path": [node.hex() for node in TREE.consistency_proof(first, second)]}


def test_an_inclusion_proof_checks_against_the_head_it_was_made_for() -> None:
    assert check_proof(inclusion(4, 13), Head(13, TREE.root())).ok
    assert not check_proof(inclusion(4, 13), Head(13, EMPTY_ROOT)).ok
    assert not check_proof(inclusion(4, 13), Head(12, TREE.root(12))).ok


def test_a_consistency_proof_checks_against_either_end() -> None:
    assert check_proof(consistency(5, 13), Head(5, TREE.root(5))).ok
    assert check_proof(consistency(5, 13), Head(13, TREE.root())).ok
    assert not check_proof(consistency(5, 13), Head(5, TREE.root(6))).ok
    forged = {**consistency(5, 13), "second_root": EMPTY_ROOT.hex()}
    assert not check_proof(forged, Head(5, TREE.root(5))).ok


def test_a_proof_document_may_carry_its_signed_head() -> None:
    signer = HeadSigner(Ed25519PrivateKey.generate())
    root = TREE.root().hex()
    head = {"tree_size": 13, "root_hash": root, "timestamp": "2026-03-31T17:00:00.000000Z",
            "signature": signer.sign(13, root, "2026-03-31T17:00:00.000000Z")}
    document = {"proof": inclusion(4, 13), "head": head}

    assert check_proof(document, public_key=signer.public_key).ok
    assert not check_proof(document, public_key=Ed25519PrivateKey.generate().public_key()).ok


def test_a_proof_alone_is_checked_against_the_head_it_names_and_says_so() -> None:
    alone = inclusion(4, 13)
    forged = {**alone, "root_hash": "00" * 32}

    found = check_proof(alone)

    assert found.ok and "the head the proof names" in found.detail
    assert not check_proof(forged).ok
    assert "the head the proof names" not in check_proof(alone, Head(13, TREE.root())).detail


@pytest.mark.parametrize(("document", "head"), [
    ({key: value for key, value in inclusion(4, 13).items() if key != "root_hash"}, None),
    ({"proof": [1, 2]}, Head(13, TREE.root())),
    ({"type": "inclusion", "path": ["zz"]}, Head(13, TREE.root())),
    ({"type": "inclusion", "path": []}, Head(13, TREE.root())),
    ({"type": "mystery", "path": []}, Head(13, TREE.root())),
])
def test_a_proof_without_a_head_or_shape_cannot_be_checked(
    document: dict[str, object], head: Head | None,
) -> None:
    with pytest.raises(CannotCheck):
        check_proof(document, head)
