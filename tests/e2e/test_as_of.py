"""`as_of` over HTTP: every projection answers as the ledger stood at an instant, and says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from e2e_support import Api


def test_reads_as_of_an_instant_show_the_state_then_and_its_position(api_on_store: Api) -> None:
    api = api_on_store
    portfolio = api.portfolio(budget="1000")
    project = api.project(portfolio["id"])
    then = datetime.now(UTC).isoformat()
    position_then = api.events()
    decision = api.fund(project, "400")
    api.report(project["id"], cost="red")

    old_project = api.get(f"/v1/projects/{project['id']}", as_of=then)
    old_health = api.get(f"/v1/projects/{project['id']}/health", as_of=then).json()
    old_composition = api.get(f"/v1/portfolios/{portfolio['id']}/composition", as_of=then).json()
    old_portfolio = api.get(f"/v1/portfolios/{portfolio['id']}", as_of=then).json()
    old_lists = [api.get(path, as_of=then).json()
                 for path in ("/v1/portfolios", "/v1/projects", "/v1/decisions")]
    old_decision = api.get(f"/v1/decisions/{decision['id']}", as_of=then)

    assert old_project.json()["status"] == "proposed"
    assert old_project.headers["ETag"] == '"1"'
    assert old_health["overall"] == "unknown"
    assert old_composition["allocated"] == "0.00"
    assert old_composition["by_status"]["proposed"]["count"] == 1
    assert old_portfolio["available"] == "1000.00"
    assert [len(page["items"]) for page in old_lists] == [1, 1, 0]
    assert old_decision.status_code == 404
    for answer in (old_project.json(), old_health, old_composition, old_portfolio, *old_lists):
        assert answer["position"] == position_then
        assert datetime.fromisoformat(answer["as_of"]) == datetime.fromisoformat(then)


def test_reads_without_as_of_show_the_state_now(api: Api) -> None:
    project = api.active_project()
    api.report(project["id"], cost="red")

    now = api.get(f"/v1/projects/{project['id']}").json()

    assert (now["status"], now["health"], now["position"]) == ("active", "red", api.events())


def test_before_the_first_event_nothing_exists_yet(api: Api) -> None:
    before = "2001-01-01T00:00:00Z"
    project = api.project(api.portfolio()["id"])

    assert api.get(f"/v1/projects/{project['id']}", as_of=before).status_code == 404
    assert api.get(f"/v1/portfolios/{project['portfolio_id']}", as_of=before).status_code == 404
    page = api.get("/v1/projects", as_of=before).json()
    assert (page["items"], page["position"]) == ([], 0)


def test_an_instant_without_a_zone_or_not_an_instant_is_a_422(api: Api) -> None:
    for as_of in ("2026-03-31T17:00:00", "yesterday"):
        response = api.get("/v1/portfolios", as_of=as_of)
        assert response.status_code == 422, as_of
        assert response.json()["errors"][0]["field"] == "query.as_of"


def test_an_instant_in_another_zone_means_the_same_moment(api: Api) -> None:
    created = api.portfolio()["created_at"]
    written = datetime.fromisoformat(created).astimezone(timezone(timedelta(hours=2)))

    later = api.get("/v1/portfolios", as_of=written.isoformat()).json()

    assert later["as_of"] == created
    assert later["position"] == 1


def test_an_instant_still_to_come_is_a_422(api: Api) -> None:
    api.portfolio()

    answer = api.get("/v1/portfolios", as_of="2999-01-01T02:00:00+02:00")

    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == ["query.as_of"]
