"""Tampering with the stored log, on SQLite and PostgreSQL: `verify` names where, and a head an
auditor kept catches even a rewrite of the seal itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from audit_support import RawLog, board_story, edit_with_driver, http_api, kept_head

from api.cli import main
from api.settings import store_env
from projections.audit import merkle
from projections.audit.heads import Head, tree_head
from projections.audit.offline import check_bundle
from projections.audit.seal import Seal, event_leaf
from projections.audit.verify import seal_up, verify
from projections.framework import Projector
from projections.service import LedgerService

EVENTS = 16
ROOT = Path(__file__).resolve().parents[2]


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
    assert head.tree_size == EVENTS
    assert head.root_hash == merkle.root(event_leaf(n) for n in stored).hex()
    assert head.timestamp.endswith("Z")
    assert head.signature is None


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

    assert tree_head(service.database).tree_size == 3 * EVENTS
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
        assert (found.first_mismatch.position, found.first_mismatch.check) == (
            position, check)
        assert found.events_checked == position - 1
    assert cli_verify(store_url) == 1
    assert cli_verify(store_url, "--head", receipt.receipt) == 1


def test_a_head_kept_before_the_tampered_position_still_verifies_the_untouched_prefix(
    service: LedgerService,
) -> None:
    early = Head(6, bytes.fromhex(tree_head(service.database, tree_size=6).root_hash))
    RawLog(service).change_one_byte(7)

    found = verify(service.database, early)

    assert found.first_mismatch is not None
    assert found.first_mismatch.position == 7


def test_rewriting_the_seal_with_the_events_escapes_verify_but_not_a_kept_head(
    service: LedgerService, store_url: str,
) -> None:
    receipt = kept_head(service)
    early = Head(6, bytes.fromhex(tree_head(service.database, tree_size=6).root_hash))

    RawLog(service).change_one_byte(7)
    Projector(service.database, [Seal()]).rebuild()

    assert verify(service.database).ok, "a consistent rewrite of log and seal: only heads tell"
    assert verify(service.database, early).ok, "the events before the rewrite are untouched"
    found = verify(service.database, receipt)
    assert not found.ok
    assert found.first_mismatch is not None
    assert found.first_mismatch.check == "head"
    assert found.first_mismatch.expected == receipt.root.hex()
    assert cli_verify(store_url) == 0
    assert cli_verify(store_url, "--head", receipt.receipt) == 1


def test_a_head_larger_than_the_log_fails(service: LedgerService) -> None:
    receipt = kept_head(service)
    RawLog(service).delete(EVENTS)
    Projector(service.database, [Seal()]).rebuild()

    found = verify(service.database, receipt)

    assert found.first_mismatch is not None
    assert found.first_mismatch.check == "head"


# Tampering with the seal


def test_a_leaf_removed_from_the_seal_shows_its_event_as_extra(service: LedgerService) -> None:
    with service.database.transaction() as sql:
        sql.execute("DELETE FROM seal_leaves WHERE position = ?", (4,))

    found = verify(service.database)

    assert found.first_mismatch is not None
    assert (found.first_mismatch.position, found.first_mismatch.check) == (4, "extra")


def test_an_altered_tree_node_fails_the_root_check_at_the_leaf_that_completed_it(
    service: LedgerService,
) -> None:
    with service.database.transaction() as sql:
        sql.execute("UPDATE seal_nodes SET hash = ? WHERE level = 2 AND idx = 1", (b"\x00" * 32,))

    found = verify(service.database)

    assert found.first_mismatch is not None
    assert (found.first_mismatch.position, found.first_mismatch.check) == (8, "root")


# Could not check


def test_verify_exits_2_when_it_cannot_check(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_verify(f"sqlite:///{tmp_path}/absent.db") == 2
    assert cli_verify("postgresql://postgres@127.0.0.1:1/absent") == 2
    assert cli_verify(f"sqlite:///{tmp_path}/absent.db", "--head", "12:not-hex") == 2
    assert capsys.readouterr().err.count("could not check") == 3


# Values of any type, edited with the store's own driver

# The obvious sqlite3 edit of one byte: `||` makes text of the blob it splices.
TEXT_EDIT = "UPDATE {events} SET state = substr(state,1,20)||X'6d'||substr(state,22)" \
    " WHERE {position} = 3"
# PostgreSQL keeps its column types: state stays bytes (or becomes NULL), topic text.
BYTES_EDIT = "UPDATE {events} SET state = convert_to('x', 'UTF8') WHERE {position} = 3"
DAMAGING = {"sqlite": TEXT_EDIT, "postgresql": BYTES_EDIT}
EDITS: dict[str, dict[str, str]] = {
    "sqlite": {
        "state spliced as text": TEXT_EDIT,
        "state as text, its bytes unchanged": "UPDATE {events} SET state = CAST(state AS TEXT)"
        " WHERE {position} = 3",
        "state as text that is not UTF-8": "UPDATE {events}"
        " SET state = substr(state,1,20)||X'ff'||substr(state,22) WHERE {position} = 3",
        "state as an integer": "UPDATE {events} SET state = 42 WHERE {position} = 3",
        "state NULL": "UPDATE {events} SET state = NULL WHERE {position} = 3",
        "topic as a blob": "UPDATE {events} SET topic = CAST(topic AS BLOB) WHERE {position} = 3",
        "topic as text that is not UTF-8": "UPDATE {events} SET topic = CAST(X'ff' AS TEXT)"
        " WHERE {position} = 3",
        "another topic": "UPDATE {events} SET topic = 'domain.project:Project.DecisionApplied'"
        " WHERE {position} = 3",
        "originator id in capitals": "UPDATE {events} SET originator_id = upper(originator_id)"
        " WHERE {position} = 3",
        "originator id no UUID": "UPDATE {events} SET originator_id = 'not-a-uuid'"
        " WHERE {position} = 3",
        "version as text": "UPDATE {events} SET originator_version = 'one' WHERE {position} = 3",
        "another version": "UPDATE {events} SET originator_version = 99 WHERE {position} = 3",
    },
    "postgresql": {
        "state replaced": BYTES_EDIT,
        "state NULL": "UPDATE {events} SET state = NULL WHERE {position} = 3",
        "topic NULL": "UPDATE {events} SET topic = NULL WHERE {position} = 3",
        "another topic": "UPDATE {events} SET topic = 'domain.project:Project.Nothing'"
        " WHERE {position} = 3",
        "another originator id": "UPDATE {events} SET originator_id = gen_random_uuid()"
        " WHERE {position} = 3",
        "another version": "UPDATE {events} SET originator_version = 99 WHERE {position} = 3",
        "a negative version": "UPDATE {events} SET originator_version = -1"
        " WHERE {position} = 3",
    },
}
STORE_EDITS = [(store, edit) for store, edits in EDITS.items() for edit in edits]
# Values the ledger never writes: the seal takes them as found, if it meets them first.
AS_FOUND = {"state spliced as text", "state as text, its bytes unchanged",
            "state as text that is not UTF-8", "state as an integer", "state NULL",
            "topic as a blob", "topic as text that is not UTF-8", "originator id in capitals",
            "originator id no UUID", "version as text", "topic NULL", "a negative version"}


@pytest.fixture
def damaged(store_url: str) -> Iterator[tuple[str, dict[str, UUID]]]:
    """The board story, sealed, then its event 3 (the case management project's proposal)
    edited with the store's own driver so that it no longer reads: its URL and ids."""
    service = LedgerService(store_env(store_url))
    try:
        ids = board_story(service)
    finally:
        service.close()
    edit_with_driver(store_url, DAMAGING["postgresql" if "postgresql" in store_url else "sqlite"])
    yield store_url, ids


def on_store(request: pytest.FixtureRequest, store: str) -> str:
    return str(request.getfixturevalue("sqlite_url" if store == "sqlite" else "postgres_url"))


def portfolio_ledger(*args: str) -> subprocess.CompletedProcess[str]:
    """The real `portfolio-ledger` command, on this worktree's code."""
    command = Path(sys.executable).with_name("portfolio-ledger")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(command), *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


@pytest.mark.parametrize(("store", "edit"), STORE_EDITS)
def test_an_edit_of_any_stored_value_is_tampering_at_its_position(
    request: pytest.FixtureRequest, store: str, edit: str,
) -> None:
    url = on_store(request, store)
    service = LedgerService(store_env(url))
    try:
        board_story(service)
        receipt = kept_head(service)

        edit_with_driver(url, EDITS[store][edit])
        seal_up(service.database)

        for found in (verify(service.database), verify(service.database, receipt)):
            assert found.first_mismatch is not None
            assert (found.first_mismatch.position, found.first_mismatch.check) == (3, "leaf")
            assert found.events_checked == 2
        log = service.events(limit=100).items
        assert [event.position for event in log] == list(range(1, EVENTS + 1))
    finally:
        service.close()


@pytest.mark.parametrize(("store", "edit"), [pair for pair in STORE_EDITS if pair[1] in AS_FOUND])
def test_an_event_sealed_after_such_an_edit_is_sealed_as_found(
    request: pytest.FixtureRequest, store: str, edit: str,
) -> None:
    url = on_store(request, store)
    service = LedgerService(store_env(url))
    try:
        board_story(service)
        edit_with_driver(url, EDITS[store][edit])

        Projector(service.database, [Seal()]).rebuild()

        assert verify(service.database).ok, "the seal and verify read one leaf of what is stored"
    finally:
        service.close()


def test_the_real_command_names_the_position_of_a_text_typed_edit(
    damaged: tuple[str, dict[str, UUID]],
) -> None:
    url, _ = damaged

    checked = portfolio_ledger("verify", "--db", url)

    assert checked.returncode == 1, checked.stderr
    assert checked.stdout.splitlines() == [
        "TAMPERED at position 3: leaf check failed:"
        " the stored event no longer hashes to its sealed leaf"]
    assert "Traceback" not in checked.stdout + checked.stderr


def test_the_api_verifies_a_damaged_log_as_the_command_does(
    damaged: tuple[str, dict[str, UUID]], capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = damaged
    capsys.readouterr()
    assert cli_verify(url, "--json") == 1
    said = json.loads(capsys.readouterr().out)

    with http_api(url) as api:
        answer = api.get("/v1/audit/verify")

    assert answer.status_code == 200, answer.text
    assert {**said, "head_checked": None} == answer.json()
    assert answer.json()["ok"] is False
    assert answer.json()["first_mismatch"]["position"] == 3


def test_the_history_and_the_log_list_an_unreadable_event_at_its_position(
    damaged: tuple[str, dict[str, UUID]],
) -> None:
    url, ids = damaged

    with http_api(url) as api:
        history = api.get(f"/v1/projects/{ids['cases']}/history")
        log = api.get("/v1/events")
        schema = api.get("/openapi.json").json()["components"]["schemas"]["EventPublic"]

    assert history.status_code == 200, history.text
    assert log.status_code == 200, log.text
    for items in (history.json()["items"], log.json()["items"]):
        unreadable = [item for item in items if item["type"] == "Unreadable"]
        assert [item["position"] for item in unreadable] == [3]
        assert unreadable[0]["originator_id"] == str(ids["cases"])
        assert unreadable[0]["version"] == 1
        assert unreadable[0]["recorded_at"] is None
        assert list(unreadable[0]["data"]) == ["reason"]
        assert "position 3" in unreadable[0]["data"]["reason"]
        assert "portfolio-ledger verify" in unreadable[0]["data"]["reason"]
        assert set(unreadable[0]) == set(items[0])
    assert [item["type"] for item in history.json()["items"]][1:] == [
        "DecisionApplied", "StatusReported"]
    assert "`Unreadable`" in schema["description"]
    assert "reason" in schema["properties"]["data"]["description"]


def test_a_decision_on_a_project_whose_events_no_longer_read_names_the_position(
    damaged: tuple[str, dict[str, UUID]],
) -> None:
    url, ids = damaged

    with http_api(url) as api:
        before = api.get("/v1/audit/head").json()["tree_size"]
        answer = api.post(f"/v1/portfolios/{ids['digital']}/decisions", {
            "project_id": str(ids["cases"]), "kind": "pause", "rationale": "Supplier review"})
        after = api.get("/v1/audit/head").json()["tree_size"]

    assert answer.status_code == 500, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("/event-unreadable")
    assert problem["position"] == 3
    assert "position 3" in problem["detail"] and "portfolio-ledger verify" in problem["detail"]
    assert after == before, "nothing was recorded"


def test_the_bundle_of_a_damaged_log_holds_the_unreadable_event_and_fails_there(
    damaged: tuple[str, dict[str, UUID]], tmp_path: Path,
) -> None:
    url, _ = damaged
    bundle = tmp_path / "bundle.ndjson"

    assert main(["export", "--db", url, "--out", str(bundle)]) == 0
    lines = [json.loads(line) for line in bundle.read_text().splitlines()]
    found = check_bundle(bundle)

    assert [line["type"] for line in lines if line.get("position") == 3] == ["Unreadable"]
    assert found.first_mismatch is not None
    assert found.first_mismatch["position"] == 3


def test_verify_says_in_one_line_that_it_could_not_check_a_store_it_cannot_reach_or_read(
    tmp_path: Path,
) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4096)

    for url in ("postgresql://postgres@127.0.0.1:1/absent", f"sqlite:///{garbage}"):
        checked = portfolio_ledger("verify", "--db", url)

        assert checked.returncode == 2, checked.stderr
        assert checked.stdout == ""
        assert len(checked.stderr.splitlines()) == 1
        assert checked.stderr.startswith("portfolio-ledger: error: could not check:")
