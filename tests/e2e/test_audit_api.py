"""The auditor's endpoints over HTTP: heads, keys, proofs that verify, verification, the bundle."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from e2e_support import Api, serving

from api.auth.tokens import Role
from api.settings import Settings
from projections.audit import merkle
from projections.audit.heads import public_key_from_text, signature_valid
from projections.audit.offline import check_bundle

PROBLEM = "application/problem+json"
AUDIT_READS = ("/v1/events", "/v1/audit/head", "/v1/audit/verify",
               "/v1/audit/proofs/inclusion?position=1", "/v1/audit/proofs/consistency?first=1",
               "/v1/audit/export")


def a_little_history(api: Api) -> dict[str, Any]:
    """A portfolio with two projects, one funded and reporting, one paused: 10 events."""
    portfolio = api.portfolio()
    first = api.project(portfolio["id"], code="A")
    second = api.project(portfolio["id"], code="B")
    api.fund(first)
    api.fund(second)
    assert api.report(first["id"]).status_code == 201
    assert api.decide(second, "pause").status_code == 201
    return portfolio


def head(api: Api) -> dict[str, Any]:
    response = api.get("/v1/audit/head", Role.AUDITOR)
    assert response.status_code == 200, response.text
    return dict(response.json())


def new_seed() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return base64.b64encode(raw).decode()


# Who may ask


@pytest.mark.parametrize("path", AUDIT_READS)
def test_audit_reads_are_for_auditors_and_admins_only(api: Api, path: str) -> None:
    a_little_history(api)

    assert api.get(path, None).status_code == 401
    for role in (Role.VIEWER, Role.MANAGER, Role.BOARD):
        answer = api.get(path, role)
        assert answer.status_code == 403
        assert answer.headers["content-type"] == PROBLEM
    assert api.get(path, Role.AUDITOR).status_code == 200
    assert api.get(path, Role.ADMIN).status_code == 200


# Heads and keys


def test_the_head_covers_the_whole_log_and_grows_with_every_write(api: Api) -> None:
    portfolio = a_little_history(api)
    before = head(api)

    api.project(portfolio["id"], code="C")

    after = head(api)
    assert before["tree_size"] == 10
    assert after["tree_size"] == api.events() == 11
    assert after["root_hash"] != before["root_hash"]
    assert "signature" not in after
    assert api.get("/v1/audit/key", Role.AUDITOR).status_code == 404


def test_a_signed_head_verifies_with_the_published_key_and_fails_with_another(
    sqlite_url: str,
) -> None:
    with serving(sqlite_url, settings=Settings(db=sqlite_url, signing_key=new_seed())) as api:
        a_little_history(api)
        signed = head(api)
        published = api.get("/v1/audit/key", Role.AUDITOR).json()

    assert published["algorithm"] == "Ed25519"
    assert signature_valid(signed, public_key_from_text(published["public_key"]))
    assert signature_valid(signed, public_key_from_text(published["public_key_pem"]))
    other = Ed25519PrivateKey.generate().public_key()
    assert not signature_valid(signed, other)
    assert not signature_valid({**signed, "tree_size": signed["tree_size"] - 1},
                               public_key_from_text(published["public_key"]))


def test_a_key_file_signs_heads_too(sqlite_url: str, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = tmp_path / "head.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    with serving(sqlite_url, settings=Settings(db=sqlite_url, signing_key_file=pem)) as api:
        a_little_history(api)
        signed = head(api)

    assert signature_valid(signed, key.public_key())


# Proofs


def test_every_events_inclusion_proof_verifies_against_the_head_and_is_logarithmic(
    api_on_store: Api,
) -> None:
    api = api_on_store
    a_little_history(api)
    current = head(api)
    size, root = current["tree_size"], bytes.fromhex(current["root_hash"])

    for position in range(1, size + 1):
        proof = api.get("/v1/audit/proofs/inclusion", Role.AUDITOR, position=position).json()
        path = [bytes.fromhex(node) for node in proof["path"]]
        assert proof["tree_size"] == size and proof["root_hash"] == current["root_hash"]
        assert len(path) <= math.ceil(math.log2(size))
        assert merkle.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["index"], size,
                                       path, root)
        assert not merkle.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["index"],
                                           size, path, bytes(32))


def test_an_inclusion_proof_in_an_older_tree_verifies_against_that_trees_head(api: Api) -> None:
    portfolio = a_little_history(api)
    older = head(api)
    api.project(portfolio["id"], code="C")

    proof = api.get("/v1/audit/proofs/inclusion", Role.AUDITOR, position=3,
                    tree_size=older["tree_size"]).json()

    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]), proof["index"], older["tree_size"],
        [bytes.fromhex(node) for node in proof["path"]], bytes.fromhex(older["root_hash"]))


def test_a_consistency_proof_shows_the_later_head_extends_the_earlier(api_on_store: Api) -> None:
    api = api_on_store
    portfolio = a_little_history(api)
    earlier = head(api)
    for code in ("C", "D", "E"):
        api.project(portfolio["id"], code=code)
    later = head(api)

    proof = api.get("/v1/audit/proofs/consistency", Role.AUDITOR, first=earlier["tree_size"],
                    second=later["tree_size"]).json()
    path = [bytes.fromhex(node) for node in proof["path"]]

    assert (proof["first_root"], proof["second_root"]) == (earlier["root_hash"],
                                                           later["root_hash"])
    assert merkle.verify_consistency(earlier["tree_size"], later["tree_size"],
                                     bytes.fromhex(earlier["root_hash"]),
                                     bytes.fromhex(later["root_hash"]), path)
    assert not merkle.verify_consistency(earlier["tree_size"], later["tree_size"], bytes(32),
                                         bytes.fromhex(later["root_hash"]), path)


@pytest.mark.parametrize(("path", "params", "status", "field"), [
    ("/v1/audit/proofs/inclusion", {"position": 99}, 404, None),
    ("/v1/audit/proofs/inclusion", {"position": 2, "tree_size": 99}, 422, "query.tree_size"),
    ("/v1/audit/proofs/inclusion", {"position": 5, "tree_size": 3}, 422, "query.tree_size"),
    ("/v1/audit/proofs/inclusion", {}, 422, "query.position"),
    ("/v1/audit/proofs/consistency", {"first": 5, "second": 3}, 422, "query.first"),
    ("/v1/audit/proofs/consistency", {"first": 1, "second": 99}, 422, "query.second"),
    ("/v1/audit/verify", {"head": "9:zz"}, 422, "query.head"),
])
def test_a_proof_that_cannot_exist_is_a_problem(
    api: Api, path: str, params: dict[str, Any], status: int, field: str | None,
) -> None:
    a_little_history(api)

    answer = api.get(path, Role.AUDITOR, **params)

    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM
    if field:
        assert field in [error["field"] for error in answer.json()["errors"]]


# Verification


def test_verify_is_ok_on_an_intact_log_and_checks_a_kept_head(api: Api) -> None:
    portfolio = a_little_history(api)
    kept = head(api)
    api.project(portfolio["id"], code="C")

    plain = api.get("/v1/audit/verify", Role.AUDITOR).json()
    against = api.get("/v1/audit/verify", Role.AUDITOR,
                      head=f"{kept['tree_size']}:{kept['root_hash']}").json()
    forged = api.get("/v1/audit/verify", Role.AUDITOR,
                     head=f"{kept['tree_size']}:{'00' * 32}").json()

    assert plain == {"ok": True, "events_checked": 11, "first_mismatch": None,
                     "head": {k: head(api)[k] for k in ("tree_size", "root_hash")},
                     "head_checked": None}
    assert against["ok"] is True
    assert forged["ok"] is False
    assert forged["first_mismatch"]["check"] == "head"


def test_verify_names_the_position_of_a_changed_event(api_on_store: Api) -> None:
    api = api_on_store
    a_little_history(api)
    database = api.service.database
    column = "notification_id" if database.dialect == "postgresql" else "rowid"
    with database.transaction() as sql:
        sql.execute(f"UPDATE {database.events_table} SET state = ? WHERE {column} = ?",
                    (b'{"tampered": true}', 4))

    found = api.get("/v1/audit/verify", Role.AUDITOR).json()

    assert found["ok"] is False
    assert found["events_checked"] == 3
    assert (found["first_mismatch"]["position"], found["first_mismatch"]["check"]) == (4, "leaf")


# The bundle and the log


def test_the_exported_bundle_streams_as_ndjson_and_verifies_offline(
    api: Api, tmp_path: Path,
) -> None:
    portfolio = a_little_history(api)
    api.portfolio(name="Another")

    full = api.get("/v1/audit/export", Role.AUDITOR)
    subset = api.get("/v1/audit/export", Role.AUDITOR, portfolio_id=portfolio["id"])

    assert full.headers["content-type"].startswith("application/x-ndjson")
    (tmp_path / "full.ndjson").write_bytes(full.content)
    (tmp_path / "subset.ndjson").write_bytes(subset.content)
    assert check_bundle(tmp_path / "full.ndjson").events_checked == 11
    checked = check_bundle(tmp_path / "subset.ndjson")
    assert checked.ok and checked.events_checked == 10
    assert checked.manifest is not None and checked.manifest["subset"] is True


def test_the_bundle_on_a_business_date_keeps_what_was_in_force_by_then(
    api: Api, tmp_path: Path,
) -> None:
    a_little_history(api)
    dated = api.portfolio(name="Dated", created_on="2020-01-15")

    early = api.get("/v1/audit/export", Role.AUDITOR, effective_on="2020-01-31")
    invalid = api.get("/v1/audit/export", Role.AUDITOR, effective_on="2020-01-32")

    (tmp_path / "early.ndjson").write_bytes(early.content)
    checked = check_bundle(tmp_path / "early.ndjson")
    assert checked.ok and checked.events_checked == 1
    assert checked.manifest is not None
    assert checked.manifest["filters"]["effective_on"] == "2020-01-31"
    assert json.loads(early.text.splitlines()[0])["originator_id"] == dated["id"]
    assert invalid.status_code == 422


def test_exporting_an_unknown_portfolio_is_404(api: Api) -> None:
    a_little_history(api)

    answer = api.get("/v1/audit/export", Role.AUDITOR,
                     portfolio_id="00000000-0000-0000-0000-000000000000")

    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM


def test_the_event_log_pages_through_every_event_in_order(api: Api) -> None:
    a_little_history(api)
    seen: list[dict[str, Any]] = []
    after = 0
    while True:
        page = api.get("/v1/events", Role.AUDITOR, after=after, limit=4).json()
        seen.extend(page["items"])
        if page["next_cursor"] is None:
            break
        after = int(page["next_cursor"])

    assert [event["position"] for event in seen] == list(range(1, 11))
    assert seen[0]["type"] == "PortfolioCreated"
    assert seen[0]["actor"] == "admin"
    assert set(seen[0]) == {"position", "originator_id", "version", "type", "recorded_at",
                            "actor", "data"}
