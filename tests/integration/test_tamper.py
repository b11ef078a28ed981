"""Tampering with the stored log, on SQLite and PostgreSQL: `verify` names where, and a head an
auditor kept catches even a rewrite of the seal itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from audit_support import RawLog, board_story, kept_head

from api.cli import main
from api.settings import store_env
from projections import merkle
from projections.audit import Head, seal_up, tree_head, verify
from projections.framework import Projector
from projections.seal import Seal, event_leaf
from projections.service import LedgerService

EVENTS = 16


@pytest.fixture
def service(store_url: str) -> Iterator[LedgerService]:
    """A ledger holding the board story, sealed."""
    service = LedgerService(store_env(store_url))
    try:
        board_story(service)
        yield service
    finally:
        service.close()


def cli_verify(url: str, *more: str) -> int:
    return main(["verify", "--db", url, *more])


def seal_rows(service: LedgerService) -> list[tuple[Any, ...]]:
    leaves = service.database.read("SELECT idx, position, leaf FROM seal_leaves ORDER BY idx")
    nodes = service.database.read("SELECT level, idx, hash FROM seal_nodes ORDER BY level, idx")
    return [(r["idx"], r["position"], bytes(r["leaf"])) for r in leaves] + [
        (r["level"], r["idx"], bytes(r["hash"])) for r in nodes]


# The intact log


def test_the_seal_covers_every_event_and_its_root_is_the_rfc9162_root_of_the_stored_events(
    service: LedgerService,
) -> None:
    stored = service.app.recorder.select_notifications(start=1, limit=100)
    head = tree_head(service.database)

    assert len(stored) == EVENTS
    assert head["tree_size"] == EVENTS
    assert head["root_hash"] == merkle.root(event_leaf(n) for n in stored).hex()
    assert head["timestamp"].endswith("Z")
    assert "signature" not in head


def test_an_intact_log_verifies_and_extends_every_head_kept_along_the_way(
    service: LedgerService, store_url: str,
) -> None:
    early = kept_head(service)
    board_story(service)

    found = verify(service.database, early)

    assert found.ok and found.first_mismatch is None
    assert found.events_checked == 2 * EVENTS
    assert cli_verify(store_url) == 0
    assert cli_verify(store_url, "--head", early.receipt) == 0


def test_sealing_from_two_services_on_one_store_makes_one_tree(
    service: LedgerService, store_url: str,
) -> None:
    other = LedgerService(store_env(store_url))
    try:
        board_story(other)
        board_story(service)
    finally:
        other.close()

    assert tree_head(service.database)["tree_size"] == 3 * EVENTS
    assert verify(service.database).ok


def test_rebuilding_the_seal_reproduces_it_row_for_row(service: LedgerService) -> None:
    before = seal_rows(service)

    service.projector.rebuild(["seal"])

    assert seal_rows(service) == before


# Tampering with events


TAMPERING: dict[str, tuple[Callable[[RawLog], None], int, str]] = {
    "one byte of an event's state": (lambda log: log.change_one_byte(7), 7, "leaf"),
    "an event deleted": (lambda log: log.delete(9), 9, "missing"),
    "two events swapped": (lambda log: log.swap(5, 12), 5, "leaf"),
    "a forged event inserted": (lambda log: log.insert(10), 10, "leaf"),
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_tampering_with_an_event_is_found_at_its_position_with_and_without_a_head(
    service: LedgerService, store_url: str, tampering: str,
) -> None:
    tamper, position, check = TAMPERING[tampering]
    receipt = kept_head(service)

    tamper(RawLog(service))
    seal_up(service.database)
    plain, against_head = verify(service.database), verify(service.database, receipt)

    for found in (plain, against_head):
        assert not found.ok
        assert found.first_mismatch is not None
        assert (found.first_mismatch["position"], found.first_mismatch["check"]) == (
            position, check)
        assert found.events_checked == position - 1
    assert cli_verify(store_url) == 1
    assert cli_verify(store_url, "--head", receipt.receipt) == 1


def test_a_head_kept_before_the_tampered_position_still_verifies_the_untouched_prefix(
    service: LedgerService,
) -> None:
    early = Head(6, bytes.fromhex(tree_head(service.database, tree_size=6)["root_hash"]))
    RawLog(service).change_one_byte(7)

    found = verify(service.database, early)

    assert found.first_mismatch is not None
    assert found.first_mismatch["position"] == 7


def test_rewriting_the_seal_with_the_events_escapes_verify_but_not_a_kept_head(
    service: LedgerService, store_url: str,
) -> None:
    receipt = kept_head(service)
    early = Head(6, bytes.fromhex(tree_head(service.database, tree_size=6)["root_hash"]))

    RawLog(service).change_one_byte(7)
    Projector(service.database, [Seal()]).rebuild()

    assert verify(service.database).ok, "a consistent rewrite of log and seal: only heads tell"
    assert verify(service.database, early).ok, "the events before the rewrite are untouched"
    found = verify(service.database, receipt)
    assert not found.ok
    assert found.first_mismatch is not None
    assert found.first_mismatch["check"] == "head"
    assert found.first_mismatch["expected"] == receipt.root.hex()
    assert cli_verify(store_url) == 0
    assert cli_verify(store_url, "--head", receipt.receipt) == 1


def test_a_head_larger_than_the_log_fails(service: LedgerService) -> None:
    receipt = kept_head(service)
    RawLog(service).delete(EVENTS)
    Projector(service.database, [Seal()]).rebuild()

    found = verify(service.database, receipt)

    assert found.first_mismatch is not None
    assert found.first_mismatch["check"] == "head"


# Tampering with the seal


def test_a_leaf_removed_from_the_seal_shows_its_event_as_extra(service: LedgerService) -> None:
    with service.database.transaction() as sql:
        sql.execute("DELETE FROM seal_leaves WHERE position = ?", (4,))

    found = verify(service.database)

    assert found.first_mismatch is not None
    assert (found.first_mismatch["position"], found.first_mismatch["check"]) == (4, "extra")


def test_an_altered_tree_node_fails_the_root_check_at_the_leaf_that_completed_it(
    service: LedgerService,
) -> None:
    with service.database.transaction() as sql:
        sql.execute("UPDATE seal_nodes SET hash = ? WHERE level = 2 AND idx = 1", (b"\x00" * 32,))

    found = verify(service.database)

    assert found.first_mismatch is not None
    assert (found.first_mismatch["position"], found.first_mismatch["check"]) == (8, "root")


# Could not check


def test_verify_exits_2_when_it_cannot_check(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_verify(f"sqlite:///{tmp_path}/absent.db") == 2
    assert cli_verify("postgresql://postgres@127.0.0.1:1/absent") == 2
    assert cli_verify(f"sqlite:///{tmp_path}/absent.db", "--head", "12:not-hex") == 2
    assert capsys.readouterr().err.count("could not check") == 3
