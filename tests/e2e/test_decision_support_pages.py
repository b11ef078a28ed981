"""The decision support page without a browser: the weights in force, the ranking, the
frontier with the plan of record marked, and a scenario run from its form (board only)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from uuid import UUID

import pytest
from test_dashboard_pages import Site, csrf, site_on

from api.auth.tokens import Role
from domain.lifecycle import DecisionKind

PLANS = [("SO-1", "Identity platform", "900000", {"citizens": 5, "savings": 2}, True),
         ("SO-2", "Data centre exit", "1200000", {"citizens": 1, "savings": 5}, True),
         ("SO-3", "Service design team", "400000", {"citizens": 4, "savings": 1}, False),
         ("SO-4", "Records archive", "700000", {"citizens": 1, "savings": 1}, False)]


@pytest.fixture
def site(sqlite_url: str) -> Iterator[Site]:
    with site_on(sqlite_url) as started:
        yield started


def strategy_office(site: Site) -> UUID:
    service = site.service
    opened = service.create_portfolio(
        actor="board:chair", name="Strategy Office", budget=Decimal("3000000"),
        objectives=[{"key": "citizens", "title": "Citizen services", "weight": 2},
                    {"key": "savings", "title": "Savings", "weight": 1}])
    for code, name, cost, scores, funded in PLANS:
        project = service.propose_project(actor="pmo", portfolio_id=opened.id, code=code,
                                          name=name, requested_budget=Decimal(cost))
        service.assess_project(project.id, actor="board:chair", scores=scores,
                               rationale="Scored at the strategy review")
        if funded:
            service.decide(opened.id, project.id, DecisionKind.FUND, actor="board:chair",
                           rationale="In the plan", amount=Decimal(cost))
    return opened.id


def test_the_page_ranks_the_candidates_and_marks_the_plan_on_the_frontier(site: Site) -> None:
    portfolio_id = strategy_office(site)
    shown = site.browser(Role.VIEWER).get(f"/portfolios/{portfolio_id}/decision-support")
    assert shown.status_code == 200, shown.text
    ranking = shown.text[shown.text.index('id="ranking"'):]
    order = [code for code in re.findall(r'class="code">(SO-\d)<', ranking)]
    assert order == ["SO-1", "SO-3", "SO-2", "SO-4"]
    assert "0.666667" in shown.text and "The objectives' own weights" in shown.text
    assert "Plan of record" in shown.text and 'id="frontier-title"' in shown.text
    assert "Run and record the scenario" not in shown.text  # a viewer runs none
    overview = site.browser(Role.VIEWER).get(f"/portfolios/{portfolio_id}")
    assert f"/portfolios/{portfolio_id}/decision-support" in overview.text


def test_the_board_runs_a_scenario_and_sees_it_beside_the_plan(site: Site) -> None:
    portfolio_id = strategy_office(site)
    board = site.browser(Role.BOARD)
    shown = board.get(f"/portfolios/{portfolio_id}/decision-support")
    answer = board.post(f"/portfolios/{portfolio_id}/scenarios", data={
        "csrf": csrf(shown), "name": "One and a half million", "budget": "1,500,000",
        "maximize": "score"})
    assert answer.status_code == 303, answer.text
    result = board.get(answer.headers["location"])
    changes = result.text[result.text.index('id="scenario-changes"'):]
    assert re.search(r"<dt>Start</dt>\s*<dd>SO-3</dd>", changes)
    assert re.search(r"<dt>Stop</dt>\s*<dd>SO-2</dd>", changes)
    assert re.search(r"<dt>Keep</dt>\s*<dd>SO-1</dd>", changes)
    assert "1,300,000<" in result.text and "One and a half million" in result.text

    events = site.events()
    refused = board.post(f"/portfolios/{portfolio_id}/scenarios", data={
        "csrf": csrf(shown), "name": "Too little", "budget": "-5", "maximize": "score"})
    assert refused.status_code in (200, 422)
    assert 'id="scenario-problem"' in refused.text
    assert site.events() == events

    manager = site.browser(Role.MANAGER)
    page = manager.get(f"/portfolios/{portfolio_id}/decision-support")
    forbidden = manager.post(f"/portfolios/{portfolio_id}/scenarios", data={
        "csrf": csrf(page) if 'name="csrf"' in page.text else "", "name": "No"})
    assert forbidden.status_code == 403
    assert site.events() == events


def test_the_board_weighs_the_objectives_by_comparison_and_sees_the_ratio(site: Site) -> None:
    portfolio_id = strategy_office(site)
    board = site.browser(Role.BOARD)
    shown = board.get(f"/portfolios/{portfolio_id}/decision-support")
    assert 'id="ahp-form"' in shown.text
    answer = board.post(f"/portfolios/{portfolio_id}/weights", data={
        "csrf": csrf(shown), "pair-0": "savings:3", "rationale": "Savings first this year"})
    assert answer.status_code == 303, answer.text
    weighed = board.get(answer.headers["location"])
    assert "From pairwise comparisons (AHP), consistency ratio 0.0000" in weighed.text
    assert "0.750000" in weighed.text  # savings now weighs three quarters
    ranking = weighed.text[weighed.text.index('id="ranking"'):]
    assert re.findall(r'class="code">(SO-\d)<', ranking)[0] == "SO-2"

    events = site.events()
    blank = board.post(f"/portfolios/{portfolio_id}/weights", data={
        "csrf": csrf(shown), "pair-0": "1", "rationale": " "})
    assert 'id="weights-problem"' in blank.text
    assert site.events() == events


def test_a_manager_assesses_a_project_from_its_page(site: Site) -> None:
    portfolio_id = strategy_office(site)
    project = next(p for p in site.service.every(site.service.projects,
                                                 portfolio_id=portfolio_id) if p.code == "SO-4")
    manager = site.browser(Role.MANAGER)
    shown = manager.get(f"/projects/{project.id}")
    assert 'id="assess-h"' in shown.text and "1.0000" in shown.text
    answer = manager.post(f"/projects/{project.id}/assessments", data={
        "csrf": csrf(shown), "score-citizens": "5", "score-savings": "", "benefit": "1,000,000",
        "rationale": "Re-scored after the pilot"})
    assert answer.status_code == 303, answer.text
    assessed = manager.get(answer.headers["location"])
    assert "3.3333" in assessed.text and "1,000,000" in assessed.text

    events = site.events()
    refused = manager.post(f"/projects/{project.id}/assessments", data={
        "csrf": csrf(shown), "score-citizens": "9", "rationale": "Too high"})
    assert refused.status_code == 422 and 'id="assess-problem"' in refused.text
    viewer = site.browser(Role.VIEWER)
    seen = viewer.get(f"/projects/{project.id}")
    assert 'id="assess-h"' not in seen.text
    assert viewer.post(f"/projects/{project.id}/assessments", data={
        "csrf": csrf(seen), "score-citizens": "1", "rationale": "No"}).status_code == 403
    assert site.events() == events


def test_the_decision_log_says_which_scenario_advised_a_decision(site: Site) -> None:
    portfolio_id = strategy_office(site)
    service = site.service
    advised = service.record_scenario(portfolio_id, actor="board:chair", name="Lean year",
                                      maximize="score", budget=Decimal("1500000"))
    team = next(p for p in service.every(service.projects, portfolio_id=portfolio_id)
                if p.code == "SO-3")
    service.decide(portfolio_id, team.id, DecisionKind.FUND, actor="board:chair",
                   rationale="As the scenario advised", amount=Decimal("400000"),
                   scenario_id=advised.id)
    log = site.browser(Role.AUDITOR).get("/decisions", params={"portfolio_id": str(portfolio_id)})
    assert log.status_code == 200, log.text
    assert "Advised by scenario" in log.text and "Lean year" in log.text
    assert f"scenario={advised.id}" in log.text
