"""A decision's page: its corrections and its rescission, and for board members the forms to
record them (a rescission only on a project's latest decision, never on a rescission)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from uuid import UUID

import pytest
from test_dashboard_pages import Site, csrf, site_on

from api.auth.tokens import Role

CORRECT = re.compile(r'action="/decisions/[^"]+/corrections"')
RESCIND = re.compile(r'action="/decisions/[^"]+/rescission"')
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def site(sqlite_url: str) -> Iterator[Site]:
    with site_on(sqlite_url) as started:
        yield started


def latest_decision(site: Site, code: str) -> UUID:
    found = site.service.decision_log(project_id=str(site.project(code)), newest_first=True,
                                      limit=1).items
    return found[0].id


def test_a_board_member_corrects_a_decisions_words_on_its_page(site: Site) -> None:
    board = site.browser(Role.BOARD)
    decision_id = latest_decision(site, "CS-01")
    shown = board.get(f"/decisions/{decision_id}")
    assert shown.status_code == 200 and CORRECT.search(shown.text)

    answer = board.post(f"/decisions/{decision_id}/corrections", data={
        "csrf": csrf(shown), "rationale": "Payroll upgrade funded in full at the March board.",
        "meeting": "Portfolio board", "reason": "the minutes said more"})

    assert answer.status_code == 303
    page = board.get(answer.headers["location"])
    assert "Correction recorded" in page.text
    assert "Payroll upgrade funded in full at the March board." in page.text
    assert "the minutes said more" in page.text and "board-web" in page.text
    decision = site.service.decision(decision_id)
    assert decision.rationale == "Payroll upgrade funded in full at the March board."
    assert [c.by for c in decision.corrections] == ["board-web"]  # the meeting unchanged
    assert decision.corrections[0].before.meeting == decision.corrections[0].after.meeting


def test_a_correction_that_changes_nothing_or_gives_no_reason_is_refused_in_plain_words(
    site: Site,
) -> None:
    board = site.browser(Role.BOARD)
    decision_id = latest_decision(site, "CS-01")
    shown = board.get(f"/decisions/{decision_id}")
    current = site.service.decision(decision_id)
    events = site.events()

    same = board.post(f"/decisions/{decision_id}/corrections", data={
        "csrf": csrf(shown), "rationale": current.rationale, "meeting": current.meeting or "",
        "reason": "nothing"})
    blank = board.post(f"/decisions/{decision_id}/corrections", data={
        "csrf": csrf(shown), "rationale": "New words", "meeting": "", "reason": " "})

    assert same.status_code == 422 and "Check the rationale" in same.text
    assert blank.status_code == 422 and "Check the reason" in blank.text
    assert "New words" in blank.text  # what was typed is shown again
    assert site.events() == events


def test_a_board_member_rescinds_the_latest_decision_and_the_page_links_both(site: Site) -> None:
    board = site.browser(Role.BOARD)
    decision_id = latest_decision(site, "CS-01")
    portfolio_id = site.service.decision(decision_id).portfolio_id
    shown = board.get(f"/decisions/{decision_id}")
    version = VERSION.search(shown.text)
    assert RESCIND.search(shown.text) and version

    answer = board.post(f"/decisions/{decision_id}/rescission", data={
        "csrf": csrf(shown), "reason": "Recorded against the wrong project", "decided_on": "",
        "meeting": "", "version": version.group(1)})

    assert answer.status_code == 303
    rescission = board.get(answer.headers["location"])
    assert "Rescission recorded" in rescission.text and "Rescinds" in rescission.text
    assert not RESCIND.search(rescission.text)  # a rescission is never rescinded
    original = board.get(f"/decisions/{decision_id}")
    assert "Rescinded by" in original.text and not RESCIND.search(original.text)
    assert site.service.project(site.project("CS-01")).status == "proposed"
    assert site.service.composition(portfolio_id).allocated == 0
    log = board.get("/decisions", params={"kind": "rescind"})
    assert "Rescission" in log.text and "Payroll upgrade" in log.text
    exported = list(csv.DictReader(io.StringIO(board.get("/decisions.csv").text)))
    rescinded = [row for row in exported if row["rescinded_by"]]
    assert [row["project_code"] for row in rescinded] == ["CS-01"]
    assert [row["rescinds"] for row in exported if row["kind"] == "rescind"] == [
        str(decision_id)]


def test_an_earlier_decision_offers_no_rescission_and_a_stale_page_is_refused(
    site: Site,
) -> None:
    board = site.browser(Role.BOARD)
    decisions = site.service.decision_log(project_id=str(site.project("DG-03"))).items
    earlier = board.get(f"/decisions/{decisions[0].id}")  # funded, then paused
    latest = board.get(f"/decisions/{decisions[-1].id}")
    assert len(decisions) == 2 and CORRECT.search(earlier.text)
    assert not RESCIND.search(earlier.text) and RESCIND.search(latest.text)
    version = VERSION.search(latest.text)
    assert version

    stale = board.post(f"/decisions/{decisions[-1].id}/rescission", data={
        "csrf": csrf(latest), "reason": "in error", "decided_on": "", "meeting": "",
        "version": str(int(version.group(1)) - 1)})

    assert stale.status_code == 412 and "changed since" in stale.text.lower()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MANAGER, Role.AUDITOR], ids=str)
def test_only_board_members_see_the_forms_and_may_post_them(site: Site, role: Role) -> None:
    other = site.browser(role)
    decision_id = latest_decision(site, "CS-01")
    shown = other.get(f"/decisions/{decision_id}")
    events = site.events()

    corrected = other.post(f"/decisions/{decision_id}/corrections", data={
        "csrf": csrf(shown), "rationale": "x", "meeting": "", "reason": "y"})
    rescinded = other.post(f"/decisions/{decision_id}/rescission", data={
        "csrf": csrf(shown), "reason": "y", "decided_on": "", "meeting": "", "version": "9"})

    assert shown.status_code == 200
    assert not CORRECT.search(shown.text) and not RESCIND.search(shown.text)
    assert (corrected.status_code, rescinded.status_code) == (403, 403)
    assert site.events() == events


def test_under_approvals_the_page_proposes_the_rescission_as_a_motion(site: Site) -> None:
    board = site.browser(Role.BOARD)
    decision_id = latest_decision(site, "CS-01")
    portfolio_id = site.service.decision(decision_id).portfolio_id
    site.service.change_policy(portfolio_id, actor="board-chair", approvals_required=1,
                               motion_days=30, rationale="Four eyes from now on")
    shown = board.get(f"/decisions/{decision_id}")
    version = VERSION.search(shown.text)
    assert "Propose rescission" in shown.text and version

    answer = board.post(f"/decisions/{decision_id}/rescission", data={
        "csrf": csrf(shown), "reason": "Recorded against the wrong project", "decided_on": "",
        "meeting": "", "version": version.group(1)})

    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"/portfolios/{portfolio_id}#motion-")
    motions = site.service.motions(portfolio_id=portfolio_id).items
    assert [(m.kind, m.rescinds, m.status, m.proposed_by) for m in motions] == [
        ("rescind", decision_id, "open", "board-web")]
    assert site.service.decision(decision_id).rescinded_by is None
    assert site.service.project(site.project("CS-01")).status == "active"
