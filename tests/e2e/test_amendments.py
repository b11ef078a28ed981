"""Corrections of a decision's words and rescissions of a project's latest decision, over HTTP:
new events that refer to the decision they amend, the original never changed, every read as
of before them showing the ledger as it stood."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from e2e_support import Api, days_ago

from api.auth.tokens import Role

PROBLEMS = "https://portfolio-ledger.dev/problems/"


def correct(api: Api, decision_id: str, role: Role = Role.BOARD, **body: Any) -> Any:
    return api.post(f"/v1/decisions/{decision_id}/corrections", body, role)


def rescind(api: Api, decision_id: str, role: Role = Role.BOARD, **body: Any) -> Any:
    return api.post(f"/v1/decisions/{decision_id}/rescission",
                    {"reason": "recorded in error", **body}, role)


def decided(api: Api, project: dict[str, Any], kind: str, **terms: Any) -> dict[str, Any]:
    response = api.decide(project, kind, **terms)
    assert response.status_code == 201, response.text
    return dict(response.json())


def composition(api: Api, portfolio_id: str, **params: Any) -> dict[str, Any]:
    found = api.get(f"/v1/portfolios/{portfolio_id}/composition", **params).json()
    return {key: found[key] for key in ("budget", "allocated", "available", "by_status",
                                        "by_health", "projects")}


def now() -> str:
    return datetime.now(UTC).isoformat()


# Corrections of words


def test_a_correction_shows_the_corrected_words_and_as_of_before_it_the_original(
    api_on_store: Api,
) -> None:
    api = api_on_store
    project = api.project(api.portfolio()["id"])
    funded = decided(api, project, "fund", amount="100000", meeting="Q1 bord")
    before = now()
    events = api.events()

    response = correct(api, funded["id"], rationale="Business case approved",
                       meeting="Q1 board", reason="typos in the minutes")

    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/decisions/{funded['id']}"
    corrected = response.json()
    assert api.events() == events + 1
    assert (corrected["id"], corrected["rationale"], corrected["meeting"]) == (
        funded["id"], "Business case approved", "Q1 board")
    [entry] = corrected["corrections"]
    assert entry["by"] == "board" and entry["reason"] == "typos in the minutes"
    assert entry["before"] == {"rationale": "board: fund", "meeting": "Q1 bord"}
    assert entry["after"] == {"rationale": "Business case approved", "meeting": "Q1 board"}
    assert entry["recorded_at"] >= before.replace("+00:00", "Z")[:19]
    # the decision itself is as recorded: who, when, what, evidence
    for field in ("kind", "amount", "decided_by", "decided_on", "recorded_at", "position",
                  "evidence", "status_before", "status_after"):
        assert corrected[field] == funded[field], field
    # every read shows the corrected words; as of before the correction, the original
    listed = api.get("/v1/decisions", project_id=project["id"]).json()["items"]
    assert [(d["rationale"], len(d["corrections"])) for d in listed] == [
        ("Business case approved", 1)]
    then = api.get(f"/v1/decisions/{funded['id']}", as_of=before).json()
    assert (then["rationale"], then["meeting"], then["corrections"]) == (
        "board: fund", "Q1 bord", [])
    listed_then = api.get("/v1/decisions", project_id=project["id"], as_of=before).json()
    assert [(d["rationale"], d["corrections"]) for d in listed_then["items"]] == [
        ("board: fund", [])]


def test_corrections_chain_each_before_the_last_after_and_a_blank_meeting_removes_it(
    api: Api,
) -> None:
    project = api.project(api.portfolio()["id"])
    funded = decided(api, project, "fund", amount="100", meeting="Q1")

    correct(api, funded["id"], rationale="first", reason="one")
    last = correct(api, funded["id"], meeting="", reason="two").json()

    assert (last["rationale"], last["meeting"]) == ("first", None)
    assert [(c["before"], c["after"]) for c in last["corrections"]] == [
        ({"rationale": "board: fund", "meeting": "Q1"}, {"rationale": "first", "meeting": "Q1"}),
        ({"rationale": "first", "meeting": "Q1"}, {"rationale": "first", "meeting": None}),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"rationale": "x", "reason": " "}, "body.reason"),
     ({"rationale": "x"}, "body.reason"),
     ({"reason": "why"}, "body.rationale"),
     ({"rationale": "", "reason": "why"}, "body.rationale"),
     ({"rationale": "x", "reason": "why", "actor": "someone"}, "body.actor")],
    ids=["blank-reason", "no-reason", "nothing-to-correct", "blank-rationale", "an-actor"],
)
def test_an_invalid_correction_is_a_422_naming_the_field_and_records_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    funded = decided(api, api.project(api.portfolio()["id"]), "fund", amount="100")
    events = api.events()

    response = correct(api, funded["id"], **body)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert api.events() == events


def test_a_correction_or_rescission_of_an_unknown_decision_is_a_404(api: Api) -> None:
    unknown = str(uuid4())

    assert correct(api, unknown, rationale="x", reason="y").status_code == 404
    assert rescind(api, unknown).status_code == 404
    assert rescind(api, "not-an-id").status_code == 404


# Rescission


def test_rescinding_a_fund_restores_the_composition_exactly_and_as_of_shows_both(
    api_on_store: Api,
) -> None:
    api = api_on_store
    portfolio = api.portfolio(budget="1000000")
    other = api.project(portfolio["id"], code="B")
    decided(api, other, "fund", amount="250000")
    project = api.project(portfolio["id"], code="A")
    api.report(other["id"])
    before = composition(api, portfolio["id"])
    funded = decided(api, project, "fund", amount="300000.50")
    funded_at = now()

    response = rescind(api, funded["id"], meeting="Extraordinary board")

    assert response.status_code == 201, response.text
    rescission = response.json()
    assert response.headers["Location"] == f"/v1/decisions/{rescission['id']}"
    assert rescission["kind"] == "rescind" and rescission["rescinds"] == funded["id"]
    assert (rescission["status_before"], rescission["status_after"]) == ("active", "proposed")
    assert rescission["rationale"] == "recorded in error"
    assert rescission["meeting"] == "Extraordinary board"
    assert rescission["released"] == "300000.50" and rescission["amount"] is None
    assert rescission["decided_by"] == "board"
    assert rescission["evidence"]["project_version"] == funded["evidence"]["project_version"] + 1
    assert rescission["evidence"]["status"] == "active"
    assert composition(api, portfolio["id"]) == before
    assert api.get(f"/v1/projects/{project['id']}").json()["status"] == "proposed"
    assert api.get(f"/v1/projects/{project['id']}").json()["funded"] == "0.00"
    assert api.get(f"/v1/decisions/{funded['id']}").json()["rescinded_by"] == rescission["id"]
    # as of before the rescission: funded, not rescinded
    then = composition(api, portfolio["id"], as_of=funded_at)
    assert (then["allocated"], then["available"]) == ("550000.50", "449999.50")
    assert api.get(f"/v1/decisions/{funded['id']}", as_of=funded_at).json()[
        "rescinded_by"] is None
    log = api.get("/v1/decisions", portfolio_id=portfolio["id"], as_of=funded_at).json()
    assert [d["kind"] for d in log["items"]] == ["fund", "fund"]
    log = api.get("/v1/decisions", portfolio_id=portfolio["id"]).json()
    assert [d["kind"] for d in log["items"]] == ["fund", "fund", "rescind"]
    assert [d["id"] for d in api.get("/v1/decisions", kind="rescind").json()["items"]] == [
        rescission["id"]]


def test_rescinding_a_top_up_keeps_the_earlier_funding(api: Api) -> None:
    portfolio = api.portfolio(budget="1000000")
    project = api.project(portfolio["id"])
    decided(api, project, "fund", amount="100000")
    before = composition(api, portfolio["id"])
    top_up = decided(api, project, "fund", amount="50000")

    rescission = rescind(api, top_up["id"]).json()

    assert (rescission["status_before"], rescission["status_after"]) == ("active", "active")
    assert composition(api, portfolio["id"]) == before
    assert api.get(f"/v1/projects/{project['id']}").json()["funded"] == "100000.00"


def test_rescinding_a_discontinue_allocates_its_release_again(api: Api) -> None:
    portfolio = api.portfolio(budget="1000000")
    project = api.project(portfolio["id"])
    decided(api, project, "fund", amount="400000")
    decided(api, project, "pause")
    before = composition(api, portfolio["id"])
    discontinued = decided(api, project, "discontinue")
    assert composition(api, portfolio["id"])["allocated"] == "0.00"

    rescission = rescind(api, discontinued["id"]).json()

    assert rescission["amount"] == "400000.00" and rescission["released"] is None
    assert (rescission["status_before"], rescission["status_after"]) == (
        "discontinued", "paused")
    assert composition(api, portfolio["id"]) == before


def test_a_discontinue_whose_release_no_longer_fits_the_budget_is_not_rescinded(
    api: Api,
) -> None:
    portfolio = api.portfolio(budget="1000000")
    first, second = (api.project(portfolio["id"], code=code) for code in ("A", "B"))
    decided(api, first, "fund", amount="600000")
    discontinued = decided(api, first, "discontinue")
    decided(api, second, "fund", amount="500000")
    events = api.events()

    response = rescind(api, discontinued["id"])

    assert response.status_code == 409
    assert response.json()["type"] == PROBLEMS + "budget-exceeded"
    assert response.json()["available"] == "500000.00"
    assert api.events() == events


def test_pause_and_resume_rescinded_bring_the_status_back(api: Api) -> None:
    project = api.project(api.portfolio()["id"])
    decided(api, project, "fund", amount="100")
    paused = decided(api, project, "pause")
    assert rescind(api, paused["id"]).json()["status_after"] == "active"
    paused = decided(api, project, "pause")
    resumed = decided(api, project, "resume")

    assert rescind(api, resumed["id"]).json()["status_after"] == "paused"
    assert api.get(f"/v1/projects/{project['id']}").json()["status"] == "paused"
    del paused


def test_only_the_latest_decision_can_be_rescinded_and_never_a_rescission(
    api_on_store: Api,
) -> None:
    api = api_on_store
    project = api.project(api.portfolio()["id"])
    funded = decided(api, project, "fund", amount="100")
    paused = decided(api, project, "pause")
    events = api.events()

    not_latest = rescind(api, funded["id"])
    rescission = rescind(api, paused["id"]).json()
    again = rescind(api, rescission["id"])
    twice = rescind(api, paused["id"])

    assert not_latest.status_code == 409
    assert not_latest.json()["type"] == PROBLEMS + "not-latest"
    assert not_latest.json()["latest"] == paused["id"]
    assert again.status_code == 409
    assert again.json()["type"] == PROBLEMS + "rescission-not-rescindable"
    assert twice.status_code == 409 and twice.json()["type"] == PROBLEMS + "not-latest"
    assert api.events() == events + 2  # the one rescission, both its halves


def test_a_rescission_is_dated_as_decisions_are(api: Api) -> None:
    project = api.project(api.portfolio()["id"], proposed_on=days_ago(10))
    funded = decided(api, project, "fund", amount="100", decided_on=days_ago(5))

    early = rescind(api, funded["id"], decided_on=days_ago(6))
    future = rescind(api, funded["id"], decided_on=days_ago(-1))
    blank = rescind(api, funded["id"], reason="  ")
    dated = rescind(api, funded["id"], decided_on=days_ago(5))

    assert early.status_code == 409
    assert early.json()["type"] == PROBLEMS + "business-date-out-of-order"
    assert early.json()["latest"] == days_ago(5)
    assert future.status_code == 422
    assert blank.status_code == 422
    assert "body.reason" in [error["field"] for error in blank.json()["errors"]]
    assert dated.status_code == 201 and dated.json()["decided_on"] == days_ago(5)


def test_effective_on_before_a_rescissions_date_shows_the_decision_in_force(api: Api) -> None:
    portfolio = api.portfolio(budget="1000", created_on=days_ago(10))
    project = api.project(portfolio["id"], proposed_on=days_ago(10))
    funded = decided(api, project, "fund", amount="400", decided_on=days_ago(8))

    rescind(api, funded["id"], decided_on=days_ago(3))

    earlier = composition(api, portfolio["id"], effective_on=days_ago(5))
    assert (earlier["allocated"], earlier["by_status"]["active"]["funded"]) == (
        "400.00", "400.00")
    assert composition(api, portfolio["id"], effective_on=days_ago(2))["allocated"] == "0.00"
    then = api.get(f"/v1/decisions/{funded['id']}", effective_on=days_ago(5)).json()
    assert then["rescinded_by"] is None
    log = api.get("/v1/decisions", project_id=project["id"], effective_on=days_ago(5)).json()
    assert [d["kind"] for d in log["items"]] == ["fund"]
    health = api.get(f"/v1/projects/{project['id']}", effective_on=days_ago(5)).json()
    assert (health["status"], health["funded"]) == ("active", "400.00")


def test_a_rescission_takes_if_match_as_a_decision_does(api: Api) -> None:
    project = api.project(api.portfolio()["id"])
    funded = decided(api, project, "fund", amount="100")

    stale = api.post(f"/v1/decisions/{funded['id']}/rescission", {"reason": "x"},
                     Role.BOARD, If_Match='"1"')

    assert stale.status_code == 412


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MANAGER, Role.AUDITOR], ids=str)
def test_only_the_board_corrects_and_rescinds(api: Api, role: Role) -> None:
    funded = decided(api, api.project(api.portfolio()["id"]), "fund", amount="100")
    events = api.events()

    corrected = correct(api, funded["id"], role, rationale="x", reason="y")
    rescinded = rescind(api, funded["id"], role)

    assert (corrected.status_code, rescinded.status_code) == (403, 403)
    assert api.events() == events


def test_the_decisions_endpoint_does_not_take_a_rescind(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    response = api.decide(project, "rescind")

    assert response.status_code == 422
    assert "body.kind" in [error["field"] for error in response.json()["errors"]]


def test_the_event_log_holds_the_original_decision_unchanged_beside_its_amendments(
    api: Api,
) -> None:
    project = api.project(api.portfolio()["id"])
    funded = decided(api, project, "fund", amount="100")
    original = [e for e in api.get("/v1/events", limit=1000).json()["items"]
                if e["position"] == funded["position"]]

    correct(api, funded["id"], rationale="better words", reason="clarity")
    rescission = rescind(api, funded["id"]).json()

    log = api.get("/v1/events", limit=1000).json()["items"]
    assert [e for e in log if e["position"] == funded["position"]] == original
    kinds = [e["type"] for e in log[-3:]]
    assert kinds == ["DecisionCorrected", "DecisionRescinded", "DecisionApplied"]
    assert log[-3]["data"]["decision_id"] == funded["id"]
    assert log[-2]["data"]["rescinds"] == funded["id"]
    assert log[-2]["data"]["decision_id"] == rescission["id"]
