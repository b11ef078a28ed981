"""Business dates over HTTP: every write takes the date it took effect, and a project's dates
never go backwards (409 business-date-out-of-order, naming the date it must not precede)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from e2e_support import Api, days_ago


def test_each_write_keeps_the_business_date_it_was_given(api: Api) -> None:
    portfolio = api.portfolio(created_on=days_ago(30))
    project = api.project(portfolio["id"], proposed_on=days_ago(20))
    funded = api.decide(project, "fund", amount="1000", decided_on=days_ago(10))
    assert funded.status_code == 201, funded.text
    assert api.report(project["id"], period_end=days_ago(5)).status_code == 201

    completed = api.post(f"/v1/projects/{project['id']}/completion",
                         {"summary": "delivered", "completed_on": days_ago(2)})

    assert completed.status_code == 201, completed.text
    assert funded.json()["decided_on"] == days_ago(10)
    assert api.get(f"/v1/portfolios/{portfolio['id']}").json()["created_on"] == days_ago(30)
    shown = api.get(f"/v1/projects/{project['id']}").json()
    assert (shown["proposed_on"], shown["completed_on"]) == (days_ago(20), days_ago(2))
    assert api.get(f"/v1/projects/{project['id']}",
                   effective_on=days_ago(3)).json()["completed_on"] is None
    history = api.get(f"/v1/projects/{project['id']}/history").json()["items"]
    dates = {item["type"]: item["data"] for item in history}
    assert dates["ProjectProposed"]["proposed_on"] == days_ago(20)
    assert dates["DecisionApplied"]["decided_on"] == days_ago(10)
    assert dates["ProjectCompleted"]["completed_on"] == days_ago(2)


def test_a_decision_before_the_project_was_proposed_is_a_409_naming_the_latest(api: Api) -> None:
    project = api.project(api.portfolio()["id"], proposed_on=days_ago(3))
    before = api.events()

    response = api.decide(project, "fund", amount="1000", decided_on=days_ago(4))

    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"].endswith("/business-date-out-of-order")
    assert problem["latest"] == days_ago(3)
    assert problem["field"] == "body.decided_on"
    assert api.events() == before


def test_a_decision_before_the_latest_decision_is_refused(api: Api) -> None:
    project = api.project(api.portfolio()["id"], proposed_on=days_ago(10))
    assert api.decide(project, "fund", amount="1000", decided_on=days_ago(5)).status_code == 201

    response = api.decide(project, "pause", decided_on=days_ago(6))

    assert response.status_code == 409
    assert response.json()["latest"] == days_ago(5)
    assert api.decide(project, "pause", decided_on=days_ago(5)).status_code == 201


def test_the_same_period_reported_twice_is_refused(api: Api) -> None:
    project = api.active_project()
    assert api.report(project["id"], period_end=days_ago(1)).status_code == 201

    again = api.report(project["id"], period_end=days_ago(1))
    earlier = api.report(project["id"], period_end=days_ago(2))

    assert again.status_code == earlier.status_code == 409
    assert again.json()["type"].endswith("/business-date-out-of-order")
    assert again.json()["latest"] == days_ago(1)


def test_a_completion_before_the_latest_decision_is_refused(api: Api) -> None:
    project = api.project(api.portfolio()["id"], proposed_on=days_ago(10))
    assert api.decide(project, "fund", amount="1000", decided_on=days_ago(3)).status_code == 201

    response = api.post(f"/v1/projects/{project['id']}/completion",
                        {"summary": "done", "completed_on": days_ago(4)})

    assert response.status_code == 409
    assert response.json()["latest"] == days_ago(3)


def test_a_business_date_in_the_future_is_a_422_on_every_write(api: Api) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    portfolio = api.portfolio()
    project = api.project(portfolio["id"])
    before = api.events()

    answers = [
        api.post("/v1/portfolios", {"name": "Later", "budget": "1", "created_on": tomorrow}),
        api.post("/v1/projects", {"portfolio_id": portfolio["id"], "name": "Later",
                                  "requested_budget": "1", "proposed_on": tomorrow}),
        api.decide(project, "fund", amount="1", decided_on=tomorrow),
    ]

    assert [a.status_code for a in answers] == [422, 422, 422]
    assert api.events() == before
