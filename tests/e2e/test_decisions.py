"""The board's decisions over HTTP: recording them, their rules, and the decision log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from e2e_support import Api, days_ago

from api.auth.tokens import Role


def fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def proposed_days_ago(api: Api, portfolio_id: str, days: int, code: str = "P-1") -> dict[str, Any]:
    """A project proposed `days` ago, so the board may decide on it since (a decision is never
    dated before its project was proposed)."""
    return api.project(portfolio_id, code=code, proposed_on=days_ago(days))


# POST /v1/portfolios/{id}/decisions


def test_funding_records_who_when_why_and_the_evidence(api: Api) -> None:
    project = proposed_days_ago(api, api.portfolio()["id"], 2)

    response = api.decide(project, "fund", Role.BOARD, amount=150000.25, meeting="Q1 board",
                          decided_on=days_ago(2))

    assert response.status_code == 201
    decision = response.json()
    assert response.headers["Location"] == f"/v1/decisions/{decision['id']}"
    assert decision["kind"] == "fund"
    assert decision["amount"] == "150000.25"
    assert decision["decided_by"] == "board"
    assert decision["decided_on"] == days_ago(2)
    assert decision["rationale"] == "board: fund"
    assert decision["meeting"] == "Q1 board"
    assert (decision["status_before"], decision["status_after"]) == ("proposed", "active")
    assert decision["evidence"]["project_version"] == 1
    assert decision["evidence"]["health"]["overall"] == "unknown"
    assert decision["position"] == api.events() - 1  # the project's half follows the portfolio's
    assert decision["recorded_at"].endswith("Z")


def test_the_decided_on_date_defaults_to_today(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    decision = api.fund(project)

    assert decision["decided_on"] == datetime.now(UTC).date().isoformat()


def test_pause_resume_and_discontinue_move_the_project_and_release_its_funding(api: Api) -> None:
    portfolio = api.portfolio(budget="500000")
    project = api.project(portfolio["id"])
    api.fund(project, "200000")

    moves = [api.decide(project, kind).json() for kind in ("pause", "resume", "discontinue")]

    assert [(m["status_before"], m["status_after"]) for m in moves] == [
        ("active", "paused"), ("paused", "active"), ("active", "discontinued")]
    assert moves[-1]["released"] == "200000.00"
    assert api.get(f"/v1/portfolios/{portfolio['id']}").json()["available"] == "500000.00"


def test_a_decision_the_lifecycle_forbids_is_a_409_saying_what_is_allowed(api: Api) -> None:
    project = api.project(api.portfolio()["id"])
    before = api.events()

    response = api.decide(project, "pause")

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "https://portfolio-ledger.dev/problems/transition-not-allowed"
    assert problem["current_status"] == "proposed"
    assert problem["allowed"] == ["fund", "discontinue"]
    assert api.events() == before


def test_a_final_status_allows_nothing(api: Api) -> None:
    project = api.project(api.portfolio()["id"])
    api.decide(project, "discontinue")

    problem = api.decide(project, "fund", amount="1").json()

    assert problem["current_status"] == "discontinued"
    assert problem["allowed"] == []


def test_funding_beyond_the_available_budget_is_a_409_with_both_amounts(
    api_on_store: Api,
) -> None:
    api = api_on_store
    portfolio = api.portfolio(budget="300000")
    first, second = api.project(portfolio["id"], code="A"), api.project(portfolio["id"], code="B")
    api.fund(first, "200000")

    response = api.decide(second, "fund", amount="100000.01")

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("/budget-exceeded")
    assert problem["available"] == "100000.00"
    assert problem["requested"] == "100000.01"
    assert api.decide(second, "fund", amount="100000.00").status_code == 201


def test_a_decision_with_the_current_etag_is_recorded(api: Api) -> None:
    project = api.project(api.portfolio()["id"])
    etag = api.get(f"/v1/projects/{project['id']}").headers["ETag"]

    response = api.decide(project, "fund", amount="10", if_match=etag)

    assert response.status_code == 201
    assert response.json()["evidence"]["project_version"] == 1


def test_a_decision_on_evidence_that_changed_is_a_412_and_records_nothing(
    api_on_store: Api,
) -> None:
    api = api_on_store
    project = api.active_project()
    seen = api.get(f"/v1/projects/{project['id']}").headers["ETag"]
    api.report(project["id"], cost="red")
    before = api.events()

    response = api.decide(project, "pause", if_match=seen)

    assert response.status_code == 412
    problem = response.json()
    assert problem["type"].endswith("/stale-evidence")
    assert problem["current_version"] == 3
    assert api.events() == before
    assert api.get(f"/v1/projects/{project['id']}").json()["status"] == "active"


def test_a_malformed_or_weak_if_match_is_a_422(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    for tag in ("1", 'W/"1"', '"1", "2"', '"one"'):
        response = api.decide(project, "fund", amount="1", if_match=tag)
        assert response.status_code == 422, tag
        assert fields(response) == ["header.If-Match"]
    assert api.decide(project, "fund", amount="1", if_match="*").status_code == 201


def test_invalid_decisions_are_a_422_naming_the_field(api: Api) -> None:
    project = api.project(api.portfolio()["id"])
    tomorrow = (date.today() + timedelta(days=1)).isoformat()

    assert fields(api.decide(project, "fund")) == ["body.amount"]
    assert fields(api.decide(project, "fund", amount="0")) == ["body.amount"]
    assert fields(api.decide(project, "discontinue", amount="5")) == ["body.amount"]
    assert fields(api.decide(project, "fund", amount="5", rationale=" ")) == ["body.rationale"]
    assert fields(api.decide(project, "fund", amount="5", decided_on=tomorrow)) == [
        "body.decided_on"]
    assert fields(api.decide(project, "shelve")) == ["body.kind"]
    assert api.events() == 2


def test_deciding_on_a_project_of_another_portfolio_is_a_422(api: Api) -> None:
    project = api.project(api.portfolio(name="Home")["id"])
    elsewhere = api.portfolio(name="Elsewhere")

    response = api.decide({**project, "portfolio_id": elsewhere["id"]}, "fund", amount="1")

    assert fields(response) == ["body.project_id"]


def test_deciding_in_an_unknown_portfolio_or_on_an_unknown_project_is_a_404(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    no_portfolio = api.decide({**project, "portfolio_id": str(uuid4())}, "fund", amount="1")
    no_project = api.decide({**project, "id": str(uuid4())}, "fund", amount="1")
    malformed = api.decide({**project, "portfolio_id": "x"}, "fund", amount="1")

    assert [r.status_code for r in (no_portfolio, no_project, malformed)] == [404, 404, 404]


def test_nobody_can_name_the_decider_in_the_body(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    for spoof in ({"actor": "chair"}, {"decided_by": "chair"}):
        response = api.decide(project, "fund", Role.BOARD, amount="1", **spoof)
        assert response.status_code == 422
        assert fields(response) == [f"body.{next(iter(spoof))}"]
    recorded = api.decide(project, "fund", Role.BOARD, amount="1").json()
    history = api.get(f"/v1/projects/{project['id']}/history", Role.AUDITOR).json()["items"]

    assert recorded["decided_by"] == "board"
    assert [event["actor"] for event in history] == ["admin", "board"]


# GET /v1/decisions and /v1/decisions/{id}


def test_the_decision_log_is_filtered_and_oldest_first(
    api_on_store: Api,
) -> None:
    api = api_on_store
    home, away = api.portfolio(name="Home"), api.portfolio(name="Away")
    a, b = (proposed_days_ago(api, home["id"], 10, code) for code in "AB")
    c = api.project(away["id"], code="C")
    api.decide(a, "fund", amount="10", decided_on=days_ago(10))
    api.decide(b, "fund", Role.BOARD, amount="20", decided_on=days_ago(5))
    api.decide(a, "pause", Role.BOARD)
    api.decide(c, "discontinue")

    def log(**filters: str) -> list[tuple[str, str]]:
        items = api.get("/v1/decisions", Role.VIEWER, **filters).json()["items"]
        return [(d["project_code"], d["kind"]) for d in items]

    assert log() == [("A", "fund"), ("B", "fund"), ("A", "pause"), ("C", "discontinue")]
    page = api.get("/v1/decisions").json()
    assert "as_of" in page and "as_of" not in page["items"][0]
    assert log(portfolio_id=home["id"]) == [("A", "fund"), ("B", "fund"), ("A", "pause")]
    assert log(project_id=a["id"]) == [("A", "fund"), ("A", "pause")]
    assert log(kind="fund") == [("A", "fund"), ("B", "fund")]
    assert log(decided_by="board") == [("B", "fund"), ("A", "pause")]
    assert log(since=days_ago(6), until=days_ago(1)) == [("B", "fund")]


def test_an_instant_bounds_the_log_by_recording_time(api: Api) -> None:
    first = api.project(api.portfolio()["id"], code="F")
    later = api.project(api.portfolio()["id"], code="L")
    api.fund(first)
    between = datetime.now(UTC).isoformat()
    api.fund(later)

    before = api.get("/v1/decisions", until=between).json()["items"]
    after = api.get("/v1/decisions", since=between).json()["items"]

    assert [d["project_code"] for d in before] == ["F"]
    assert [d["project_code"] for d in after] == ["L"]


def test_the_decision_log_pages_by_cursor(api: Api) -> None:
    portfolio = api.portfolio()
    for code in "ABC":
        api.fund(api.project(portfolio["id"], code=code))

    first = api.get("/v1/decisions", limit=2).json()
    rest = api.get("/v1/decisions", limit=2, cursor=first["next_cursor"]).json()

    assert [d["project_code"] for d in first["items"] + rest["items"]] == ["A", "B", "C"]
    assert rest["next_cursor"] is None


def test_bad_decision_log_filters_are_a_422(api: Api) -> None:
    assert fields(api.get("/v1/decisions", kind="shelve")) == ["query.kind"]
    assert fields(api.get("/v1/decisions", since="2026-03-31T10:00:00")) == ["query.since"]
    assert fields(api.get("/v1/decisions", until="last week")) == ["query.until"]


def test_one_decision_reads_back_as_recorded(api: Api) -> None:
    decision = api.fund(api.project(api.portfolio()["id"]))

    read = api.get(f"/v1/decisions/{decision['id']}", Role.VIEWER)

    assert read.status_code == 200
    assert {k: v for k, v in read.json().items() if k != "as_of"} == {
        k: v for k, v in decision.items() if k != "as_of"}


def test_an_unknown_or_malformed_decision_id_is_a_404(api: Api) -> None:
    assert api.get(f"/v1/decisions/{uuid4()}").status_code == 404
    assert api.get("/v1/decisions/12").status_code == 404


def test_recording_decisions_is_for_the_board(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    for role in (Role.VIEWER, Role.AUDITOR, Role.MANAGER):
        assert api.decide(project, "fund", role, amount="1").status_code == 403
    assert api.decide(project, "fund", Role.BOARD, amount="1").status_code == 201
