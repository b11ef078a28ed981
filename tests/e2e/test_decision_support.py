"""Decision support over HTTP: weights (direct and AHP), assessments and scores under weights
that change over time, the ranking, scenarios proven optimal against brute force, the frontier,
decisions advised by a scenario, and who may do what."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from decimal import Decimal
from itertools import combinations
from typing import Any

import pytest
from e2e_support import Api, days_ago

from api.auth.tokens import Role

OBJECTIVES = [{"key": "growth", "title": "Growth", "weight": 3},
              {"key": "risk", "title": "Lower risk", "weight": 1}]


def scored_portfolio(api: Api, budget: str = "1000000.00", **terms: Any) -> dict[str, Any]:
    return api.portfolio(budget=budget, objectives=OBJECTIVES, created_on=days_ago(100), **terms)


def assess(api: Api, project_id: str, scores: dict[str, Any], role: Role = Role.BOARD,
           **terms: Any) -> Any:
    return api.post(f"/v1/projects/{project_id}/assessments",
                    {"scores": scores, "rationale": "scored at the review", **terms}, role)


def weigh(api: Api, portfolio_id: str, role: Role = Role.BOARD, **terms: Any) -> Any:
    return api.post(f"/v1/portfolios/{portfolio_id}/weights",
                    {"rationale": "the strategy review", **terms}, role)


def scenario(api: Api, portfolio_id: str, role: Role = Role.BOARD, **terms: Any) -> Any:
    return api.post(f"/v1/portfolios/{portfolio_id}/scenarios",
                    {"name": "What fits", **terms}, role)


def instant() -> str:
    time.sleep(0.01)  # the next write is recorded strictly after this instant
    now = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    return now


def scores_of(api: Api, portfolio_id: str, **params: Any) -> dict[str, str | None]:
    response = api.get(f"/v1/portfolios/{portfolio_id}/ranking", Role.VIEWER, **params)
    assert response.status_code == 200, response.text
    return {item["code"]: item["score"] for item in response.json()["items"]}


def test_scores_read_under_the_weights_in_force_at_every_point(api_on_store: Api) -> None:
    api = api_on_store
    portfolio = scored_portfolio(api)
    pid = portfolio["id"]
    # Before any weights are set, the objectives' own weights are in force, normalised.
    assert portfolio["weights"]["weights"] == {"growth": "0.750000", "risk": "0.250000"}
    assert portfolio["weights"]["method"] == "objectives"
    grow = api.project(pid, code="GROW", proposed_on=days_ago(90))
    safe = api.project(pid, code="SAFE", proposed_on=days_ago(90))
    assessed = assess(api, grow["id"], {"growth": 4}, assessed_on=days_ago(80),
                      benefit="500000.00")
    assert assessed.status_code == 201, assessed.text
    assert assessed.json()["score"] == "3.0000"
    assert assessed.json()["benefit"] == "500000.00"
    assert assess(api, safe["id"], {"risk": 4}, Role.MANAGER,
                  assessed_on=days_ago(80)).status_code == 201
    before_weights = instant()

    # The board weighs both objectives the same from 50 days ago, then, by comparison, risk
    # three times growth from 20 days ago.
    equal = weigh(api, pid, weights={"growth": 1, "risk": 1}, decided_on=days_ago(50))
    assert equal.status_code == 201, equal.text
    assert equal.json()["weights"]["weights"] == {"growth": "0.500000", "risk": "0.500000"}
    between = instant()
    ahp = weigh(api, pid, comparisons=[{"more": "risk", "less": "growth", "ratio": 3}],
                decided_on=days_ago(20))
    assert ahp.status_code == 201, ahp.text
    in_force = ahp.json()["weights"]
    assert in_force["method"] == "ahp" and in_force["consistency_ratio"] == "0.0000"
    assert in_force["weights"] == {"growth": "0.250000", "risk": "0.750000"}
    assert in_force["set_by"] == "board" and in_force["decided_on"] == days_ago(20)

    assert scores_of(api, pid) == {"SAFE": "3.0000", "GROW": "1.0000"}
    assert scores_of(api, pid, effective_on=days_ago(30)) == {"GROW": "2.0000", "SAFE": "2.0000"}
    assert scores_of(api, pid, effective_on=days_ago(60)) == {"GROW": "3.0000", "SAFE": "1.0000"}
    assert scores_of(api, pid, effective_on=days_ago(85)) == {"GROW": None, "SAFE": None}
    assert scores_of(api, pid, as_of=before_weights) == {"GROW": "3.0000", "SAFE": "1.0000"}
    assert scores_of(api, pid, as_of=between) == {"GROW": "2.0000", "SAFE": "2.0000"}
    assert scores_of(api, pid, as_of=between, effective_on=days_ago(60)) == {
        "GROW": "3.0000", "SAFE": "1.0000"}

    # A later assessment counts from its own date; the earlier one still reads before it.
    assert assess(api, grow["id"], {"growth": 5, "risk": 5}, assessed_on=days_ago(10)
                  ).status_code == 201
    assert scores_of(api, pid)["GROW"] == "5.0000"
    assert scores_of(api, pid, effective_on=days_ago(15))["GROW"] == "1.0000"
    project = api.get(f"/v1/projects/{grow['id']}", Role.VIEWER).json()
    assert project["score"] == "5.0000" and project["benefit"] is None
    assert api.get(f"/v1/projects/{grow['id']}", effective_on=days_ago(30)
                   ).json()["score"] == "2.0000"
    listed = api.get("/v1/projects", portfolio_id=pid).json()["items"]
    assert {p["code"]: p["score"] for p in listed} == {"GROW": "5.0000", "SAFE": "3.0000"}
    past = api.get(f"/v1/portfolios/{pid}", effective_on=days_ago(30)).json()
    assert past["weights"]["weights"] == {"growth": "0.500000", "risk": "0.500000"}


def test_weights_refuse_inconsistent_comparisons_unless_accepted(api: Api) -> None:
    three = [*OBJECTIVES, {"key": "reach", "title": "Reach", "weight": 1}]
    pid = api.portfolio(objectives=three)["id"]
    cycle = [{"more": "growth", "less": "risk", "ratio": 9},
             {"more": "risk", "less": "reach", "ratio": 9},
             {"more": "reach", "less": "growth", "ratio": 9}]
    events = api.events()
    refused = weigh(api, pid, comparisons=cycle)
    assert refused.status_code == 422
    body = refused.json()
    assert body["type"].endswith("/inconsistent-comparisons")
    assert Decimal(body["consistency_ratio"]) > Decimal("0.10")
    assert api.events() == events
    accepted = weigh(api, pid, comparisons=cycle, accept_inconsistent=True)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["weights"]["consistency_ratio"] == body["consistency_ratio"]
    assert len(accepted.json()["weights"]["comparisons"]) == 3

    missing = weigh(api, pid, comparisons=cycle[:2])
    assert missing.status_code == 422 and missing.json()["type"].endswith("/invalid-input")
    both = weigh(api, pid, weights={"growth": 1}, comparisons=cycle)
    assert both.status_code == 422
    unknown = weigh(api, pid, weights={"nope": 1})
    assert unknown.status_code == 422
    future = weigh(api, pid, weights={"growth": 1}, decided_on="2999-01-01")
    assert future.status_code == 422
    assert api.events() == events + 1


def test_assessments_refuse_unknown_objectives_and_scores_out_of_range(api: Api) -> None:
    pid = scored_portfolio(api)["id"]
    project = api.project(pid, code="P")
    for scores in ({"nope": 3}, {"growth": 6}, {"growth": -1}, {"growth": 2.5},
                   {"growth": "3"}):
        refused = assess(api, project["id"], scores)
        assert refused.status_code == 422, (scores, refused.text)
    assert assess(api, project["id"], {"growth": 3}, Role.AUDITOR).status_code == 403
    stale = api.post(f"/v1/projects/{project['id']}/assessments",
                     {"scores": {"growth": 3}, "rationale": "r"}, Role.BOARD, If_Match='"9"')
    assert stale.status_code == 412


def brute_force(items: list[dict[str, Any]], budget: Decimal,
                include: set[str], exclude: set[str],
                requires: list[tuple[str, str]]) -> Decimal:
    best = Decimal(-1)
    for size in range(len(items) + 1):
        for chosen in combinations(items, size):
            ids = {item["project_id"] for item in chosen}
            if sum(Decimal(item["cost"]) for item in chosen) > budget:
                continue
            if not include <= ids or ids & exclude:
                continue
            if any(project in ids and needs not in ids for project, needs in requires):
                continue
            best = max(best, sum((Decimal(item["score"] or 0) for item in chosen), Decimal(0)))
    return best


def test_a_scenario_is_the_proven_optimum_and_says_what_changes(api_on_store: Api) -> None:
    api = api_on_store
    pid = scored_portfolio(api, budget="1000000.00")["id"]
    rng = random.Random(15)
    projects = []
    for index in range(8):
        project = api.project(pid, code=f"P{index}",
                              requested_budget=f"{rng.randint(5, 40) * 10000}.00")
        assess(api, project["id"], {"growth": rng.randint(0, 5), "risk": rng.randint(0, 5)})
        projects.append(project)
    for project in projects[:3]:  # three in delivery: the plan of record
        api.fund(project, "10000.00")
    ranking = api.get(f"/v1/portfolios/{pid}/ranking").json()["items"]
    assert [item["rank"] for item in ranking] == list(range(1, 9))
    assert [Decimal(item["score"]) for item in ranking] == sorted(
        (Decimal(item["score"]) for item in ranking), reverse=True)
    ids = [p["id"] for p in projects]

    include, exclude = {ids[4]}, {ids[0]}
    requires = [(ids[5], ids[6])]
    for budget in ("300000.00", "600000.00", "1000000.00"):
        made = scenario(api, pid, budget=budget, include=sorted(include), exclude=sorted(exclude),
                        requires=[{"project": p, "needs": n} for p, n in requires])
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["status"] == "optimal" and "HiGHS" in body["solver"]
        assert Decimal(body["total_value"]) == brute_force(ranking, Decimal(budget), include,
                                                           exclude, requires)
        selected = set(body["selected"])
        assert include <= selected and not selected & exclude
        assert Decimal(body["total_cost"]) <= Decimal(budget)
        delivering = set(ids[:3])
        assert set(body["changes"]["start"]) == selected - delivering
        assert set(body["changes"]["stop"]) == delivering - selected
        assert set(body["changes"]["keep"]) == selected & delivering
        assert made.headers["Location"] == f"/v1/scenarios/{body['id']}"
        read = api.get(f"/v1/scenarios/{body['id']}", Role.AUDITOR).json()
        assert read["selected"] == body["selected"] and read["inputs"]["budget"] == budget

    listed = api.get(f"/v1/portfolios/{pid}/scenarios", Role.MANAGER).json()["items"]
    assert len(listed) == 3 and all(item["name"] == "What fits" for item in listed)


def test_infeasible_constraints_are_a_422_naming_them(api: Api) -> None:
    pid = scored_portfolio(api, budget="100000.00")["id"]
    big = api.project(pid, code="BIG", requested_budget="90000.00")
    other = api.project(pid, code="OTHER", requested_budget="50000.00")
    events = api.events()
    both = scenario(api, pid, include=[big["id"], other["id"]])
    assert both.status_code == 422
    assert both.json()["type"].endswith("/infeasible")
    assert "include" in " ".join(both.json()["constraints"])
    pinned = scenario(api, pid, include=[big["id"]], exclude=[big["id"]])
    assert pinned.status_code == 422 and pinned.json()["constraints"]
    stranger = scenario(api, pid, include=["00000000-0000-0000-0000-000000000000"])
    assert stranger.status_code == 422 and stranger.json()["type"].endswith("/invalid-input")
    assert api.events() == events


def test_the_frontier_never_falls_and_marks_the_plan_of_record(api: Api) -> None:
    pid = scored_portfolio(api)["id"]
    for index, (cost, growth) in enumerate([("100000.00", 5), ("200000.00", 3),
                                            ("300000.00", 4)]):
        project = api.project(pid, code=f"F{index}", requested_budget=cost)
        assess(api, project["id"], {"growth": growth})
        if index == 1:
            api.fund(project, "10000.00")
    found = api.get(f"/v1/portfolios/{pid}/frontier", Role.VIEWER, points=4)
    assert found.status_code == 200, found.text
    points = found.json()["points"]
    assert [p["budget"] for p in points] == ["0.00", "200000.00", "400000.00", "600000.00"]
    assert [p["value"] for p in points] == ["0.0000", "3.7500", "6.7500", "9.0000"]
    assert [p["selected_count"] for p in points] == [0, 1, 2, 3]
    assert found.json()["plan_of_record"] == {"cost": "200000.00", "value": "2.2500",
                                              "selected_count": 1}
    assert api.get(f"/v1/portfolios/{pid}/frontier", points=1).status_code == 422
    assert api.get(f"/v1/portfolios/{pid}/frontier", points=51).status_code == 422
    assert api.get(f"/v1/portfolios/{pid}/frontier", maximize="cost").status_code == 422
    by_benefit = api.get(f"/v1/portfolios/{pid}/frontier", maximize="benefit", points=2).json()
    assert [p["value"] for p in by_benefit["points"]] == ["0.00", "0.00"]


def test_a_decision_advised_by_a_scenario_shows_it(api_on_store: Api) -> None:
    api = api_on_store
    portfolio = scored_portfolio(api)
    project = api.project(portfolio["id"], code="ADV")
    assess(api, project["id"], {"growth": 5})
    advised = scenario(api, portfolio["id"], name="Forty million").json()
    decided = api.decide(project, "fund", Role.BOARD, amount="250000.00",
                         scenario_id=advised["id"])
    assert decided.status_code == 201, decided.text
    assert decided.json()["advised_by"] == {"id": advised["id"], "name": "Forty million"}
    assert decided.json()["evidence"]["scenario_id"] == advised["id"]
    logged = api.get("/v1/decisions", portfolio_id=portfolio["id"]).json()["items"]
    assert logged[0]["advised_by"]["name"] == "Forty million"

    other = scored_portfolio(api)
    elsewhere = api.project(other["id"], code="ELSE")
    for cited in (advised["id"], "00000000-0000-0000-0000-000000000000"):
        refused = api.decide(elsewhere, "fund", Role.BOARD, amount="1.00", scenario_id=cited)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "body.scenario_id"


def test_scenarios_are_in_the_sealed_log_and_the_audit_bundle(api_on_store: Api) -> None:
    api = api_on_store
    pid = scored_portfolio(api)["id"]
    project = api.project(pid, code="SEAL")
    assess(api, project["id"], {"risk": 2})
    made = scenario(api, pid).json()
    events = api.get("/v1/events", Role.AUDITOR, limit=1000).json()["items"]
    recorded = [e for e in events if e["type"] == "ScenarioRecorded"]
    assert [e["originator_id"] for e in recorded] == [made["id"]]
    assert recorded[0]["data"]["result"]["selected"] == [project["id"]]
    assert "HiGHS" in recorded[0]["data"]["solver"]
    assert {"ProjectAssessed", "PortfolioCreated"} <= {e["type"] for e in events}
    verified = api.get("/v1/audit/verify", Role.AUDITOR)
    assert verified.status_code == 200, verified.text
    assert verified.json()["ok"] is True
    bundle = api.get("/v1/audit/export", Role.AUDITOR)
    assert bundle.status_code == 200
    assert '"ScenarioRecorded"' in bundle.text and made["id"] in bundle.text
    own = api.get("/v1/audit/export", Role.AUDITOR, portfolio_id=pid)
    assert own.status_code == 200
    assert '"ScenarioRecorded"' in own.text and made["id"] in own.text
    elsewhere = scored_portfolio(api)["id"]
    other = api.get("/v1/audit/export", Role.AUDITOR, portfolio_id=elsewhere)
    assert '"ScenarioRecorded"' not in other.text


WRITES = {
    Role.BOARD: {"weights", "assessment", "scenario"},
    Role.MANAGER: {"assessment"},
}


@pytest.mark.parametrize("role", list(Role))
def test_the_role_matrix_of_decision_support(api: Api, role: Role) -> None:
    portfolio = scored_portfolio(api)
    pid = portfolio["id"]
    project = api.project(pid, code="ROLE")
    allowed = WRITES.get(role, set()) | ({"weights", "assessment", "scenario"}
                                         if role is Role.ADMIN else set())
    writes = {
        "weights": lambda: weigh(api, pid, role, weights={"growth": 1}),
        "assessment": lambda: assess(api, project["id"], {"growth": 1}, role),
        "scenario": lambda: scenario(api, pid, role),
    }
    for name, write in writes.items():
        answer = write()
        assert answer.status_code == (201 if name in allowed else 403), (name, answer.text)
    made = scenario(api, pid, Role.BOARD).json()
    for path in (f"/v1/portfolios/{pid}/ranking", f"/v1/portfolios/{pid}/frontier",
                 f"/v1/portfolios/{pid}/scenarios", f"/v1/scenarios/{made['id']}"):
        assert api.get(path, role).status_code == 200, path
        assert api.get(path, None).status_code == 401, path


def test_reads_of_unknown_portfolios_and_scenarios_are_404(api: Api) -> None:
    nobody = "00000000-0000-0000-0000-000000000000"
    for path in (f"/v1/portfolios/{nobody}/ranking", f"/v1/portfolios/{nobody}/frontier",
                 f"/v1/portfolios/{nobody}/scenarios", f"/v1/scenarios/{nobody}"):
        assert api.get(path).status_code == 404, path
    assert weigh(api, nobody, weights={"a": 1}).status_code == 404
    assert scenario(api, nobody).status_code == 404


def test_a_motion_may_cite_the_scenario_that_advised_it(api: Api) -> None:
    portfolio = scored_portfolio(api, policy={"approvals_required": 1, "motion_days": 30})
    project = api.project(portfolio["id"], code="MOT")
    assess(api, project["id"], {"growth": 4})
    advised = scenario(api, portfolio["id"], name="Spring round").json()
    proposer = api.tokens.create("board:proposer", Role.BOARD)

    moved = api.client.post(
        f"/v1/portfolios/{portfolio['id']}/motions",
        json={"kind": "fund", "project_id": project["id"], "amount": "100000",
              "rationale": "As the scenario advised", "scenario_id": advised["id"]},
        headers={"Authorization": f"Bearer {proposer}"})
    assert moved.status_code == 201, moved.text
    assert moved.json()["evidence"]["scenario_id"] == advised["id"]
    unknown = api.client.post(
        f"/v1/portfolios/{portfolio['id']}/motions",
        json={"kind": "fund", "project_id": project["id"], "amount": "1",
              "rationale": "x", "scenario_id": "00000000-0000-0000-0000-000000000000"},
        headers={"Authorization": f"Bearer {proposer}"})
    assert unknown.status_code == 422

    carried = api.post(f"/v1/motions/{moved.json()['id']}/votes", {"vote": "approve"}, Role.BOARD)
    assert carried.status_code == 201, carried.text
    decision = api.get(f"/v1/decisions/{carried.json()['decision_id']}").json()
    assert decision["advised_by"] == {"id": advised["id"], "name": "Spring round"}
    assert decision["motion_id"] == moved.json()["id"]
