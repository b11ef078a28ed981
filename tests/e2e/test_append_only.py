"""No way round it: every way the API and the command line change the ledger only appends.

Each test snapshots the raw events table, drives every mutating route (found by enumerating the
app's routes, so a new route must be added here) or command, and checks that every earlier row
is byte-identical and that rows only grew.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Api, days_ago
from fastapi import FastAPI

from api.auth.tokens import Role
from api.cli import main
from api.settings import store_env
from domain.lifecycle import DecisionKind
from projections.service import LedgerService
from projections.store.database import Database

READ_ONLY = {"GET", "HEAD", "OPTIONS"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Call:
    """One valid request to a mutating route, and whether it should record events."""

    path: str
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    records: bool = True


Ids = dict[str, Any]

# For each mutating route: a request the ledger accepts. The dashboard's forms carry the
# session's CSRF token (ids["csrf"]); signing out, then in again, comes last and records nothing.
VALID: dict[tuple[str, str], Callable[[Api, Ids], Call]] = {
    ("POST", "/v1/portfolios"): lambda api, ids: Call(
        "/v1/portfolios", {"name": "Another", "budget": "500000"}),
    ("POST", "/v1/projects"): lambda api, ids: Call(
        "/v1/projects", {"portfolio_id": ids["portfolio"], "name": "New", "code": "N",
                         "requested_budget": "1000"}),
    ("POST", "/v1/projects/{project_id}/status-reports"): lambda api, ids: Call(
        f"/v1/projects/{ids['active']}/status-reports",
        {"period_end": days_ago(1), "schedule": "green", "cost": "amber", "scope": "green"}),
    ("POST", "/v1/projects/{project_id}/completion"): lambda api, ids: Call(
        f"/v1/projects/{ids['finishing']}/completion", {"summary": "Delivered"}),
    ("POST", "/v1/portfolios/{portfolio_id}/decisions"): lambda api, ids: Call(
        f"/v1/portfolios/{ids['portfolio']}/decisions",
        {"project_id": ids["proposed"], "kind": "fund", "amount": "1000", "rationale": "Go"}),
    ("POST", "/v1/decisions/{decision_id}/corrections"): lambda api, ids: Call(
        f"/v1/decisions/{ids['active_funding']}/corrections",
        {"rationale": "Business case approved", "reason": "a typo"}),
    ("POST", "/v1/decisions/{decision_id}/rescission"): lambda api, ids: Call(
        f"/v1/decisions/{ids['rescinded_funding']}/rescission", {"reason": "in error"}),
    ("POST", "/projects/{project_id}/decisions"): lambda api, ids: Call(
        f"/projects/{ids['paused_later']}/decisions",
        form={"csrf": ids["csrf"], "kind": "pause", "rationale": "Wait", "version": "2"}),
    ("POST", "/decisions/{decision_id}/corrections"): lambda api, ids: Call(
        f"/decisions/{ids['active_funding']}/corrections",
        form={"csrf": ids["csrf"], "rationale": "Corrected on the page", "meeting": "",
              "reason": "a typo"}),
    ("POST", "/decisions/{decision_id}/rescission"): lambda api, ids: Call(
        f"/decisions/{ids['page_rescinded_funding']}/rescission",
        form={"csrf": ids["csrf"], "reason": "in error", "decided_on": "", "meeting": "",
              "version": "2"}),
    ("POST", "/v1/portfolios/{portfolio_id}/budget"): lambda api, ids: Call(
        f"/v1/portfolios/{ids['portfolio']}/budget", {"budget": "5000000", "rationale": "Grant"}),
    ("POST", "/v1/portfolios/{portfolio_id}/policy"): lambda api, ids: Call(
        f"/v1/portfolios/{ids['portfolio']}/policy",
        {"approvals_required": 0, "motion_days": 10, "rationale": "Shorter motions"}),
    ("POST", "/v1/portfolios/{portfolio_id}/motions"): lambda api, ids: Call(
        f"/v1/portfolios/{ids['portfolio']}/motions",
        {"kind": "budget", "budget": "6000000", "rationale": "Another grant"}),
    ("POST", "/v1/motions/{motion_id}/votes"): lambda api, ids: Call(
        f"/v1/motions/{ids['to_vote']}/votes", {"vote": "approve", "comment": "Agreed"}),
    ("POST", "/v1/motions/{motion_id}/withdrawal"): lambda api, ids: Call(
        f"/v1/motions/{ids['to_withdraw']}/withdrawal", {"reason": "Later"}),
    ("POST", "/projects/{project_id}/motions"): lambda api, ids: Call(
        f"/projects/{ids['active']}/motions",
        form={"csrf": ids["csrf"], "kind": "pause", "rationale": "Review first",
              "version": str(api.get(f"/v1/projects/{ids['active']}").json()["version"])}),
    ("POST", "/motions/{motion_id}/votes"): lambda api, ids: Call(
        f"/motions/{ids['to_vote_on_the_page']}/votes",
        form={"csrf": ids["csrf"], "vote": "reject", "comment": "Not now"}),
    ("POST", "/v1/portfolios/{portfolio_id}/weights"): lambda api, ids: Call(
        f"/v1/portfolios/{ids['scored']}/weights",
        {"weights": {"growth": 3, "risk": 1}, "rationale": "Growth first"}),
    ("POST", "/v1/projects/{project_id}/assessments"): lambda api, ids: Call(
        f"/v1/projects/{ids['assessed']}/assessments",
        {"scores": {"growth": 4, "risk": 2}, "rationale": "At the review"}),
    ("POST", "/v1/portfolios/{portfolio_id}/scenarios"): lambda api, ids: Call(
        f"/v1/portfolios/{ids['scored']}/scenarios", {"name": "What fits"}),
    ("POST", "/portfolios/{portfolio_id}/weights"): lambda api, ids: Call(
        f"/portfolios/{ids['scored']}/weights",
        form={"csrf": ids["csrf"], "rationale": "From the page", "pair-0": "growth:3"}),
    ("POST", "/projects/{project_id}/assessments"): lambda api, ids: Call(
        f"/projects/{ids['assessed']}/assessments",
        form={"csrf": ids["csrf"], "score-growth": "5", "score-risk": "1", "benefit": "",
              "rationale": "From the page"}),
    ("POST", "/portfolios/{portfolio_id}/scenarios"): lambda api, ids: Call(
        f"/portfolios/{ids['scored']}/scenarios",
        form={"csrf": ids["csrf"], "name": "From the page", "budget": "", "maximize": "score"}),
    ("POST", "/portfolios/{portfolio_id}/budget"): lambda api, ids: Call(
        f"/portfolios/{ids['portfolio']}/budget",
        form={"csrf": ids["csrf"], "budget": "9,000,000", "rationale": "From the page"}),
    ("POST", "/portfolios"): lambda api, ids: Call(
        "/portfolios", form={"csrf": ids["csrf"], "name": "From the page", "budget": "5,000",
                             "currency": "USD", "reporting_cadence_days": "30"}),
    ("POST", "/portfolios/{portfolio_id}/projects"): lambda api, ids: Call(
        f"/portfolios/{ids['portfolio']}/projects",
        form={"csrf": ids["csrf"], "name": "Proposed on the page", "requested_budget": "100"}),
    ("POST", "/projects/{project_id}/reports"): lambda api, ids: Call(
        f"/projects/{ids['active']}/reports",
        form={"csrf": ids["csrf"], "period_end": days_ago(2), "schedule": "green",
              "cost": "green", "scope": "amber", "version": "2"}),
    ("POST", "/audit/verify"): lambda api, ids: Call(
        "/audit/verify", form={"csrf": ids["csrf"], "head": ""}, records=False),
    ("POST", "/signin"): lambda api, ids: Call(
        "/signin", form={"csrf": signin_csrf(api), "token": ids["token"], "next": "/"},
        records=False),
    ("POST", "/signout"): lambda api, ids: Call(
        "/signout", form={"csrf": ids["csrf"]}, records=False),
}


def mutating_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) that is not a read: from the routing table and from OpenAPI."""
    found = set()
    for route in app.routes:
        included = getattr(route, "effective_route_contexts", None)
        contexts: list[Any] = list(included()) if included else [route]
        for context in contexts:
            target = getattr(context, "original_route", context)
            for method in set(getattr(target, "methods", None) or ()) - READ_ONLY:
                found.add((method, context.path))
    for path, operations in app.openapi()["paths"].items():
        found |= {(method.upper(), path) for method in operations
                  if method.upper() not in READ_ONLY}
    return found


def raw_rows(database: Database) -> list[tuple[Any, ...]]:
    """The events table byte for byte, in position order."""
    position = "notification_id" if database.dialect == "postgresql" else "rowid"
    rows = database.read(
        f"SELECT {position} AS position, originator_id, originator_version, topic, state"
        f" FROM {database.events_table} ORDER BY {position}")
    return [(r["position"], str(r["originator_id"]), r["originator_version"], r["topic"],
             bytes(r["state"])) for r in rows]


def ledger_with_every_kind_of_target(api: Api) -> Ids:
    portfolio = api.portfolio()
    active = api.project(portfolio["id"], code="ACT")
    finishing = api.project(portfolio["id"], code="FIN")
    proposed = api.project(portfolio["id"], code="PRO")
    paused_later = api.project(portfolio["id"], code="PAU")
    rescinded = api.project(portfolio["id"], code="RES")
    rescinded_on_the_page = api.project(portfolio["id"], code="PGR")
    fundings = {code: api.fund(funded)["id"] for code, funded in (
        ("ACT", active), ("FIN", finishing), ("PAU", paused_later), ("RES", rescinded),
        ("PGR", rescinded_on_the_page))}
    motions = f"/v1/portfolios/{portfolio['id']}/motions"
    proposer = api.tokens.create("board:proposer", Role.BOARD)
    to_vote = api.client.post(motions, json={"kind": "budget", "budget": "3000000",
                                             "rationale": "Grant"},
                              headers={"Authorization": f"Bearer {proposer}"}).json()
    on_the_page = api.client.post(motions, json={"kind": "budget", "budget": "3500000",
                                                 "rationale": "Grant"},
                                  headers={"Authorization": f"Bearer {proposer}"}).json()
    to_withdraw = api.post(motions, {"kind": "budget", "budget": "4000000",
                                     "rationale": "Grant"}).json()
    scored = api.portfolio(name="Scored", objectives=[
        {"key": "growth", "title": "Growth", "weight": 1},
        {"key": "risk", "title": "Lower risk", "weight": 1}])
    assessed = api.project(scored["id"], code="SCO")
    return {"scored": scored["id"], "assessed": assessed["id"],
            "portfolio": portfolio["id"], "active": active["id"], "finishing": finishing["id"],
            "proposed": proposed["id"], "paused_later": paused_later["id"],
            "active_funding": fundings["ACT"], "rescinded_funding": fundings["RES"],
            "page_rescinded_funding": fundings["PGR"],
            "to_vote": to_vote["id"], "to_withdraw": to_withdraw["id"],
            "to_vote_on_the_page": on_the_page["id"],
            "token": api.secrets[Role.ADMIN]}


def signin_csrf(api: Api) -> str:
    """The double-submit token of a fresh sign-in form (its cookie goes to the client)."""
    found = CSRF.search(api.client.get("/signin").text)
    assert found, "the sign-in form carries a CSRF token"
    return found.group(1)


def signed_in_to_the_dashboard(api: Api, ids: Ids) -> Ids:
    """Sign in through the form, as a browser does; returns ids with the session's CSRF token."""
    api.client.post("/signin", data={"csrf": signin_csrf(api), "token": ids["token"]},
                    follow_redirects=False)
    session = CSRF.search(api.client.get("/").text)
    assert session, "a signed-in page carries the session's CSRF token"
    return {**ids, "csrf": session.group(1)}


def test_every_mutating_route_is_known_to_this_test(api: Api) -> None:
    unknown = mutating_routes(api.app) - set(VALID)

    assert not unknown, f"add a valid call for {sorted(unknown)} to VALID"


def test_every_mutating_endpoint_only_appends_events(api_on_store: Api) -> None:
    api = api_on_store
    ids = signed_in_to_the_dashboard(api, ledger_with_every_kind_of_target(api))
    database = api.service.database
    last = {"/signout": 1, "/signin": 2}
    routes = sorted(mutating_routes(api.app), key=lambda route: (last.get(route[1], 0), route))

    for method, template in routes:
        before = raw_rows(database)
        call = VALID[(method, template)](api, ids)

        answer = api.client.request(method, call.path, json=call.json, data=call.form,
                                    headers=api.headers(Role.ADMIN), follow_redirects=False)
        refused = api.client.request(method, call.path, json={"unexpected": True},
                                     headers=api.headers(Role.ADMIN), follow_redirects=False)

        assert answer.status_code in (200, 201, 303), (method, template, answer.text)
        assert refused.status_code >= 400 or not call.json, (method, template, refused.text)
        after = raw_rows(database)
        assert after[:len(before)] == before, f"{method} {template} changed a stored event"
        assert len(after) > len(before) if call.records else after == before, (method, template)
    assert api.get("/v1/audit/verify", Role.AUDITOR).json()["ok"] is True


@pytest.mark.parametrize("verb", [
    ["rebuild"], ["verify"], ["export", "--out", "{tmp}/bundle.ndjson"],
    ["report", "decisions", "--format", "html", "--out", "{tmp}/review.html"],
    ["tokens", "create", "reviewer", "--role", "auditor"],
])
def test_the_command_line_never_changes_a_stored_event(
    sqlite_url: str, tmp_path: Path, verb: list[str],
) -> None:
    service = LedgerService(store_env(sqlite_url))
    try:
        portfolio = service.create_portfolio(actor="board:chair", name="P",
                                             budget=Decimal("100000")).id
        project = service.propose_project(actor="manager:ana", portfolio_id=portfolio,
                                          name="X", requested_budget=Decimal("100")).id
        service.decide(portfolio, project, DecisionKind.FUND, actor="board:chair",
                       amount=Decimal("100"), rationale="Go")
        before = raw_rows(service.database)

        assert main([part.replace("{tmp}", str(tmp_path)) for part in verb]
                    + ["--db", sqlite_url]) == 0

        assert raw_rows(service.database) == before
    finally:
        service.close()
