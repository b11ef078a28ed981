"""Instants and positions beyond what the ledger can hold are a 422 naming the field."""

from __future__ import annotations

import pytest
from e2e_support import Api

EDGE_INSTANTS = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"]


@pytest.mark.parametrize("instant", EDGE_INSTANTS)
def test_an_as_of_outside_the_range_of_instants_is_a_422(api: Api, instant: str) -> None:
    portfolio = api.portfolio()
    for path in ("/v1/portfolios", f"/v1/portfolios/{portfolio['id']}/composition"):
        answer = api.get(path, as_of=instant)
        assert answer.status_code == 422, answer.text
        assert [error["field"] for error in answer.json()["errors"]] == ["query.as_of"]


@pytest.mark.parametrize("instant", EDGE_INSTANTS)
def test_a_decision_log_bound_outside_the_range_of_instants_is_a_422(
    api: Api, instant: str
) -> None:
    answer = api.get("/v1/decisions", since=instant)
    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == ["query.since"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/events", {"after": "99999999999999999999"}, "query.after"),
        ("/v1/audit/proofs/inclusion", {"position": "99999999999999999999"}, "query.position"),
        ("/v1/audit/proofs/consistency", {"first": "99999999999999999999"}, "query.first"),
    ],
)
def test_a_position_no_store_can_hold_is_a_422(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    answer = api.get(path, **params)
    assert answer.status_code == 422, answer.text
    assert field in [error["field"] for error in answer.json()["errors"]]
