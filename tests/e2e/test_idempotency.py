"""Idempotency-Key: a retry answers with the first response and records nothing new."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from e2e_support import Api, serving

from api.auth.tokens import Role
from projections.store.idempotency import IdempotencyStore, KeyInFlight


def test_a_retried_decision_returns_the_first_response_and_records_once(api: Api) -> None:
    project = api.project(api.portfolio()["id"])
    body = {"project_id": project["id"], "kind": "fund", "amount": "10", "rationale": "go"}
    path = f"/v1/portfolios/{project['portfolio_id']}/decisions"

    first = api.post(path, body, Role.BOARD, Idempotency_Key="fund-cm-1")
    recorded = api.events()
    retry = api.post(path, body, Role.BOARD, Idempotency_Key="fund-cm-1")

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert api.events() == recorded
    assert len(api.get("/v1/decisions").json()["items"]) == 1


def test_a_retry_may_differ_in_key_order_and_spacing(api: Api) -> None:
    first = api.post_raw("/v1/portfolios", '{"name": "P", "budget": 10}', Idempotency_Key="k")
    retry = api.post_raw("/v1/portfolios", '{ "budget": 10,  "name": "P" }', Idempotency_Key="k")

    assert retry.content == first.content
    assert api.events() == 1


def test_a_key_reused_for_a_different_body_is_a_409_and_records_nothing(api: Api) -> None:
    api.post("/v1/portfolios", {"name": "P", "budget": "10"}, Idempotency_Key="k")

    reused = api.post("/v1/portfolios", {"name": "P", "budget": "11"}, Idempotency_Key="k")
    other_path = api.post(f"/v1/portfolios/{api.portfolio()['id']}/decisions", {},
                          Idempotency_Key="k")

    assert reused.status_code == 409
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert other_path.status_code == 409
    assert api.events() == 2


def test_keys_belong_to_their_principal(api: Api) -> None:
    body = {"name": "P", "budget": "10"}

    board = api.post("/v1/portfolios", body, Role.BOARD, Idempotency_Key="k")
    admin = api.post("/v1/portfolios", body, Role.ADMIN, Idempotency_Key="k")

    assert board.json()["id"] != admin.json()["id"]
    assert api.events() == 2


def test_a_refused_request_frees_its_key_for_the_corrected_retry(api: Api) -> None:
    refused = api.post("/v1/portfolios", {"name": "P", "budget": "-1"}, Idempotency_Key="k")
    forbidden = api.post("/v1/portfolios", {"name": "P", "budget": "1"}, Role.VIEWER,
                         Idempotency_Key="k")
    corrected = api.post("/v1/portfolios", {"name": "P", "budget": "1"}, Idempotency_Key="k")

    assert (refused.status_code, forbidden.status_code, corrected.status_code) == (422, 403, 201)
    assert api.events() == 1


def test_a_malformed_key_is_a_422(api: Api) -> None:
    response = api.post("/v1/portfolios", {"name": "P", "budget": "1"},
                        Idempotency_Key="x" * 256)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert api.events() == 0


def test_a_stored_response_is_replayed_after_a_restart(sqlite_url: str) -> None:
    body = {"name": "Survives", "budget": "10"}
    with serving(sqlite_url) as first_run:
        first = first_run.post("/v1/portfolios", body, Idempotency_Key="restart-1")
        secrets = first_run.secrets

    with serving(sqlite_url, secrets) as second_run:
        retry = second_run.post("/v1/portfolios", body, Idempotency_Key="restart-1")
        assert second_run.events() == 1

    assert retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["Location"] == first.headers["Location"]


def test_simultaneous_requests_with_one_key_record_once(api_on_store: Api) -> None:
    api = api_on_store
    project = api.project(api.portfolio()["id"])
    body = {"project_id": project["id"], "kind": "fund", "amount": "10", "rationale": "go"}
    path = f"/v1/portfolios/{project['portfolio_id']}/decisions"
    before = api.events()

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(
            lambda _: api.post(path, body, Role.BOARD, Idempotency_Key="race"), range(6)))

    created = [a for a in answers if a.status_code == 201]
    assert {a.content for a in created} == {created[0].content}
    assert all(a.status_code == 201 or a.json()["type"].endswith("/idempotency-key-in-flight")
               for a in answers)
    assert api.events() == before + 2  # one decision: the portfolio's event and the project's


def test_a_key_held_by_a_request_in_flight_cannot_be_taken(api: Api) -> None:
    store: IdempotencyStore = api.app.state.idempotency

    assert store.reserve("board", "held", "same-request") is None
    with pytest.raises(KeyInFlight):
        store.reserve("board", "held", "same-request")
    store.release("board", "held")
    assert store.reserve("board", "held", "same-request") is None


def test_a_reservation_abandoned_by_a_dead_process_is_taken_over(api: Api) -> None:
    store: IdempotencyStore = api.app.state.idempotency
    store.reserve("board", "orphan", "same-request")
    with api.service.database.transaction() as sql:
        sql.execute("UPDATE api_idempotency SET reserved_at = ? WHERE idempotency_key = ?",
                    ("2001-01-01T00:00:00.000000Z", "orphan"))

    assert store.reserve("board", "orphan", "same-request") is None
    with pytest.raises(KeyInFlight):
        store.reserve("board", "orphan", "same-request")
