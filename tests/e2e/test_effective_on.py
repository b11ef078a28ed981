"""`effective_on` over HTTP: every read answers on a business date, beside `as_of` or with it,
and says which; a date still to come, or not a date, is a 422."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from e2e_support import Api, days_ago

READS = (
    "/v1/portfolios",
    "/v1/portfolios/{portfolio}",
    "/v1/portfolios/{portfolio}/composition",
    "/v1/projects",
    "/v1/projects/{project}",
    "/v1/projects/{project}/health",
    "/v1/projects/{project}/reports",
    "/v1/decisions",
    "/v1/decisions/{decision}",
)


def board_story(api: Api) -> dict[str, Any]:
    """A portfolio opened 60 days ago; a project proposed 50 days ago, funded 40 days ago,
    reported for the period ending 20 days ago, paused 10 days ago."""
    portfolio = api.portfolio(budget="1000.00", created_on=days_ago(60))
    project = api.project(portfolio["id"], proposed_on=days_ago(50))
    funded = api.decide(project, "fund", amount="400.00", decided_on=days_ago(40))
    assert funded.status_code == 201, funded.text
    assert api.report(project["id"], period_end=days_ago(20), cost="red").status_code == 201
    paused = api.decide(project, "pause", decided_on=days_ago(10))
    assert paused.status_code == 201, paused.text
    return {"portfolio": portfolio["id"], "project": project["id"],
            "decision": funded.json()["id"], "paused": paused.json()["id"]}


def test_every_read_answers_on_the_business_date_asked_and_names_it(api_on_store: Api) -> None:
    api = api_on_store
    ids = board_story(api)
    on = days_ago(30)  # funded, not yet reported, not yet paused

    answers = {path: api.get(path.format(**ids), effective_on=on) for path in READS}

    for path, answer in answers.items():
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json()["effective_on"] == on, path
    project = answers["/v1/projects/{project}"].json()
    assert (project["status"], project["funded"], project["health"]) == ("active", "400.00",
                                                                         "unknown")
    composition = answers["/v1/portfolios/{portfolio}/composition"].json()
    assert (composition["allocated"], composition["by_status"]["active"]["count"]) == (
        "400.00", 1)
    assert answers["/v1/portfolios/{portfolio}"].json()["available"] == "600.00"
    assert answers["/v1/projects/{project}/reports"].json()["items"] == []
    log = answers["/v1/decisions"].json()["items"]
    assert [(d["kind"], d["decided_on"]) for d in log] == [("fund", days_ago(40))]
    assert log[0]["recorded_at"].startswith(date.today().isoformat())
    assert api.get(f"/v1/decisions/{ids['paused']}", effective_on=on).status_code == 404


def test_without_effective_on_reads_say_null_and_show_every_date(api: Api) -> None:
    ids = board_story(api)

    project = api.get(f"/v1/projects/{ids['project']}").json()

    assert project["effective_on"] is None
    assert (project["status"], project["health"]) == ("paused", "red")


def test_before_a_thing_took_effect_it_is_not_there(api: Api) -> None:
    ids = board_story(api)

    assert api.get(f"/v1/portfolios/{ids['portfolio']}", effective_on=days_ago(61)
                   ).status_code == 404
    assert api.get(f"/v1/projects/{ids['project']}/health", effective_on=days_ago(51)
                   ).status_code == 404
    listed = api.get("/v1/projects", effective_on=days_ago(51)).json()
    assert (listed["items"], listed["effective_on"]) == ([], days_ago(51))
    assert api.get("/v1/portfolios", effective_on=days_ago(61)).json()["items"] == []


def test_effective_on_with_as_of_answers_what_the_ledger_said_then_about_that_date(
    api_on_store: Api,
) -> None:
    api = api_on_store
    # Given a funding recorded today, then the minutes of an earlier pause recorded later
    portfolio = api.portfolio(budget="1000.00", created_on=days_ago(60))
    project = api.project(portfolio["id"], proposed_on=days_ago(50))
    assert api.decide(project, "fund", amount="400.00", decided_on=days_ago(40)).status_code == 201
    between = datetime.now(UTC).isoformat()
    assert api.decide(project, "pause", decided_on=days_ago(30)).status_code == 201

    # When asked about 25 days ago, as of before and after the pause was recorded
    path = f"/v1/projects/{project['id']}"
    then = api.get(path, effective_on=days_ago(25), as_of=between).json()
    now = api.get(path, effective_on=days_ago(25)).json()

    # Then the answer names both clocks, and only the later one knows of the pause
    assert (then["status"], now["status"]) == ("active", "paused")
    assert then["effective_on"] == now["effective_on"] == days_ago(25)
    assert datetime.fromisoformat(then["as_of"]) == datetime.fromisoformat(between)
    assert then["position"] < now["position"]
    log = api.get("/v1/decisions", effective_on=days_ago(25), as_of=between).json()
    assert ([d["kind"] for d in log["items"]], log["effective_on"]) == (["fund"], days_ago(25))


@pytest.mark.parametrize("path", READS)
def test_a_business_date_still_to_come_is_a_422_on_every_read(api: Api, path: str) -> None:
    ids = board_story(api)
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()

    answer = api.get(path.format(**ids), effective_on=tomorrow)

    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["field"] == "query.effective_on"
    assert "future" in error["message"]


@pytest.mark.parametrize("written", ["2026-06-31", "2026-6-30", "2026-06-30T00:00:00Z",
                                     "yesterday", "20260630", ""])
def test_effective_on_that_is_not_a_date_is_a_422(api: Api, written: str) -> None:
    answer = api.get("/v1/portfolios", effective_on=written)

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "query.effective_on"


def test_today_is_a_business_date_the_ledger_answers_on(api: Api) -> None:
    board_story(api)

    answer = api.get("/v1/projects", effective_on=datetime.now(UTC).date().isoformat())

    assert answer.status_code == 200
    assert [p["status"] for p in answer.json()["items"]] == ["paused"]


def test_the_openapi_document_offers_effective_on_on_every_read(api: Api) -> None:
    document = api.get("/openapi.json").json()

    for path in READS:
        templated = path.replace("{portfolio}", "{portfolio_id}").replace(
            "{project}", "{project_id}").replace("{decision}", "{decision_id}")
        parameters = {p["name"]: p for p in document["paths"][templated]["get"]["parameters"]}
        assert "effective_on" in parameters, path
        schema = parameters["effective_on"]["schema"]
        assert (schema["type"], schema["format"]) == ("string", "date"), path
