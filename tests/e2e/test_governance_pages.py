"""Governance on the pages over HTTP: the policy on the overview, a motion proposed where the
decision form stood, approve and reject buttons only for board members who may vote, and the
carried decision in the log with both names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from uuid import UUID

import pytest
from dashboard_support import dashboard_app, form_token, signed_in_browser
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth.tokens import Role
from projections.service import LedgerService

VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def app(sqlite_url: str) -> Iterator[FastAPI]:
    built = dashboard_app(sqlite_url)
    with TestClient(built):
        yield built


def governed(service: LedgerService) -> tuple[UUID, UUID]:
    portfolio = service.create_portfolio(
        actor="board-ana", name="Four eyes", budget=Decimal("1000000"),
        policy={"approvals_required": 1, "motion_days": 30})
    project = service.propose_project(actor="pmo", portfolio_id=portfolio.id, name="Portal",
                                      code="FE-1", requested_budget=Decimal("400000"))
    return portfolio.id, project.id


def member(app: FastAPI, name: str, role: Role = Role.BOARD) -> TestClient:
    return signed_in_browser(app, app.state.tokens.create(name, role))


def test_a_motion_from_the_project_page_is_voted_on_the_portfolio_page(app: FastAPI) -> None:
    service: LedgerService = app.state.service
    portfolio_id, project_id = governed(service)
    ana, ben = member(app, "board-ana"), member(app, "board-ben")
    viewer = member(app, "viewer-vic", Role.VIEWER)

    overview = ana.get(f"/portfolios/{portfolio_id}").text
    assert "each decision needs 1 approval by board members other than its proposer" in overview
    assert "Propose a budget revision" in overview
    project_page = ana.get(f"/projects/{project_id}").text
    assert "Propose a motion" in project_page
    assert f'action="/projects/{project_id}/motions"' in project_page
    assert f'action="/projects/{project_id}/decisions"' not in project_page

    version = VERSION.search(project_page)
    assert version
    proposed = ana.post(f"/projects/{project_id}/motions", data={
        "csrf": form_token(project_page), "kind": "fund", "amount": "150,000",
        "rationale": "Sound business case", "version": version.group(1)})
    assert proposed.status_code == 303, proposed.text
    [motion] = service.motions(portfolio_id=portfolio_id).items

    as_proposer = ana.get(f"/portfolios/{portfolio_id}").text
    assert "Sound business case" in as_proposer
    assert f'action="/motions/{motion.id}/votes"' not in as_proposer
    assert "You proposed this motion" in as_proposer
    as_viewer = viewer.get(f"/portfolios/{portfolio_id}").text
    assert "Sound business case" in as_viewer
    assert f'action="/motions/{motion.id}/votes"' not in as_viewer
    assert "Revise the budget" not in as_viewer and "Propose a budget revision" not in as_viewer

    as_voter = ben.get(f"/portfolios/{portfolio_id}").text
    assert f'action="/motions/{motion.id}/votes"' in as_voter
    voted = ben.post(f"/motions/{motion.id}/votes", data={
        "csrf": form_token(as_voter), "vote": "approve", "comment": "Agreed"})
    assert voted.status_code == 303, voted.text

    assert service.motion(motion.id).status == "carried"
    assert "No motion is open." in ben.get(f"/portfolios/{portfolio_id}").text
    log = ben.get(f"/decisions?portfolio_id={portfolio_id}").text
    assert "proposed by board-ana" in log and "board-ben" in log
    again = ana.post(f"/motions/{motion.id}/votes", data={
        "csrf": form_token(as_proposer), "vote": "approve"})
    assert again.status_code == 409


def test_the_budget_form_revises_at_once_without_approvals(app: FastAPI) -> None:
    service: LedgerService = app.state.service
    portfolio = service.create_portfolio(actor="board-ana", name="Plain",
                                         budget=Decimal("1000"))
    ana = member(app, "board-ana")
    overview = ana.get(f"/portfolios/{portfolio.id}").text
    assert "decision is recorded at once" in overview

    revised = ana.post(f"/portfolios/{portfolio.id}/budget", data={
        "csrf": form_token(overview), "budget": "2,500", "rationale": "Grant"})
    assert revised.status_code == 303, revised.text
    assert service.portfolio(portfolio.id).budget == Decimal("2500.00")
    refused = ana.post(f"/portfolios/{portfolio.id}/budget", data={
        "csrf": form_token(overview), "budget": "2,500", "rationale": ""})
    assert refused.status_code == 422
    viewer = member(app, "viewer-vic", Role.VIEWER)
    forbidden = viewer.post(f"/portfolios/{portfolio.id}/budget", data={
        "csrf": form_token(viewer.get("/").text), "budget": "1", "rationale": "r"})
    assert forbidden.status_code == 403
