"""The audit bundle and proofs offline: export, check with no database, and catch any change."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from audit_support import BOARD, MANAGER, board_story, kept_head
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.auth.signing import private_key
from api.cli import main
from api.settings import store_env
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind
from projections.audit.heads import HeadSigner
from projections.audit.merkle import leaf_hash
from projections.audit.offline import check_bundle
from projections.audit.seal import leaf_input
from projections.service import LedgerService

Lines = list[dict[str, Any]]


@pytest.fixture
def story(store_url: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A store holding the board story: its URL and the ids in it."""
    service = LedgerService(store_env(store_url))
    try:
        ids = board_story(service)
    finally:
        service.close()
    yield store_url, ids


@pytest.fixture
def sqlite_story(sqlite_url: str) -> tuple[str, dict[str, Any]]:
    service = LedgerService(store_env(sqlite_url))
    try:
        return sqlite_url, board_story(service)
    finally:
        service.close()


def seed() -> str:
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())).decode()


def public_of(seed_text: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_text)).public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def export(url: str, out: Path, *scope: str) -> Lines:
    assert main(["export", "--db", url, "--out", str(out), *scope]) == 0
    return read(out)


def read(path: Path) -> Lines:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, lines: Lines) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def head_of(url: str) -> dict[str, Any]:
    service = LedgerService(store_env(url))
    try:
        return service.tree_head().public()
    finally:
        service.close()


# Round trip


def test_an_exported_bundle_verifies_offline_and_its_manifest_is_the_ledgers_head(
    story: tuple[str, dict[str, Any]], tmp_path: Path,
) -> None:
    url, _ = story
    lines = export(url, tmp_path / "bundle.ndjson")
    manifest = lines[-1]["manifest"]
    head = head_of(url)

    assert [e["position"] for e in lines[:-1]] == list(range(1, 17))
    assert (manifest["count"], manifest["tree_size"], manifest["root_hash"]) == (
        16, head["tree_size"], head["root_hash"])
    assert manifest["subset"] is False
    assert lines[0]["type"] == "PortfolioCreated"
    assert lines[0]["data"]["name"] == "Digital services"
    assert main(["verify", "--bundle", str(tmp_path / "bundle.ndjson")]) == 0


def test_a_bundle_verifies_against_a_head_it_extends_and_fails_against_another(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path,
) -> None:
    url, _ = sqlite_story
    service = LedgerService(store_env(url))
    try:
        early = kept_head(service)
        board_story(service)
    finally:
        service.close()
    bundle = tmp_path / "bundle.ndjson"
    export(url, bundle)
    forged = f"{early.tree_size}:{'00' * 32}"

    assert main(["verify", "--bundle", str(bundle), "--head", early.receipt]) == 0
    assert main(["verify", "--bundle", str(bundle), "--head", forged]) == 1
    assert main(["verify", "--bundle", str(bundle), "--head", f"999:{'00' * 32}"]) == 1


# Any change is found


def set_actor(lines: Lines) -> None:
    lines[4]["actor"] = "board:someone-else"


def set_data(lines: Lines) -> None:
    lines[5]["data"]["amount"] = "1500000.00"


def set_state(lines: Lines) -> None:
    state = base64.b64decode(lines[5]["state"]).replace(b"150000.00", b"950000.00")
    lines[5]["state"] = base64.b64encode(state).decode()


def drop_line(lines: Lines) -> None:
    del lines[3]


def reorder(lines: Lines) -> None:
    lines[2], lines[3] = lines[3], lines[2]


def set_root(lines: Lines) -> None:
    lines[-1]["manifest"]["root_hash"] = "ab" * 32


def set_count(lines: Lines) -> None:
    lines[-1]["manifest"]["count"] = 15


def drop_manifest(lines: Lines) -> None:
    del lines[-1]


ALTERATIONS: dict[str, tuple[Callable[[Lines], None], str]] = {
    "actor": (set_actor, "data"),
    "decoded data": (set_data, "data"),
    "stored bytes": (set_state, "leaf"),
    "a line dropped": (drop_line, "order"),
    "two lines swapped": (reorder, "order"),
    "manifest root": (set_root, "root"),
    "manifest count": (set_count, "count"),
    "manifest dropped": (drop_manifest, "manifest"),
}


@pytest.mark.parametrize("alteration", list(ALTERATIONS))
def test_any_change_to_a_bundle_fails_its_check_and_names_the_check(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path, alteration: str,
) -> None:
    url, _ = sqlite_story
    lines = export(url, tmp_path / "bundle.ndjson")
    alter, check = ALTERATIONS[alteration]
    alter(lines)
    altered = write(tmp_path / "altered.ndjson", lines)

    found = check_bundle(altered)

    assert not found.ok
    assert found.first_mismatch is not None
    assert found.first_mismatch["check"] == check
    assert main(["verify", "--bundle", str(altered)]) == 1


def test_a_changed_event_with_a_recomputed_leaf_still_fails_the_root(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path,
) -> None:
    url, _ = sqlite_story
    lines = export(url, tmp_path / "bundle.ndjson")
    stored = base64.b64decode(lines[5]["state"])
    forged = stored.replace(b"150000.00", b"950000.00")
    lines[5]["state"] = base64.b64encode(forged).decode()
    lines[5]["data"]["amount"] = "950000.00"
    # The forger recomputes the leaf hash too.
    lines[5]["leaf_hash"] = leaf_hash(leaf_input(
        lines[5]["position"], UUID(lines[5]["originator_id"]), lines[5]["version"],
        lines[5]["topic"], forged)).hex()

    found = check_bundle(write(tmp_path / "altered.ndjson", lines))

    assert found.first_mismatch is not None
    assert found.first_mismatch["check"] == "root"


def test_a_bundle_that_cannot_be_read_exits_2(tmp_path: Path) -> None:
    assert main(["verify", "--bundle", str(tmp_path / "absent.ndjson")]) == 2
    (tmp_path / "empty.ndjson").write_text("")
    assert main(["verify", "--bundle", str(tmp_path / "empty.ndjson")]) == 2


# Subsets carry inclusion proofs


def test_a_portfolios_bundle_holds_its_events_with_proofs_that_verify_offline(
    story: tuple[str, dict[str, Any]], tmp_path: Path,
) -> None:
    url, ids = story
    lines = export(url, tmp_path / "estates.ndjson", "--portfolio", str(ids["estates"]))
    events, manifest = lines[:-1], lines[-1]["manifest"]

    assert {e["originator_id"] for e in events} == {str(ids["estates"]), str(ids["depot"])}
    assert len(events) == manifest["count"] == 6
    assert manifest["subset"] is True
    assert manifest["tree_size"] == 16
    assert all(e["proof"] for e in events)
    assert main(["verify", "--bundle", str(tmp_path / "estates.ndjson")]) == 0


def test_a_bundle_effective_on_a_date_holds_the_facts_in_force_by_then_with_proofs(
    store_url: str, tmp_path: Path,
) -> None:
    """History recorded today about last year: the bundle on a business date keeps each fact
    dated on or before it (both halves of a decision), whenever it was recorded."""
    service = LedgerService(store_env(store_url))
    try:
        estates = service.create_portfolio(actor=BOARD, name="Estates", budget=Decimal("500000"),
                                           created_on=date(2025, 1, 10)).id
        depot = service.propose_project(actor=MANAGER, portfolio_id=estates, name="Depot",
                                        requested_budget=Decimal("90000"),
                                        proposed_on=date(2025, 2, 1)).id
        service.decide(estates, depot, DecisionKind.FUND, actor=BOARD, amount=Decimal("90000"),
                       rationale="Approved", decided_on=date(2025, 3, 1))
        service.report_status(depot, StatusReport(
            period_end=date(2025, 4, 30), schedule=Rating.GREEN, cost=Rating.GREEN,
            scope=Rating.GREEN), actor=MANAGER)
        service.decide(estates, depot, DecisionKind.PAUSE, actor=BOARD, rationale="Review",
                       decided_on=date(2025, 6, 1))
    finally:
        service.close()

    lines = export(store_url, tmp_path / "march.ndjson", "--effective-on", "2025-03-31")
    events, manifest = lines[:-1], lines[-1]["manifest"]

    assert [e["type"] for e in events] == [
        "PortfolioCreated", "ProjectProposed", "ProjectFunded", "DecisionApplied"]
    assert manifest["subset"] is True
    assert manifest["filters"]["effective_on"] == "2025-03-31"
    assert manifest["tree_size"] == 7
    assert main(["verify", "--bundle", str(tmp_path / "march.ndjson")]) == 0
    assert len(export(store_url, tmp_path / "all.ndjson", "--effective-on", "2025-06-01")) == 8
    assert main(["export", "--db", store_url, "--out", str(tmp_path / "bad.ndjson"),
                 "--effective-on", "2025-02-30"]) == 2


def test_a_subset_event_with_a_broken_proof_fails(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path,
) -> None:
    url, ids = sqlite_story
    lines = export(url, tmp_path / "digital.ndjson", "--portfolio", str(ids["digital"]))
    lines[2]["proof"][0] = "00" * 32

    found = check_bundle(write(tmp_path / "altered.ndjson", lines))

    assert found.first_mismatch is not None
    assert (found.first_mismatch["check"], found.first_mismatch["line"]) == ("inclusion", 3)


def test_a_bundle_bounded_in_time_holds_only_events_recorded_within(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path,
) -> None:
    url, _ = sqlite_story
    everything = export(url, tmp_path / "all.ndjson")
    since = everything[10]["recorded_at"]

    lines = export(url, tmp_path / "late.ndjson", "--since", since.replace("Z", "+00:00"))

    assert [e["position"] for e in lines[:-1]] == [e["position"] for e in everything[10:-1]]
    assert main(["verify", "--bundle", str(tmp_path / "late.ndjson")]) == 0


@pytest.mark.parametrize("verb", [
    ["export", "--out", "{out}"],
    ["report", "decisions", "--out", "{out}"],
], ids=["export", "report"])
@pytest.mark.parametrize(("option", "value"), [
    ("--since", "2026-13-01"),
    ("--since", "yesterday"),
    ("--until", "2026-03-31T17:00:00"),
    ("--until", "2026-03-31 17:00:00+00:00"),
    ("--since", "20260331"),
    ("--until", "\uff12\uff10\uff12\uff16-03-31"),
], ids=["no-such-month", "a-word", "no-zone", "a-space-for-t", "basic-format", "full-width"])
def test_a_bad_since_or_until_is_one_line_and_exit_2_and_nothing_is_written(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], verb: list[str], option: str, value: str,
) -> None:
    url, _ = sqlite_story
    out = tmp_path / "out.txt"
    before = head_of(url)
    capsys.readouterr()

    code = main([*(part.format(out=out) for part in verb), "--db", url, option, value])

    said = capsys.readouterr()
    assert code == 2
    assert said.out == ""
    assert said.err.count("\n") == 1 and said.err.startswith(f"portfolio-ledger: error: {option}")
    assert not out.exists()
    assert head_of(url)["tree_size"] == before["tree_size"], "nothing recorded or sealed"


def test_since_and_until_dates_bound_whole_days_in_utc(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path,
) -> None:
    url, _ = sqlite_story
    everything = export(url, tmp_path / "all.ndjson")
    day = everything[0]["recorded_at"][:10]

    lines = export(url, tmp_path / "day.ndjson", "--since", day, "--until", day)

    assert lines[-1]["manifest"]["filters"]["since"] == f"{day}T00:00:00.000000Z"
    assert lines[-1]["manifest"]["filters"]["until"] == f"{day}T23:59:59.999999Z"
    assert [e["position"] for e in lines[:-1]] == [
        e["position"] for e in everything[:-1] if e["recorded_at"].startswith(day)]


# Signed heads


def test_a_signed_bundle_verifies_with_the_ledgers_key_and_fails_with_another(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _ = sqlite_story
    ours = seed()
    monkeypatch.setenv("PORTFOLIO_LEDGER_SIGNING_KEY", ours)
    bundle = tmp_path / "signed.ndjson"
    manifest = export(url, bundle)[-1]["manifest"]

    assert manifest["public_key"] == public_of(ours)
    assert main(["verify", "--bundle", str(bundle), "--key", public_of(ours)]) == 0
    assert main(["verify", "--bundle", str(bundle), "--key", public_of(seed())]) == 1
    lines = read(bundle)
    lines[-1]["manifest"]["timestamp"] = "2020-01-01T00:00:00.000000Z"
    assert main(["verify", "--bundle", str(write(tmp_path / "x.ndjson", lines))]) == 1


def test_a_key_insists_on_a_signature(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path,
) -> None:
    url, _ = sqlite_story
    bundle = tmp_path / "unsigned.ndjson"
    export(url, bundle)

    assert main(["verify", "--bundle", str(bundle), "--key", public_of(seed())]) == 1


def test_keys_generate_writes_a_key_that_signs_heads(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "head-signing.pem"

    assert main(["keys", "generate", "--out", str(key_file)]) == 0
    assert key_file.stat().st_mode & 0o077 == 0
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    first = key_file.read_text()
    assert main(["keys", "generate", "--out", str(key_file)]) == 2, "never overwrites a key"
    printed = capsys.readouterr()
    assert "public key (Ed25519, base64)" in printed.out
    assert "exists: not overwriting a key (--force replaces it)" in printed.err
    assert key_file.read_text() == first

    assert main(["keys", "generate", "--out", str(key_file), "--force"]) == 0
    assert key_file.read_text() != first
    assert key_file.stat().st_mode & 0o077 == 0
    assert private_key(key_file.read_text(), str(key_file)) is not None
    assert list(tmp_path.iterdir()) == [key_file]


# Proofs offline


def test_verify_proof_checks_inclusion_and_consistency_against_a_kept_head(
    story: tuple[str, dict[str, Any]], tmp_path: Path,
) -> None:
    url, _ = story
    service = LedgerService(store_env(url))
    try:
        early = kept_head(service)
        board_story(service)
        later = kept_head(service)
        inclusion = service.inclusion(7).public()
        consistency = service.consistency(early.tree_size).public()
    finally:
        service.close()
    proof = tmp_path / "inclusion.json"
    proof.write_text(json.dumps(inclusion))
    growth = tmp_path / "consistency.json"
    growth.write_text(json.dumps(consistency))

    assert main(["verify-proof", str(proof), "--head", later.receipt]) == 0
    assert main(["verify-proof", str(proof), "--head", early.receipt]) == 1
    assert main(["verify-proof", str(growth), "--head", early.receipt]) == 0
    assert main(["verify-proof", str(growth), "--head", f"{early.tree_size}:{'00' * 32}"]) == 1


def test_verify_proof_uses_a_signed_head_in_the_document_only_with_the_right_key(
    tmp_path: Path, sqlite_story: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _ = sqlite_story
    ours = seed()
    monkeypatch.setenv("PORTFOLIO_LEDGER_SIGNING_KEY", ours)
    service = LedgerService(store_env(url))
    try:
        signer = HeadSigner(private_key(ours, "test"))
        document = {"proof": service.inclusion(3).public(),
                    "head": service.tree_head(signer).public()}
    finally:
        service.close()
    proof = tmp_path / "proof.json"
    proof.write_text(json.dumps(document))

    assert main(["verify-proof", str(proof), "--key", public_of(ours)]) == 0
    assert main(["verify-proof", str(proof), "--key", public_of(seed())]) == 1


def test_verify_proof_exits_2_when_it_cannot_check(tmp_path: Path) -> None:
    no_head = tmp_path / "no-head.json"
    no_head.write_text(json.dumps({"type": "inclusion", "index": 0, "tree_size": 1,
                                   "leaf_hash": "00" * 32, "path": []}))
    malformed = tmp_path / "malformed.json"
    malformed.write_text("{not json")

    assert main(["verify-proof", str(no_head)]) == 2
    assert main(["verify-proof", str(malformed), "--head", f"1:{'00' * 32}"]) == 2
    assert main(["verify-proof", str(tmp_path / "absent.json"), "--head", f"1:{'00' * 32}"]) == 2


# The decisions review


@pytest.mark.parametrize("fmt", ["md", "csv", "html"])
def test_the_decisions_review_names_who_when_what_why_evidence_and_the_sealing_head(
    sqlite_story: tuple[str, dict[str, Any]], tmp_path: Path, fmt: str,
) -> None:
    url, ids = sqlite_story
    out = tmp_path / f"review.{fmt}"

    assert main(["report", "decisions", "--db", url, "--portfolio", str(ids["digital"]),
                 "--format", fmt, "--out", str(out)]) == 0

    text = out.read_text()
    head = head_of(url)
    assert head["root_hash"] in text
    assert "Business case approved" in text and "Phase one only" in text
    assert "Superseded by the regional plan" not in text, "another portfolio's decision"
    assert "board:chair" in text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [json.loads(r["evidence"])["project_version"] for r in rows] == [1, 1, 2]
        assert rows[0]["leaf_hash"] and rows[0]["head_root_hash"] == head["root_hash"]
    else:
        assert "project version 1" in text
    if fmt == "html":
        assert "Supplier &lt;dispute&gt;" in text and "<dispute>" not in text
        assert "http" not in text.replace("<!DOCTYPE html>", ""), "self-contained"
