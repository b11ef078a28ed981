"""Portfolios over HTTP: opening them, listing them, reading one and its composition."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from e2e_support import Api

from api.auth.tokens import Role

PROBLEM = "application/problem+json"


def fields(response: object) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]  # type: ignore[attr-defined]


# POST /v1/portfolios


def test_opening_a_portfolio_returns_it_with_its_location_and_budget_as_decimal_strings(
    api: Api,
) -> None:
    response = api.post("/v1/portfolios", {
        "name": "Digital services", "budget": "1250000", "currency": "eur",
        "reporting_cadence_days": 30,
        "objectives": [{"key": "cx", "title": "Better service", "weight": 2}],
    }, Role.BOARD)

    assert response.status_code == 201
    created = response.json()
    assert response.headers["Location"] == f"/v1/portfolios/{created['id']}"
    assert created["budget"] == "1250000.00"
    assert created["available"] == "1250000.00"
    assert created["allocated"] == "0.00"
    assert created["currency"] == "EUR"
    assert created["reporting_cadence_days"] == 30
    assert created["objectives"] == [{"key": "cx", "title": "Better service", "weight": "2"}]
    assert created["created_by"] == "board"
    assert created["version"] == 1
    assert created["position"] == api.events()
    assert created["created_at"].endswith("Z") and created["as_of"].endswith("Z")


def test_a_json_number_budget_stays_exact_to_the_cent(api: Api) -> None:
    exact = api.post_raw("/v1/portfolios", '{"name": "Exact", "budget": 1250000.10}')
    beyond_a_float = api.post_raw("/v1/portfolios",
                                  '{"name": "Huge", "budget": 999999999999999.99}')

    assert exact.json()["budget"] == "1250000.10"
    assert beyond_a_float.status_code == 201
    assert beyond_a_float.json()["budget"] == "999999999999999.99"


def test_invalid_portfolio_terms_are_a_422_naming_each_field(api: Api) -> None:
    missing = api.post("/v1/portfolios", {"budget": "10"})
    negative = api.post("/v1/portfolios", {"name": "Neg", "budget": "-5"})
    not_money = api.post("/v1/portfolios", {"name": "Text", "budget": "lots"})
    too_precise = api.post_raw("/v1/portfolios", '{"name": "Mills", "budget": 10.005}')
    bad_currency = api.post("/v1/portfolios", {"name": "Cur", "budget": "1", "currency": "DOLLAR"})
    bad_objective = api.post("/v1/portfolios", {"name": "Obj", "budget": "1", "objectives": [
        {"key": "a", "title": "A"}, {"key": "a", "title": "Again"}]})

    assert missing.status_code == 422
    assert missing.headers["content-type"] == PROBLEM
    assert fields(missing) == ["body.name"]
    assert fields(negative) == ["body.budget"]
    assert fields(not_money) == ["body.budget"]
    assert fields(too_precise) == ["body.budget"]
    assert fields(bad_currency) == ["body.currency"]
    assert fields(bad_objective) == ["body.objectives.1.key"]
    assert api.events() == 0


def test_a_float_is_never_taken_for_money_even_through_a_bool(api: Api) -> None:
    response = api.post("/v1/portfolios", {"name": "Bool", "budget": True})

    assert response.status_code == 422
    assert fields(response) == ["body.budget"]


def test_malformed_json_is_a_400_problem(api: Api) -> None:
    response = api.post_raw("/v1/portfolios", '{"name": "Broken", "budget": ')

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"].endswith("/malformed-json")
    assert problem["status"] == 400
    assert "Traceback" not in response.text


def test_opening_a_portfolio_needs_the_board(api: Api) -> None:
    for role in (Role.VIEWER, Role.AUDITOR, Role.MANAGER):
        assert api.post("/v1/portfolios", {"name": "X", "budget": "1"}, role).status_code == 403
    assert api.post("/v1/portfolios", {"name": "X", "budget": "1"}, None).status_code == 401
    assert api.events() == 0


# GET /v1/portfolios


def test_portfolios_are_listed_oldest_first_a_page_at_a_time(api: Api) -> None:
    names = ["First", "Second", "Third"]
    for name in names:
        api.portfolio(name=name)

    first = api.get("/v1/portfolios", Role.VIEWER, limit=2).json()
    rest = api.get("/v1/portfolios", Role.VIEWER, limit=2, cursor=first["next_cursor"]).json()

    assert [p["name"] for p in first["items"]] == names[:2]
    assert [p["name"] for p in rest["items"]] == names[2:]
    assert rest["next_cursor"] is None
    assert first["position"] == 3 and first["as_of"].endswith("Z")


def test_a_page_size_outside_1_to_1000_or_a_bad_cursor_is_a_422(api: Api) -> None:
    for params in ({"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"cursor": "abc"}):
        response = api.get("/v1/portfolios", **params)
        assert response.status_code == 422, params
        assert fields(response) == [f"query.{next(iter(params))}"]


def test_listing_portfolios_needs_a_token(api: Api) -> None:
    response = api.get("/v1/portfolios", None)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


# GET /v1/portfolios/{id}


def test_a_portfolio_reads_back_as_recorded(api: Api) -> None:
    created = api.portfolio(budget=500)

    read = api.get(f"/v1/portfolios/{created['id']}", Role.VIEWER).json()

    assert {k: v for k, v in read.items() if k != "as_of"} == {
        k: v for k, v in created.items() if k != "as_of"}


def test_an_unknown_or_malformed_portfolio_id_is_a_404(api: Api) -> None:
    unknown = api.get(f"/v1/portfolios/{uuid4()}")
    malformed = api.get("/v1/portfolios/not-a-uuid")
    composition = api.get(f"/v1/portfolios/{uuid4()}/composition")

    for response in (unknown, malformed, composition):
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"].endswith("/not-found")


# GET /v1/portfolios/{id}/composition


def test_composition_balances_the_budget_by_status_and_health(api: Api) -> None:
    portfolio = api.portfolio(budget="1000000.00")
    kept, dropped, waiting = (api.project(portfolio["id"], code=c) for c in ("K", "D", "W"))
    api.fund(kept, "300000.00")
    api.fund(dropped, "200000.00")
    assert api.decide(dropped, "discontinue").status_code == 201
    assert api.report(kept["id"], cost="red").status_code == 201

    composition = api.get(f"/v1/portfolios/{portfolio['id']}/composition", Role.VIEWER).json()

    assert composition["budget"] == "1000000.00"
    assert composition["allocated"] == "300000.00"
    assert composition["available"] == "700000.00"
    assert Decimal(composition["allocated"]) + Decimal(composition["available"]) == Decimal(
        composition["budget"])
    assert composition["by_status"]["active"] == {"count": 1, "funded": "300000.00"}
    assert composition["by_status"]["proposed"] == {"count": 1, "funded": "0.00"}
    assert composition["by_status"]["discontinued"]["count"] == 1
    assert composition["by_health"] == {"green": 0, "amber": 0, "red": 1, "unknown": 0}
    assert [p["code"] for p in composition["projects"]] == ["K", "D", "W"]
    assert composition["position"] == api.events()
    assert waiting["status"] == "proposed"
