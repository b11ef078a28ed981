"""Projects over HTTP: proposing, listing, health, reports, history, status reports, completion."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import httpx
from e2e_support import Api, days_ago

from api.auth.tokens import Role


def fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


# POST /v1/projects


def test_a_proposed_project_starts_as_proposed_with_its_etag_and_location(api: Api) -> None:
    portfolio = api.portfolio(objectives=[{"key": "cx", "title": "Service"}])

    response = api.post("/v1/projects", {
        "portfolio_id": portfolio["id"], "name": "Case management", "code": "CM-1",
        "sponsor": "COO", "manager": "Ana", "requested_budget": 250000.5,
        "planned_start": "2026-01-01", "planned_finish": "2026-12-31", "objectives": ["cx"],
    }, Role.MANAGER)

    assert response.status_code == 201
    project = response.json()
    assert response.headers["Location"] == f"/v1/projects/{project['id']}"
    assert response.headers["ETag"] == '"1"'
    assert project["status"] == "proposed"
    assert project["requested_budget"] == "250000.50"
    assert project["funded"] == "0.00"
    assert project["health"] == "unknown"
    assert project["proposed_by"] == "manager"
    assert project["planned_finish"] == "2026-12-31"
    assert project["objectives"] == ["cx"]


def test_proposing_to_an_unknown_portfolio_is_a_404(api: Api) -> None:
    response = api.post("/v1/projects", {"portfolio_id": str(uuid4()), "name": "Lost",
                                         "requested_budget": "1"})

    assert response.status_code == 404
    assert api.events() == 0


def test_a_project_code_is_unique_within_its_portfolio(api: Api) -> None:
    portfolio = api.portfolio()
    api.project(portfolio["id"], code="CM-1")

    again = api.post("/v1/projects", {"portfolio_id": portfolio["id"], "name": "Twin",
                                      "code": "CM-1", "requested_budget": "1"})

    assert again.status_code == 409
    assert again.json()["type"].endswith("/duplicate-code")


def test_invalid_proposals_are_a_422_naming_the_field(api: Api) -> None:
    portfolio_id = api.portfolio()["id"]
    base = {"portfolio_id": portfolio_id, "name": "P", "requested_budget": "1"}

    no_budget = api.post("/v1/projects", {"portfolio_id": portfolio_id, "name": "P"})
    bad_date = api.post("/v1/projects", {**base, "planned_start": "31/12/2026"})
    reversed_dates = api.post("/v1/projects", {**base, "planned_start": "2026-12-31",
                                               "planned_finish": "2026-01-01"})
    unknown_objective = api.post("/v1/projects", {**base, "objectives": ["nope"]})
    bad_portfolio = api.post("/v1/projects", {**base, "portfolio_id": "nope"})

    assert fields(no_budget) == ["body.requested_budget"]
    assert fields(bad_date) == ["body.planned_start"]
    assert fields(reversed_dates) == ["body.planned_finish"]
    assert fields(unknown_objective) == ["body.objectives"]
    assert fields(bad_portfolio) == ["body.portfolio_id"]


def test_proposing_needs_a_manager_or_the_board(api: Api) -> None:
    portfolio_id = api.portfolio()["id"]
    body = {"portfolio_id": portfolio_id, "name": "P", "requested_budget": "1"}

    assert api.post("/v1/projects", body, Role.VIEWER).status_code == 403
    assert api.post("/v1/projects", body, Role.AUDITOR).status_code == 403
    assert api.post("/v1/projects", body, Role.BOARD).status_code == 201


# GET /v1/projects and /v1/projects/{id}


def test_projects_are_filtered_by_portfolio_status_and_health(api: Api) -> None:
    first, second = api.portfolio(name="A")["id"], api.portfolio(name="B")["id"]
    waiting = api.project(first, code="W")
    running = api.project(first, code="R")
    api.fund(running)
    api.report(running["id"], schedule="amber")
    api.project(second, code="X")

    def codes(**filters: str) -> list[str]:
        return [p["code"] for p in api.get("/v1/projects", Role.VIEWER, **filters).json()["items"]]

    assert codes() == ["W", "R", "X"]
    assert codes(portfolio_id=first) == ["W", "R"]
    assert codes(status="active") == ["R"]
    assert codes(health="amber") == ["R"]
    assert codes(health="unknown", portfolio_id=first) == ["W"]
    assert waiting["status"] == "proposed"


def test_an_unknown_filter_value_is_a_422(api: Api) -> None:
    assert fields(api.get("/v1/projects", status="dormant")) == ["query.status"]
    assert fields(api.get("/v1/projects", health="purple")) == ["query.health"]
    assert fields(api.get("/v1/projects", portfolio_id="x")) == ["query.portfolio_id"]


def test_a_project_reads_back_with_its_version_as_etag(api: Api) -> None:
    project = api.active_project()

    response = api.get(f"/v1/projects/{project['id']}", Role.VIEWER)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert response.json()["status"] == "active"
    assert response.json()["funded"] == "100000.00"


def test_unknown_or_malformed_project_ids_are_a_404_on_every_project_route(api: Api) -> None:
    for project_id in (str(uuid4()), "not-a-uuid"):
        for suffix in ("", "/health", "/reports", "/history"):
            response = api.get(f"/v1/projects/{project_id}{suffix}")
            assert response.status_code == 404, (project_id, suffix)
        for suffix, body in (("/status-reports", {"period_end": days_ago(1), "schedule": "green",
                                                   "cost": "green", "scope": "green"}),
                             ("/completion", {"summary": "done"})):
            assert api.post(f"/v1/projects/{project_id}{suffix}", body).status_code == 404


# GET /v1/projects/{id}/health and /reports


def test_health_is_unknown_before_the_first_report(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    health = api.get(f"/v1/projects/{project['id']}/health", Role.VIEWER).json()

    assert health["overall"] == "unknown"
    assert health["cpi"] is None and health["stale"] is False
    assert health["position"] == api.events()


def test_earned_value_below_0_8_makes_a_green_report_red(api: Api) -> None:
    project = api.active_project()

    response = api.report(project["id"], planned_value="100000", earned_value="75000",
                          actual_cost="100000", percent_complete="40.5")
    health = api.get(f"/v1/projects/{project['id']}/health").json()

    assert response.status_code == 201
    assert health["overall"] == "red"
    assert health["cpi"] == "0.7500" and health["spi"] == "0.7500"
    assert health["percent_complete"] == "40.5"
    assert health["earned_value"] == "75000.00"
    assert health["reported_by"] == "admin"


def test_a_report_older_than_the_cadence_is_stale(api: Api) -> None:
    project = api.active_project()

    api.report(project["id"], period_end=days_ago(60))

    assert api.get(f"/v1/projects/{project['id']}/health").json()["stale"] is True


def test_reports_trace_the_health_trend_oldest_first(api: Api) -> None:
    project = api.active_project()
    for days, rating in ((30, "green"), (20, "amber"), (10, "red")):
        assert api.report(project["id"], period_end=days_ago(days), risk=rating).status_code == 201

    trend = api.get(f"/v1/projects/{project['id']}/reports", Role.VIEWER).json()

    assert [r["overall"] for r in trend["items"]] == ["green", "amber", "red"]
    assert trend["next_cursor"] is None


# GET /v1/projects/{id}/history


def test_history_shows_every_event_with_its_actor_to_auditors(api: Api) -> None:
    project = api.project(api.portfolio()["id"], role=Role.MANAGER)
    assert api.decide(project, "fund", Role.BOARD, amount="10").status_code == 201

    history = api.get(f"/v1/projects/{project['id']}/history", Role.AUDITOR).json()

    assert [(e["type"], e["actor"], e["version"]) for e in history["items"]] == [
        ("ProjectProposed", "manager", 1), ("DecisionApplied", "board", 2)]
    assert history["items"][1]["data"]["amount"] == "10.00"


def test_a_portfolio_id_names_no_project_history(api: Api) -> None:
    portfolio = api.portfolio()

    assert api.get(f"/v1/projects/{portfolio['id']}/history").status_code == 404


def test_history_is_paged_by_position(api: Api) -> None:
    project = api.active_project()
    api.report(project["id"])

    first = api.get(f"/v1/projects/{project['id']}/history", limit=2).json()
    rest = api.get(f"/v1/projects/{project['id']}/history", limit=2,
                   cursor=first["next_cursor"]).json()

    assert [e["version"] for e in first["items"]] == [1, 2]
    assert [e["version"] for e in rest["items"]] == [3]
    assert rest["next_cursor"] is None


def test_history_is_for_auditors_only(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    for role in (Role.VIEWER, Role.MANAGER, Role.BOARD):
        assert api.get(f"/v1/projects/{project['id']}/history", role).status_code == 403
    assert api.get(f"/v1/projects/{project['id']}/history", Role.AUDITOR).status_code == 200


# POST /v1/projects/{id}/status-reports


def test_a_status_report_answers_with_the_new_health_version_and_etag(api: Api) -> None:
    project = api.active_project()

    response = api.report(project["id"], Role.MANAGER, cost="amber", summary="vendor late")

    assert response.status_code == 201
    report = response.json()
    assert response.headers["Location"] == f"/v1/projects/{project['id']}/health"
    assert response.headers["ETag"] == '"3"'
    assert report["version"] == 3
    assert report["overall"] == "amber"
    assert report["summary"] == "vendor late"
    assert report["position"] == api.events()


def test_a_proposed_project_cannot_report_and_says_what_it_allows(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    response = api.report(project["id"])

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("/transition-not-allowed")
    assert problem["current_status"] == "proposed"
    assert problem["allowed"] == ["fund", "discontinue"]


def test_a_report_on_a_changed_project_is_a_412_and_records_nothing(api: Api) -> None:
    project = api.active_project()
    before = api.events()

    stale = api.report(project["id"], if_match='"1"')
    current = api.report(project["id"], if_match='"2"')

    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert current.status_code == 201
    assert api.events() == before + 1


def test_invalid_reports_are_a_422_naming_the_field(api: Api) -> None:
    project = api.active_project()
    tomorrow = (date.today() + timedelta(days=1)).isoformat()

    assert fields(api.report(project["id"], schedule="blue")) == ["body.schedule"]
    assert fields(api.report(project["id"], period_end=tomorrow)) == ["body.period_end"]
    assert fields(api.report(project["id"], percent_complete=101)) == ["body.percent_complete"]
    assert fields(api.report(project["id"], actual_cost="-1")) == ["body.actual_cost"]
    assert fields(api.report(project["id"], if_match="7")) == ["header.If-Match"]


def test_only_managers_file_status_reports(api: Api) -> None:
    project = api.active_project()

    for role in (Role.VIEWER, Role.AUDITOR, Role.BOARD):
        assert api.report(project["id"], role).status_code == 403
    assert api.report(project["id"], Role.MANAGER).status_code == 201


# POST /v1/projects/{id}/completion


def test_completing_an_active_project_returns_it_completed(api: Api) -> None:
    project = api.active_project()

    response = api.post(f"/v1/projects/{project['id']}/completion", {"summary": "delivered"},
                        Role.MANAGER, If_Match='"2"')

    assert response.status_code == 201
    assert response.json()["status"] == "completed"
    assert response.headers["ETag"] == '"3"'
    assert response.headers["Location"] == f"/v1/projects/{project['id']}"


def test_completing_a_proposed_project_is_a_409(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    response = api.post(f"/v1/projects/{project['id']}/completion", {"summary": "done"})

    assert response.status_code == 409
    assert response.json()["current_status"] == "proposed"


def test_completion_needs_a_summary_and_a_current_version(api: Api) -> None:
    project = api.active_project()

    blank = api.post(f"/v1/projects/{project['id']}/completion", {"summary": "  "})
    stale = api.post(f"/v1/projects/{project['id']}/completion", {"summary": "ok"},
                     If_Match='"1"')

    assert fields(blank) == ["body.summary"]
    assert stale.status_code == 412
    assert api.get(f"/v1/projects/{project['id']}").json()["status"] == "active"
