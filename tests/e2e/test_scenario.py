"""A year of governance over HTTP, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

from e2e_support import Api, days_ago, serving

from api.auth.tokens import Role


def test_a_board_governs_a_portfolio_through_the_api(api_on_store: Api) -> None:
    api = api_on_store
    # The board opens a portfolio; managers propose two projects.
    portfolio = api.portfolio(budget="2000000.00", role=Role.BOARD)
    portal = api.project(portfolio["id"], Role.MANAGER, code="PORTAL", requested_budget=750000.5)
    erp = api.project(portfolio["id"], Role.MANAGER, code="ERP", requested_budget="1500000")

    # The board funds the portal on the evidence it read (its ETag), exactly to the cent.
    etag = api.get(f"/v1/projects/{portal['id']}", Role.BOARD).headers["ETag"]
    funded = api.decide(portal, "fund", Role.BOARD, amount=750000.5, if_match=etag,
                        key="fund-portal")
    retried = api.decide(portal, "fund", Role.BOARD, amount=750000.5, if_match=etag,
                         key="fund-portal")
    assert funded.status_code == retried.status_code == 201
    assert retried.content == funded.content

    # The ERP asks for more than is left: refused, with the amounts.
    too_much = api.decide(erp, "fund", Role.BOARD, amount="1500000")
    assert too_much.status_code == 409
    assert (too_much.json()["available"], too_much.json()["requested"]) == (
        "1249999.50", "1500000.00")

    # The portal reports amber, then the board pauses it; the old ETag is now stale.
    assert api.report(portal["id"], Role.MANAGER, period_end=days_ago(3),
                      schedule="amber").status_code == 201
    before_pause = datetime.now(UTC).isoformat()
    assert api.decide(portal, "pause", Role.BOARD, if_match=etag).status_code == 412
    paused = api.decide(portal, "pause", Role.BOARD, if_match='"3"')
    assert paused.json()["evidence"]["health"]["overall"] == "amber"

    # A paused project cannot be completed; resumed, it can.
    assert api.post(f"/v1/projects/{portal['id']}/completion", {"summary": "done"},
                    Role.MANAGER).json()["allowed"] == ["resume", "discontinue"]
    assert api.decide(portal, "resume", Role.BOARD).status_code == 201
    completed = api.post(f"/v1/projects/{portal['id']}/completion", {"summary": "live"},
                         Role.MANAGER)
    assert completed.json()["status"] == "completed"
    assert api.decide(erp, "discontinue", Role.BOARD).status_code == 201

    # The composition balances, the log tells the story, and the past is still readable.
    composition = api.get(f"/v1/portfolios/{portfolio['id']}/composition", Role.VIEWER).json()
    assert (composition["allocated"], composition["available"]) == ("750000.50", "1249999.50")
    assert composition["by_status"]["completed"] == {"count": 1, "funded": "750000.50"}
    assert composition["by_status"]["discontinued"]["count"] == 1
    log = api.get("/v1/decisions", Role.AUDITOR, portfolio_id=portfolio["id"]).json()["items"]
    assert [(d["project_code"], d["kind"], d["decided_by"]) for d in log] == [
        ("PORTAL", "fund", "board"), ("PORTAL", "pause", "board"), ("PORTAL", "resume", "board"),
        ("ERP", "discontinue", "board")]
    was = api.get(f"/v1/projects/{portal['id']}", as_of=before_pause).json()
    assert (was["status"], was["health"], was["version"]) == ("active", "amber", 3)
    history = api.get(f"/v1/projects/{portal['id']}/history", Role.AUDITOR).json()["items"]
    assert [e["type"] for e in history] == [
        "ProjectProposed", "DecisionApplied", "StatusReported", "DecisionApplied",
        "DecisionApplied", "ProjectCompleted"]


def test_idempotent_responses_survive_a_restart_on_either_store(store_url: str) -> None:
    body = {"name": "Durable", "budget": "10"}
    with serving(store_url) as first_run:
        first = first_run.post("/v1/portfolios", body, Role.BOARD, Idempotency_Key="k-1")
        secrets = first_run.secrets

    with serving(store_url, secrets) as second_run:
        retry = second_run.post("/v1/portfolios", body, Role.BOARD, Idempotency_Key="k-1")
        listed = second_run.get("/v1/portfolios").json()["items"]

    assert retry.content == first.content
    assert [p["id"] for p in listed] == [first.json()["id"]]
