"""The pages' forms beside the decision: opening a portfolio, proposing a project, filing a
status report. Each takes the session's CSRF token, the API's roles, the version shown (the
API's If-Match) where the API has one, and says a refusal in plain words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from test_dashboard_pages import Site, csrf, site_on

from api.auth.tokens import Role
from domain.health import Rating, StatusReport

VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def site(sqlite_url: str) -> Iterator[Site]:
    with site_on(sqlite_url) as started:
        yield started


@pytest.fixture
def site_on_store(store_url: str) -> Iterator[Site]:
    with site_on(store_url) as started:
        yield started


def test_the_board_opens_a_portfolio_dated_on_its_own_day(site_on_store: Site) -> None:
    site = site_on_store
    board = site.browser(Role.BOARD)
    shown = board.get("/portfolios/new")
    opened_on = date.today() - timedelta(days=30)

    answer = board.post("/portfolios", data={
        "csrf": csrf(shown), "name": "Estates renewal", "budget": "2,500,000",
        "currency": "eur", "reporting_cadence_days": "30", "created_on": opened_on.isoformat()})

    assert shown.status_code == 200 and 'name="created_on"' in shown.text
    assert date.today().isoformat() in shown.text  # the business date defaults to today
    assert answer.status_code == 303
    location = answer.headers["location"]
    overview = board.get(location)
    assert "Portfolio opened" in overview.text and "Estates renewal" in overview.text
    assert "EUR" in overview.text and "2,500,000" in overview.text
    then = board.get(location.split("?")[0], params={
        "effective_on": (opened_on + timedelta(days=1)).isoformat()})
    before = board.get(location.split("?")[0], params={
        "effective_on": (opened_on - timedelta(days=1)).isoformat()})
    assert then.status_code == 200 and before.status_code == 404
    listed = [p for p in site.service.portfolios().items if p.name == "Estates renewal"]
    assert listed and listed[0].created_by == "board-web"


def test_a_refused_portfolio_keeps_what_was_typed_and_says_why(site: Site) -> None:
    board = site.browser(Role.BOARD)
    shown = board.get("/portfolios/new")
    before = site.events()

    answer = board.post("/portfolios", data={
        "csrf": csrf(shown), "name": "Estates renewal", "budget": "lots", "currency": "EUR",
        "reporting_cadence_days": "30", "created_on": ""})

    assert answer.status_code == 422
    assert "Check the budget" in answer.text and 'value="Estates renewal"' in answer.text
    assert "The ledger answered" not in answer.text and "Value error" not in answer.text
    assert site.events() == before


@pytest.mark.parametrize(("role", "path"), [
    (Role.VIEWER, "/portfolios/new"), (Role.MANAGER, "/portfolios/new"),
    (Role.AUDITOR, "/portfolios/{portfolio}/propose"), (Role.VIEWER,
                                                       "/portfolios/{portfolio}/propose"),
])
def test_a_role_that_may_not_is_refused_the_form(site: Site, role: Role, path: str) -> None:
    browser = site.browser(role)
    answer = browser.get(path.format(portfolio=site.seeded.portfolio_id))
    home = browser.get("/")

    assert answer.status_code == 403
    assert "may not" in answer.text
    assert ("Open a portfolio" in home.text) is False


def test_posting_a_form_a_role_may_not_use_records_nothing(site: Site) -> None:
    viewer, manager = site.browser(Role.VIEWER), site.browser(Role.MANAGER)
    token = csrf(viewer.get("/"))
    before = site.events()

    opened = viewer.post("/portfolios", data={"csrf": token, "name": "X", "budget": "1"})
    proposed = viewer.post(f"/portfolios/{site.seeded.portfolio_id}/projects",
                           data={"csrf": token, "name": "X", "requested_budget": "1"})
    reported = site.browser(Role.BOARD).post(
        f"/projects/{site.project('DG-01')}/reports",
        data={"csrf": csrf(site.browser(Role.BOARD).get("/")), "schedule": "green"})
    without_token = manager.post(f"/portfolios/{site.seeded.portfolio_id}/projects",
                                 data={"name": "X", "requested_budget": "1"})

    assert [opened.status_code, proposed.status_code, without_token.status_code] == [
        403, 403, 403]
    assert reported.status_code == 403
    assert "This form has expired" in without_token.text
    assert site.events() == before


def test_a_manager_proposes_a_project_and_a_duplicate_code_is_refused(site: Site) -> None:
    manager = site.browser(Role.MANAGER)
    form = f"/portfolios/{site.seeded.portfolio_id}/propose"
    shown = manager.get(form)
    fields = {"csrf": csrf(shown), "code": "DG-20", "name": "Accessible forms",
              "requested_budget": "125,000", "sponsor": "Chief Digital Officer",
              "manager": "Forms lead", "planned_start": "", "planned_finish": "",
              "proposed_on": ""}

    answer = manager.post(f"/portfolios/{site.seeded.portfolio_id}/projects", data=fields)
    again = manager.post(f"/portfolios/{site.seeded.portfolio_id}/projects", data=fields)

    assert shown.status_code == 200 and "Propose a project" in shown.text
    assert answer.status_code == 303
    project = manager.get(answer.headers["location"])
    assert "Project proposed" in project.text and "Accessible forms" in project.text
    assert "USD 125,000" in project.text
    assert again.status_code == 409
    assert "DG-20" in again.text and 'value="Accessible forms"' in again.text
    assert "The ledger answered" not in again.text


def report_fields(shown_text: str, **changes: str) -> dict[str, str]:
    version = VERSION.findall(shown_text)
    assert version, "the page has no report form"
    return {"csrf": csrf_of(shown_text), "version": version[-1], "period_end": "",
            "schedule": "green", "cost": "amber", "scope": "green", "quality": "",
            "risk": "", "percent_complete": "40", "planned_value": "100,000",
            "earned_value": "95,000", "actual_cost": "110,000", "summary": "On track.",
            **changes}


def csrf_of(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found
    return found.group(1)


def test_a_manager_files_a_status_report_and_a_stale_form_is_refused(site: Site) -> None:
    manager = site.browser(Role.MANAGER)
    project = f"/projects/{site.project('DG-07')}"
    shown = manager.get(project)
    assert "File this period's status report" in shown.text
    fields = report_fields(shown.text)

    # Meanwhile someone else files the period's report: the page's version is out of date.
    site.service.report_status(site.project("DG-07"), StatusReport(
        period_end=date.today() - timedelta(days=1), schedule=Rating.RED, cost=Rating.RED,
        scope=Rating.GREEN), actor="pmo-office")
    stale = manager.post(f"{project}/reports", data=fields)

    assert stale.status_code == 412
    assert "Review the new evidence and file the report again." in stale.text
    assert ">On track.</textarea>" in stale.text
    refreshed = report_fields(stale.text)
    filed = manager.post(f"{project}/reports", data=refreshed)
    assert filed.status_code == 303
    health = site.service.project_health(site.project("DG-07"))
    assert health.cost == "amber" and health.period_end == date.today()
    assert "Status report filed" in manager.get(filed.headers["location"]).text


def test_a_report_the_ledger_refuses_is_said_in_plain_words(site: Site) -> None:
    manager = site.browser(Role.MANAGER)
    project = f"/projects/{site.project('DG-01')}"
    shown = manager.get(project)
    before = site.events()

    no_rating = manager.post(f"{project}/reports", data=report_fields(shown.text, cost=""))
    too_early = manager.post(f"{project}/reports", data=report_fields(
        shown.text, period_end=(date.today() - timedelta(days=400)).isoformat()))

    assert no_rating.status_code == 422 and "Cost is required" in no_rating.text
    assert too_early.status_code in (409, 422)
    assert 'id="report-problem"' in too_early.text
    assert "The ledger answered" not in no_rating.text + too_early.text
    assert site.events() == before


def test_a_proposed_project_offers_no_report_form(site: Site) -> None:
    shown = site.browser(Role.MANAGER).get(f"/projects/{site.project('DG-04')}")

    assert "File this period" not in shown.text
