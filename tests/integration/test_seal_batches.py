"""The seal written and verified in bulk, on SQLite and PostgreSQL: batch boundaries anywhere
change no row of the seal and no finding of `verify`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from audit_support import RawLog, board_story, kept_head

from api.settings import store_env
from projections.audit import merkle
from projections.audit import verify as verification
from projections.audit.heads import Head, tree_head
from projections.audit.seal import Seal, event_leaf, leaf_input, log_rows
from projections.audit.verify import seal_up, verify
from projections.service import LedgerService

EVENTS = 32  # two board stories
BATCHES = [1, 3, 4, 7, 4096]


@pytest.fixture
def service(store_url: str) -> Iterator[LedgerService]:
    service = LedgerService(store_env(store_url))
    try:
        board_story(service)
        board_story(service)
        yield service
    finally:
        service.close()


def stored_rows(service: LedgerService) -> list[tuple[Any, ...]]:
    leaves = service.database.read("SELECT idx, position, leaf FROM seal_leaves ORDER BY idx")
    nodes = service.database.read("SELECT level, idx, hash FROM seal_nodes ORDER BY level, idx")
    return [("leaf", r["idx"], r["position"], bytes(r["leaf"])) for r in leaves] + [
        ("node", r["level"], r["idx"], bytes(r["hash"])) for r in nodes]


def expected_rows(service: LedgerService) -> list[tuple[Any, ...]]:
    """Every leaf and every complete perfect subtree of the stored events, from scratch."""
    stored = service.app.recorder.select_notifications(start=1, limit=1000)
    tree = merkle.MemoryTree(event_leaf(n) for n in stored)
    leaves = [("leaf", i, n.id, tree.get_node(0, i)) for i, n in enumerate(stored)]
    nodes = [("node", level, index, tree.get_node(level, index))
             for level in range(1, len(stored).bit_length())
             for index in range(len(stored) >> level)]
    return leaves + nodes


@pytest.mark.parametrize("batch", [1, 3, 5, 1000])
def test_sealing_in_batches_of_any_size_stores_every_leaf_and_node_of_the_rfc9162_tree(
    service: LedgerService, batch: int,
) -> None:
    service.projector.batch_size = batch

    service.projector.rebuild(["seal"])

    assert stored_rows(service) == expected_rows(service)
    assert tree_head(service.database).root_hash == merkle.root(
        leaf for *_, leaf in expected_rows(service)[:EVENTS]).hex()


def test_the_log_read_raw_for_verify_is_the_log_the_library_reads(
    service: LedgerService,
) -> None:
    stored = service.app.recorder.select_notifications(start=1, limit=1000)

    raw = log_rows(service.database, 3, EVENTS - 2, 100)

    assert [leaf_input(*row) for row in raw] == [
        leaf_input(n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
        for n in stored if 3 < n.id <= EVENTS - 2]
    assert len(log_rows(service.database, 0, EVENTS, 5)) == 5


TAMPERING: dict[str, tuple[Callable[[RawLog], None], int, str]] = {
    "a byte at the first event": (lambda log: log.change_one_byte(1), 1, "leaf"),
    "a byte at a batch's last event": (lambda log: log.change_one_byte(12), 12, "leaf"),
    "a byte at the last event": (lambda log: log.change_one_byte(EVENTS), EVENTS, "leaf"),
    "an event deleted": (lambda log: log.delete(9), 9, "missing"),
    "the last event deleted": (lambda log: log.delete(EVENTS), EVENTS, "missing"),
    "two events swapped": (lambda log: log.swap(5, 30), 5, "leaf"),
    "a forged event inserted": (lambda log: log.insert(17), 17, "leaf"),
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_verify_in_batches_of_any_size_names_the_same_first_mismatch(
    service: LedgerService, monkeypatch: pytest.MonkeyPatch, tampering: str,
) -> None:
    tamper, position, check = TAMPERING[tampering]
    receipt = kept_head(service)
    tamper(RawLog(service))
    seal_up(service.database)

    for batch in BATCHES:
        monkeypatch.setattr(verification, "VERIFY_BATCH", batch)
        for found in (verify(service.database), verify(service.database, receipt)):
            assert found.first_mismatch is not None, batch
            assert (found.first_mismatch.position, found.first_mismatch.check) == (
                position, check), batch
            assert found.events_checked == position - 1


@pytest.mark.parametrize(("level", "index", "position"), [
    (1, 0, 2), (1, 5, 12), (2, 1, 8), (3, 2, 24), (4, 1, 32), (5, 0, 32)])
def test_an_altered_node_is_named_at_its_completing_leaf_wherever_batches_split(
    service: LedgerService, monkeypatch: pytest.MonkeyPatch,
    level: int, index: int, position: int,
) -> None:
    with service.database.transaction() as sql:
        sql.execute("UPDATE seal_nodes SET hash = ? WHERE level = ? AND idx = ?",
                    (b"\x00" * 32, level, index))

    for batch in BATCHES:
        monkeypatch.setattr(verification, "VERIFY_BATCH", batch)
        found = verify(service.database)

        assert found.first_mismatch is not None
        assert (found.first_mismatch.position, found.first_mismatch.check) == (
            position, "root"), batch
        assert found.first_mismatch.expected == "00" * 32


def test_a_missing_node_is_named_at_its_completing_leaf(service: LedgerService) -> None:
    with service.database.transaction() as sql:
        sql.execute("DELETE FROM seal_nodes WHERE level = 1 AND idx = 6")

    found = verify(service.database)

    assert found.first_mismatch is not None
    assert (found.first_mismatch.position, found.first_mismatch.check) == (14, "root")
    assert found.first_mismatch.expected is None


@pytest.mark.parametrize("size", [1, 5, 6, 16, 31])
def test_a_head_ending_inside_a_batch_is_checked_at_its_own_size(
    service: LedgerService, monkeypatch: pytest.MonkeyPatch, size: int,
) -> None:
    kept = Head(size, bytes.fromhex(tree_head(service.database, tree_size=size).root_hash))
    forged = Head(size, b"\x11" * 32)

    for batch in BATCHES:
        monkeypatch.setattr(verification, "VERIFY_BATCH", batch)
        assert verify(service.database, kept).ok, batch
        found = verify(service.database, forged)
        assert found.first_mismatch is not None
        assert found.first_mismatch.check == "head", batch
        assert found.first_mismatch.actual == kept.root.hex()
        assert found.events_checked == size


def test_an_intact_log_verifies_in_batches_of_any_size(
    service: LedgerService, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for batch in BATCHES:
        monkeypatch.setattr(verification, "VERIFY_BATCH", batch)
        found = verify(service.database, kept_head(service))

        assert found.ok and found.events_checked == EVENTS
        assert found.root_hash == tree_head(service.database).root_hash


def test_sealing_inside_a_write_pipeline_stores_the_same_rows(service: LedgerService) -> None:
    if service.database.dialect != "postgresql":
        pytest.skip("pipeline mode is PostgreSQL's")
    stored = service.app.recorder.select_notifications(start=1, limit=1000)
    expected = expected_rows(service)

    with service.database.transaction() as sql:
        sql.execute("DELETE FROM seal_leaves")
        sql.execute("DELETE FROM seal_nodes")
        with sql.cursor.connection.pipeline():
            Seal().process_notifications(stored, sql)

    assert stored_rows(service) == expected
