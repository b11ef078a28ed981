"""The fast leaf path (one concatenation, cached topics, raw id bytes) hashes exactly what the
documented encoding says, whatever form the originator id comes in."""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID, uuid4

import pytest

from projections.merkle import leaf_hash
from projections.seal import ids_as_bytes, leaf_input, stored_leaf, uuid_bytes

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


def test_ids_read_in_bulk_have_the_bytes_read_one_by_one() -> None:
    idents = [uuid4() for _ in range(5)]

    assert ids_as_bytes([i.hex for i in idents]) == [i.bytes for i in idents]
    assert ids_as_bytes([i.bytes for i in idents]) == [i.bytes for i in idents]
    assert ids_as_bytes([str(i) for i in idents]) == [i.bytes for i in idents]
    assert ids_as_bytes([]) == []
    with pytest.raises(ValueError):
        ids_as_bytes([idents[0].hex, "0011 2233445566778899aabbccddeef"])
