"""The fast leaf path (one concatenation, cached topics, raw id bytes) hashes exactly what the
documented encoding says, whatever form the originator id comes in; an event holding a value
of a type the ledger never writes is hashed as found, in a form no plain event can take."""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Notification

from projections.audit.merkle import leaf_hash
from projections.audit.seal import (
    AsStored,
    event_leaf,
    leaf_input,
    notification_leaves,
    notification_rows,
    stored_leaf,
    uuid_bytes,
)

IDENT = UUID("12345678-9abc-4def-8123-456789abcdef")


def reference_input(position: int, ident: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The encoding as its docstring states it, written out field by field."""
    encoded = topic.encode("utf-8")
    return (struct.pack(">Q", position) + ident.bytes + struct.pack(">Q", version)
            + struct.pack(">I", len(encoded)) + encoded + struct.pack(">I", len(state)) + state)


@pytest.mark.parametrize(("topic", "state"), [
    ("domain.portfolio:Portfolio.Created", b'{"name":"P"}'),
    ("tópico:ünïcode", b""),
    ("", b"\x00" * 70_000),
])
def test_the_fast_leaf_hashes_the_documented_encoding(topic: str, state: bytes) -> None:
    expected = reference_input(2**40 + 3, IDENT, 2**33 + 1, topic, state)

    assert leaf_input(2**40 + 3, IDENT, 2**33 + 1, topic, state) == expected
    assert stored_leaf((2**40 + 3, IDENT.bytes, 2**33 + 1, topic, state)) == leaf_hash(expected)
    assert leaf_hash(expected) == hashlib.sha256(b"\x00" + expected).digest()


def test_an_originator_id_has_the_same_bytes_in_every_form_a_store_gives() -> None:
    ident = uuid4()

    forms = [ident, str(ident), ident.hex, ident.hex.upper(), ident.bytes, f"{{{ident}}}"]

    assert {uuid_bytes(form) for form in forms} == {ident.bytes}


@pytest.mark.parametrize("bad", ["0011 2233445566778899aabbccddeef", "x" * 32, "abc", b"123"])
def test_an_originator_id_that_is_no_uuid_is_refused(bad: str | bytes) -> None:
    with pytest.raises(ValueError):
        uuid_bytes(bad)


def reference_as_stored(position: int, values: list[tuple[bytes, bytes]]) -> bytes:
    """The encoding of an event kept as found, as `leaf_input`'s docstring states it."""
    encoded = b"".join(code + struct.pack(">I", len(data)) + data for code, data in values)
    return struct.pack(">Q", position) + b"\xff" * 28 + encoded


def test_an_event_with_a_value_of_another_type_hashes_the_documented_encoding() -> None:
    stored = Notification(id=3, originator_id=IDENT, originator_version=1,
                          topic="domain.project:Project.ProjectProposed", state="{}")

    expected = reference_as_stored(3, [(b"u", IDENT.bytes), (b"i", b"1"),
                                       (b"t", b"domain.project:Project.ProjectProposed"),
                                       (b"t", b"{}")])

    assert notification_rows([stored]) == [AsStored(3, (
        ("uuid", IDENT.bytes), ("integer", b"1"),
        ("text", b"domain.project:Project.ProjectProposed"), ("text", b"{}")))]
    assert event_leaf(stored) == leaf_hash(expected)


def test_the_as_found_form_never_meets_the_plain_one() -> None:
    """Where a plain input has its topic's length, the as-found one has 0xffffffff: a plain
    input would need a topic of 4 GiB to match it there."""
    as_found = reference_as_stored(3, [(b"n", b"")] * 4)

    topic_length = struct.unpack(">I", as_found[32:36])[0]

    assert topic_length == 2**32 - 1
    assert len(as_found) < 36 + topic_length


@pytest.mark.parametrize(("field", "plain", "other"), [
    ("state", b"{}", "{}"),
    ("state", b"42", 42),
    ("state", b"", None),
    ("topic", "t", b"t"),
    ("originator_version", 3, "3"),
    ("originator_version", 3, 3.0),
    ("originator_id", IDENT, IDENT.hex),
    ("originator_id", IDENT, IDENT.bytes),
])
def test_a_value_whose_type_changed_changes_the_leaf_even_if_its_bytes_did_not(
    field: str, plain: object, other: object,
) -> None:
    fields: dict[str, object] = {"id": 3, "originator_id": IDENT, "originator_version": 3,
                                 "topic": "t", "state": b"{}"}

    before = event_leaf(Notification(**{**fields, field: plain}))  # type: ignore[arg-type]
    after = event_leaf(Notification(**{**fields, field: other}))  # type: ignore[arg-type]

    assert before != after


def test_one_event_of_another_type_leaves_the_leaves_of_its_batch_as_they_are() -> None:
    plain = [Notification(id=i, originator_id=uuid4(), originator_version=1, topic="t",
                          state=b"{}") for i in range(1, 4)]
    odd = Notification(id=4, originator_id=uuid4(), originator_version=1, topic="t", state=None)

    together = notification_leaves([*plain, odd])

    assert together[:3] == notification_leaves(plain)
    assert together[3] == event_leaf(odd)
