"""Governance over HTTP: policies, budget revisions, policy changes, motions and their votes,
the roles that may do each, and the decision log that shows them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from e2e_support import Api, days_ago

from api.auth.tokens import Role

PROBLEMS = "https://portfolio-ledger.dev/problems/"


class Member:
    """A named board member (their own token), speaking through the API."""

    def __init__(self, api: Api, name: str, role: Role = Role.BOARD) -> None:
        self.api = api
        self.name = name
        self.secret = api.tokens.create(name, role)

    def post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        response: httpx.Response = self.api.client.post(
            path, json=body, headers={"Authorization": f"Bearer {self.secret}", **headers})
        return response

    def propose(self, portfolio_id: str, if_match: str | None = None,
                **body: Any) -> httpx.Response:
        headers = {} if if_match is None else {"If-Match": if_match}
        return self.post(f"/v1/portfolios/{portfolio_id}/motions",
                         {"rationale": f"{self.name} moves it", **body}, **headers)

    def vote(self, motion_id: str, vote: str = "approve", **body: Any) -> httpx.Response:
        return self.post(f"/v1/motions/{motion_id}/votes", {"vote": vote, **body})


def governed(api: Api, approvals: int = 1, budget: str = "1000000.00") -> dict[str, Any]:
    return api.portfolio(budget=budget, policy={"approvals_required": approvals,
                                                "motion_days": 14})


def problem_type(response: httpx.Response) -> str:
    return str(response.json()["type"]).removeprefix(PROBLEMS)


# Policies on portfolio reads


def test_a_portfolio_shows_its_policy_with_the_defaults(api: Api) -> None:
    plain = api.portfolio()
    strict = governed(api, 2)

    assert plain["policy"] == {"approvals_required": 0, "motion_days": 30}
    assert strict["policy"] == {"approvals_required": 2, "motion_days": 14}
    listed = api.get("/v1/portfolios").json()["items"]
    assert [p["policy"]["approvals_required"] for p in listed] == [0, 2]


@pytest.mark.parametrize("policy", [{"approvals_required": 10}, {"approvals_required": -1},
                                    {"motion_days": 0}, {"motion_days": 366},
                                    {"approvals_required": "1"}, {"quorum": 2}])
def test_a_policy_out_of_range_is_a_422(api: Api, policy: dict[str, Any]) -> None:
    response = api.post("/v1/portfolios", {"name": "X", "budget": "10", "policy": policy})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("body.policy")


# Budget revisions and policy changes recorded at once


def test_a_budget_revision_is_a_decision_of_kind_budget_in_the_log(api: Api) -> None:
    portfolio = api.portfolio(budget="500000.00")
    before = api.events()

    response = api.post(f"/v1/portfolios/{portfolio['id']}/budget",
                        {"budget": "750000", "rationale": "Grant", "meeting": "Q2"},
                        Role.BOARD)

    assert response.status_code == 201, response.text
    decision = response.json()
    assert response.headers["Location"] == f"/v1/decisions/{decision['id']}"
    assert (decision["kind"], decision["project_id"]) == ("budget", None)
    assert (decision["budget_before"], decision["budget_after"]) == ("500000.00", "750000.00")
    assert decision["decided_by"] == "board"
    assert decision["status_before"] is None
    assert api.events() == before + 1
    assert api.get(f"/v1/portfolios/{portfolio['id']}").json()["budget"] == "750000.00"
    composition = api.get(f"/v1/portfolios/{portfolio['id']}/composition").json()
    assert (composition["budget"], composition["available"]) == ("750000.00", "750000.00")
    logged = api.get("/v1/decisions", kind="budget").json()["items"]
    assert [d["id"] for d in logged] == [decision["id"]]


def test_the_budget_follows_its_revision_by_recording_time_and_by_business_date(
    api: Api,
) -> None:
    portfolio = api.portfolio(budget="500000.00", created_on="2026-01-01")
    first = api.post(f"/v1/portfolios/{portfolio['id']}/budget",
                     {"budget": "800000", "rationale": "Grant", "decided_on": "2026-03-01"})
    assert first.status_code == 201, first.text
    path = f"/v1/portfolios/{portfolio['id']}"

    assert api.get(path, effective_on="2026-02-28").json()["budget"] == "500000.00"
    assert api.get(path, effective_on="2026-03-01").json()["budget"] == "800000.00"
    assert api.get(f"{path}/composition", effective_on="2026-02-01").json()["budget"] == \
        "500000.00"
    assert api.get(path, as_of=portfolio["created_at"]).json()["budget"] == "500000.00"
    assert api.get(path).json()["budget"] == "800000.00"


def test_a_budget_never_goes_below_what_is_allocated(api: Api) -> None:
    portfolio = api.portfolio(budget="500000.00")
    api.fund(api.project(portfolio["id"]), "300000.00")
    before = api.events()

    response = api.post(f"/v1/portfolios/{portfolio['id']}/budget",
                        {"budget": "299999.99", "rationale": "Cut"})

    assert response.status_code == 409
    assert problem_type(response) == "budget-below-allocated"
    assert (response.json()["budget"], response.json()["allocated"]) == (
        "299999.99", "300000.00")
    assert api.events() == before
    exact = api.post(f"/v1/portfolios/{portfolio['id']}/budget",
                     {"budget": "300000.00", "rationale": "Cut to the bone"})
    assert exact.status_code == 201


def test_a_policy_change_is_a_decision_of_kind_policy(api: Api) -> None:
    portfolio = api.portfolio()
    response = api.post(f"/v1/portfolios/{portfolio['id']}/policy",
                        {"approvals_required": 1, "motion_days": 7, "rationale": "Four eyes"})

    assert response.status_code == 201, response.text
    decision = response.json()
    assert decision["kind"] == "policy"
    assert decision["policy_before"] == {"approvals_required": 0, "motion_days": 30}
    assert decision["policy_after"] == {"approvals_required": 1, "motion_days": 7}
    assert api.get(f"/v1/portfolios/{portfolio['id']}").json()["policy"] == {
        "approvals_required": 1, "motion_days": 7}


# Under a policy that requires approvals


def test_direct_writes_under_approvals_are_a_409_naming_the_motions_endpoint(api: Api) -> None:
    portfolio = governed(api)
    project = api.project(portfolio["id"])
    before = api.events()
    motions = f"/v1/portfolios/{portfolio['id']}/motions"

    answers = [
        api.decide(project, "fund", amount="100"),
        api.post(f"/v1/portfolios/{portfolio['id']}/budget", {"budget": "2", "rationale": "r"}),
        api.post(f"/v1/portfolios/{portfolio['id']}/policy",
                 {"approvals_required": 0, "motion_days": 30, "rationale": "r"}),
    ]

    for response in answers:
        assert response.status_code == 409
        assert problem_type(response) == "approval-required"
        assert response.json()["motions"] == motions
        assert motions in response.json()["detail"]
    assert api.events() == before


def test_four_eyes_from_motion_to_decision(api: Api) -> None:
    ana, ben = Member(api, "board:ana"), Member(api, "board:ben")
    portfolio = governed(api)
    project = api.project(portfolio["id"])

    proposed = ana.propose(portfolio["id"], kind="fund", project_id=project["id"],
                           amount="150000", meeting="Q3", if_match=f'"{project["version"]}"')
    assert proposed.status_code == 201, proposed.text
    motion = proposed.json()
    assert proposed.headers["Location"] == f"/v1/motions/{motion['id']}"
    assert (motion["kind"], motion["amount"], motion["status"]) == ("fund", "150000.00", "open")
    assert (motion["proposed_by"], motion["required"]) == ("board:ana", 1)
    assert (motion["approvals"], motion["rejections"], motion["decision_id"]) == ([], [], None)
    assert motion["evidence"]["project_version"] == 1

    own = ana.vote(motion["id"])
    assert (own.status_code, problem_type(own)) == (409, "self-approval")

    carried = ben.vote(motion["id"], comment="Sound case")
    assert carried.status_code == 201, carried.text
    after = carried.json()
    assert after["status"] == "carried"
    assert [(a["name"], a["role"], a["meaning"], a["comment"]) for a in after["approvals"]] == [
        ("board:ben", "board", "approval", "Sound case")]
    again = ben.vote(motion["id"])
    assert (again.status_code, problem_type(again)) == (409, "motion-closed")

    decision = api.get(f"/v1/decisions/{after['decision_id']}").json()
    assert (decision["kind"], decision["amount"], decision["decided_by"]) == (
        "fund", "150000.00", "board:ben")
    assert (decision["motion_id"], decision["proposed_by"]) == (motion["id"], "board:ana")
    assert [(a["name"], a["role"], a["meaning"]) for a in decision["approved_by"]] == [
        ("board:ben", "board", "approval")]
    assert api.get(f"/v1/projects/{project['id']}").json()["status"] == "active"
    listed = api.get("/v1/motions", portfolio_id=portfolio["id"], status="carried").json()
    assert [m["id"] for m in listed["items"]] == [motion["id"]]
    assert api.get("/v1/motions", status="open").json()["items"] == []
    assert api.get(f"/v1/motions/{motion['id']}", as_of=motion["proposed_at"]).json()[
        "status"] == "open"


def test_a_motion_on_a_changed_project_lapses_and_a_vote_on_it_records_nothing(
    api: Api,
) -> None:
    ana, ben = Member(api, "board:ana"), Member(api, "board:ben")
    portfolio = api.portfolio()
    project = api.project(portfolio["id"])
    api.fund(project)
    api.post(f"/v1/portfolios/{portfolio['id']}/policy",
             {"approvals_required": 1, "motion_days": 30, "rationale": "Four eyes"})
    motion = ana.propose(portfolio["id"], kind="pause", project_id=project["id"]).json()
    assert api.report(project["id"]).status_code == 201
    before = api.events()

    response = ben.vote(motion["id"])

    assert response.status_code == 409
    assert problem_type(response) == "motion-closed"
    assert (response.json()["motion_status"], response.json()["reason"]) == (
        "lapsed", "evidence-changed")
    assert api.events() == before
    read = api.get(f"/v1/motions/{motion['id']}").json()
    assert (read["status"], read["reason"]) == ("lapsed", "evidence-changed")
    assert [m["id"] for m in api.get("/v1/motions", status="lapsed").json()["items"]] == [
        motion["id"]]


def test_a_stale_if_match_on_a_motion_is_a_412(api: Api) -> None:
    ana = Member(api, "board:ana")
    portfolio = governed(api)
    project = api.project(portfolio["id"])
    response = ana.propose(portfolio["id"], kind="fund", project_id=project["id"], amount="1",
                           if_match='"7"')
    assert response.status_code == 412


def test_rejection_withdrawal_and_who_may_withdraw(api: Api) -> None:
    ana, ben = Member(api, "board:ana"), Member(api, "board:ben")
    portfolio = governed(api)
    first = ana.propose(portfolio["id"], kind="budget", budget="2000000").json()
    second = ana.propose(portfolio["id"], kind="budget", budget="3000000").json()

    rejected = ben.vote(first["id"], "reject", comment="Too much")
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejections"][0]["meaning"] == "rejection"
    by_other = ben.post(f"/v1/motions/{second['id']}/withdrawal", {"reason": "mine now"})
    assert (by_other.status_code, problem_type(by_other)) == (403, "not-the-proposer")
    withdrawn = ana.post(f"/v1/motions/{second['id']}/withdrawal", {"reason": "Later"})
    assert withdrawn.status_code == 201
    assert (withdrawn.json()["status"], withdrawn.json()["withdrawn_by"]) == (
        "withdrawn", "board:ana")
    assert api.get(f"/v1/portfolios/{portfolio['id']}").json()["budget"] == "1000000.00"


def test_a_budget_motion_that_would_go_below_the_allocation_is_a_409_at_the_last_vote(
    api: Api,
) -> None:
    ana, ben = Member(api, "board:ana"), Member(api, "board:ben")
    portfolio = api.portfolio(budget="1000000.00")
    project = api.project(portfolio["id"])
    api.post(f"/v1/portfolios/{portfolio['id']}/policy",
             {"approvals_required": 1, "motion_days": 30, "rationale": "Four eyes"})
    cut = ana.propose(portfolio["id"], kind="budget", budget="100000").json()
    fund = ana.propose(portfolio["id"], kind="fund", project_id=project["id"],
                       amount="500000").json()
    assert ben.vote(fund["id"]).status_code == 201
    before = api.events()

    response = ben.vote(cut["id"])

    assert (response.status_code, problem_type(response)) == (409, "budget-below-allocated")
    assert api.events() == before
    assert api.get(f"/v1/motions/{cut['id']}").json()["status"] == "open"


def test_a_policy_motion_lowering_the_bar_takes_the_current_bar(api: Api) -> None:
    ana, ben, cy = (Member(api, f"board:{n}") for n in ("ana", "ben", "cy"))
    portfolio = governed(api, 2)
    lower = ana.propose(portfolio["id"], kind="policy",
                        policy={"approvals_required": 0, "motion_days": 30}).json()
    assert lower["required"] == 2
    assert ben.vote(lower["id"]).json()["status"] == "open"
    assert api.get(f"/v1/portfolios/{portfolio['id']}").json()["policy"][
        "approvals_required"] == 2
    assert cy.vote(lower["id"]).json()["status"] == "carried"
    assert api.get(f"/v1/portfolios/{portfolio['id']}").json()["policy"][
        "approvals_required"] == 0
    policy = api.get("/v1/decisions", kind="policy").json()["items"][0]
    assert [a["name"] for a in policy["approved_by"]] == ["board:ben", "board:cy"]


def test_a_motion_without_what_its_kind_needs_is_a_422(api: Api) -> None:
    portfolio = governed(api)
    for body in ({"kind": "fund", "amount": "1"}, {"kind": "budget"}, {"kind": "policy"}):
        response = api.post(f"/v1/portfolios/{portfolio['id']}/motions",
                            {"rationale": "r", **body}, Role.BOARD)
        assert response.status_code == 422, body


# Who may do what


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MANAGER, Role.AUDITOR])
def test_only_the_board_proposes_votes_withdraws_and_changes_budget_or_policy(
    api: Api, role: Role
) -> None:
    portfolio = governed(api)
    motion = api.post(f"/v1/portfolios/{portfolio['id']}/motions",
                      {"kind": "budget", "budget": "5", "rationale": "r"}, Role.BOARD).json()
    before = api.events()
    writes = [
        (f"/v1/portfolios/{portfolio['id']}/motions",
         {"kind": "budget", "budget": "5", "rationale": "r"}),
        (f"/v1/motions/{motion['id']}/votes", {"vote": "approve"}),
        (f"/v1/motions/{motion['id']}/withdrawal", {}),
        (f"/v1/portfolios/{portfolio['id']}/budget", {"budget": "5", "rationale": "r"}),
        (f"/v1/portfolios/{portfolio['id']}/policy",
         {"approvals_required": 0, "motion_days": 3, "rationale": "r"}),
    ]
    for path, body in writes:
        assert api.post(path, body, role).status_code == 403, path
    assert api.events() == before
    assert api.get("/v1/motions", role).status_code == 200
    assert api.get(f"/v1/motions/{motion['id']}", role).status_code == 200


def test_unknown_motions_are_404(api: Api) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert api.get(f"/v1/motions/{unknown}").status_code == 404
    assert api.post(f"/v1/motions/{unknown}/votes", {"vote": "approve"}).status_code == 404


# What a reviewer's bundle proves


def test_a_portfolios_bundle_holds_the_motion_its_votes_and_the_carried_decision(
    api: Api,
) -> None:
    ana, ben = Member(api, "board:ana"), Member(api, "board:ben")
    portfolio = governed(api)
    api.portfolio()  # another portfolio's events stay out
    project = api.project(portfolio["id"])
    motion = ana.propose(portfolio["id"], kind="fund", project_id=project["id"],
                         amount="1000").json()
    ben.vote(motion["id"], comment="Agreed")

    response = api.get("/v1/audit/export", Role.AUDITOR, portfolio_id=portfolio["id"])

    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    events = [line for line in lines if "type" in line]
    kinds = [e["type"] for e in events]
    assert kinds.count("Proposed") == 1 and "Voted" in kinds and "Carried" in kinds
    voted = next(e for e in events if e["type"] == "Voted")
    assert (voted["actor"], voted["data"]["role"], voted["data"]["meaning"]) == (
        "board:ben", "board", "approval")
    funded = next(e for e in events if e["type"] == "ProjectFunded")
    assert funded["data"]["proposed_by"] == "board:ana"
    assert [a["name"] for a in funded["data"]["approved_by"]] == ["board:ben"]
    assert "PortfolioCreated" in kinds and kinds.count("PortfolioCreated") == 1


def test_a_vote_retried_with_its_idempotency_key_records_it_once(api: Api) -> None:
    ana, ben = Member(api, "board:ana"), Member(api, "board:ben")
    portfolio = governed(api, 2)
    motion = ana.propose(portfolio["id"], kind="budget", budget="5000000").json()

    first = ben.post(f"/v1/motions/{motion['id']}/votes", {"vote": "approve"},
                     **{"Idempotency-Key": "vote-1"})
    events = api.events()
    again = ben.post(f"/v1/motions/{motion['id']}/votes", {"vote": "approve"},
                     **{"Idempotency-Key": "vote-1"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert api.events() == events


def test_motions_read_on_a_business_date_stand_as_at_its_end(api: Api) -> None:
    ana = Member(api, "board:ana")
    portfolio = governed(api)
    motion = ana.propose(portfolio["id"], kind="budget", budget="5000000").json()

    yesterday = api.get("/v1/motions", effective_on=days_ago(1)).json()
    today = api.get("/v1/motions", effective_on=days_ago(0)).json()

    assert yesterday["items"] == [] and yesterday["effective_on"] == days_ago(1)
    assert [m["id"] for m in today["items"]] == [motion["id"]]
    assert api.get(f"/v1/motions/{motion['id']}", effective_on=days_ago(1)).status_code == 404


# Rescission under a policy that requires approvals


def test_under_approvals_a_rescission_is_a_motion_of_kind_rescind_carried_by_another(
    api: Api,
) -> None:
    ana, ben = Member(api, "board:ana"), Member(api, "board:ben")
    portfolio = governed(api)
    project = api.project(portfolio["id"])
    funding = ana.propose(portfolio["id"], kind="fund", project_id=project["id"],
                          amount="150000").json()
    fund_id = ben.vote(funding["id"]).json()["decision_id"]
    before = api.get(f"/v1/portfolios/{portfolio['id']}/composition").json()

    direct = ana.post(f"/v1/decisions/{fund_id}/rescission", {"reason": "In error"})
    assert (direct.status_code, problem_type(direct)) == (409, "approval-required")
    unchanged = api.get(f"/v1/portfolios/{portfolio['id']}/composition").json()
    assert {**unchanged, "as_of": None} == {**before, "as_of": None}

    moved = ana.propose(portfolio["id"], kind="rescind", rescinds=fund_id,
                        rationale="Recorded in error")
    assert moved.status_code == 201, moved.text
    motion = moved.json()
    assert (motion["kind"], motion["rescinds"], motion["project_id"]) == (
        "rescind", fund_id, project["id"])
    carried = ben.vote(motion["id"], comment="Agreed")
    assert carried.status_code == 201, carried.text

    rescission = api.get(f"/v1/decisions/{carried.json()['decision_id']}").json()
    assert (rescission["kind"], rescission["rescinds"], rescission["released"]) == (
        "rescind", fund_id, "150000.00")
    assert (rescission["motion_id"], rescission["proposed_by"]) == (motion["id"], "board:ana")
    assert [a["name"] for a in rescission["approved_by"]] == ["board:ben"]
    assert api.get(f"/v1/decisions/{fund_id}").json()["rescinded_by"] == rescission["id"]
    after = api.get(f"/v1/portfolios/{portfolio['id']}/composition").json()
    assert (after["allocated"], after["available"]) == ("0.00", "1000000.00")
    assert api.get(f"/v1/projects/{project['id']}").json()["status"] == "proposed"


def test_a_motion_to_rescind_a_decision_that_is_not_the_latest_is_refused(api: Api) -> None:
    ana, ben = Member(api, "board:ana"), Member(api, "board:ben")
    portfolio = governed(api)
    project = api.project(portfolio["id"])
    fund = ben.vote(ana.propose(portfolio["id"], kind="fund", project_id=project["id"],
                                amount="1000").json()["id"]).json()["decision_id"]
    ben.vote(ana.propose(portfolio["id"], kind="pause", project_id=project["id"]).json()["id"])
    budget = api.post(f"/v1/portfolios/{api.portfolio()['id']}/budget",
                      {"budget": "5", "rationale": "Trim"}).json()

    stale = ana.propose(portfolio["id"], kind="rescind", rescinds=fund, rationale="Undo")
    missing = ana.propose(portfolio["id"], kind="rescind", rationale="Undo")
    other = ana.propose(portfolio["id"], kind="rescind", rescinds=budget["id"],
                        rationale="Undo")

    assert (stale.status_code, problem_type(stale)) == (409, "not-latest")
    assert missing.status_code == 422
    assert other.status_code == 422
