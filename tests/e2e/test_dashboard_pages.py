"""The board's dashboard over HTTP: sessions, roles, CSRF, decisions, time travel, CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import httpx
import pytest
from dashboard_support import CHAIR, Seeded, dashboard_app, seed
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth.tokens import Role
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind
from projections.service import LedgerService

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


@dataclass
class Site:
    """The dashboard on one store, seeded, with a live token for every role."""

    app: FastAPI
    seeded: Seeded
    secrets: dict[Role, str]

    @property
    def service(self) -> LedgerService:
        service: LedgerService = self.app.state.service
        return service

    def browser(self, role: Role | None = None) -> TestClient:
        """A client with its own cookie jar, signed in as `role` when one is given."""
        client = TestClient(self.app, follow_redirects=False)
        if role is not None:
            answer = sign_in(client, self.secrets[role])
            assert answer.status_code == 303, answer.text
        return client

    def events(self) -> int:
        return self.service.database.head()

    def project(self, code: str) -> UUID:
        return self.seeded.projects[code]


def sign_in(client: TestClient, secret: str, next_page: str = "/") -> httpx.Response:
    form = client.get("/signin", params={"next": next_page})
    return client.post("/signin", data={"token": secret, "csrf": csrf(form), "next": next_page})


def csrf(response: httpx.Response) -> str:
    found = CSRF.search(response.text)
    assert found, "the page has no CSRF field"
    return found.group(1)


def decision_form(client: TestClient, project_id: UUID, kind: str, rationale: str = "Board minute",
                  **fields: str) -> httpx.Response:
    """Open the project page, then submit its decision form as a browser would."""
    shown = client.get(f"/projects/{project_id}")
    version = VERSION.search(shown.text)
    assert version, "the page has no decision form"
    return client.post(f"/projects/{project_id}/decisions", data={
        "csrf": csrf(shown), "version": version.group(1), "kind": kind,
        "rationale": rationale, **fields})


@contextmanager
def site_on(url: str) -> Iterator[Site]:
    app = dashboard_app(url)
    with TestClient(app):
        seeded = seed(app.state.service)
        secrets = {role: app.state.tokens.create(f"{role.value}-web", role) for role in Role}
        yield Site(app, seeded, secrets)


@pytest.fixture
def site(sqlite_url: str) -> Iterator[Site]:
    with site_on(sqlite_url) as started:
        yield started


@pytest.fixture
def site_on_store(store_url: str) -> Iterator[Site]:
    with site_on(store_url) as started:
        yield started


# Signing in and out


def test_a_visitor_without_a_session_is_sent_to_sign_in_and_back(site: Site) -> None:
    visitor = site.browser()
    target = f"/projects/{site.project('DG-01')}"

    sent = visitor.get(target)
    signed = sign_in(visitor, site.secrets[Role.VIEWER], target)

    assert sent.status_code == 303
    assert sent.headers["location"] == f"/signin?next=%2Fprojects%2F{site.project('DG-01')}"
    assert signed.status_code == 303 and signed.headers["location"] == target
    assert "Citizen identity platform" in visitor.get(target).text


def test_the_session_cookie_is_httponly_samesite_and_holds_no_token(site: Site) -> None:
    client = site.browser()
    answer = sign_in(client, site.secrets[Role.BOARD])

    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("pl_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert site.secrets[Role.BOARD] not in cookie


def test_an_unknown_or_revoked_token_cannot_sign_in(site: Site) -> None:
    site.app.state.tokens.revoke("viewer-web")

    unknown = sign_in(site.browser(), "plt_not-a-token")
    revoked = sign_in(site.browser(), site.secrets[Role.VIEWER])

    assert unknown.status_code == 401 and "not valid" in unknown.text
    assert revoked.status_code == 401
    assert "pl_session" not in unknown.headers.get("set-cookie", "")


def test_revoking_the_token_ends_sessions_already_open(site: Site) -> None:
    viewer = site.browser(Role.VIEWER)
    assert viewer.get("/").status_code == 200

    site.app.state.tokens.revoke("viewer-web")

    assert viewer.get("/").status_code == 303


def test_sign_in_without_the_form_token_is_refused(site: Site) -> None:
    client = site.browser()
    client.get("/signin")

    forged = client.post("/signin", data={"token": site.secrets[Role.BOARD], "csrf": "guess"})

    assert forged.status_code == 403
    assert "pl_session" not in forged.headers.get("set-cookie", "")


def test_signing_out_ends_the_session(site: Site) -> None:
    board = site.browser(Role.BOARD)
    page = board.get("/")

    out = board.post("/signout", data={"csrf": csrf(page)})

    assert out.status_code == 303 and out.headers["location"].startswith("/signin")
    assert board.get("/").status_code == 303


def test_sign_in_never_redirects_to_another_site(site: Site) -> None:
    answer = sign_in(site.browser(), site.secrets[Role.VIEWER], "//evil.example/")

    assert answer.headers["location"] == "/"


# Roles


def test_a_viewer_sees_no_decision_form_and_cannot_post_one(site: Site) -> None:
    viewer = site.browser(Role.VIEWER)
    project_id = site.project("DG-01")
    page = viewer.get(f"/projects/{project_id}")
    before = site.events()

    posted = viewer.post(f"/projects/{project_id}/decisions", data={
        "csrf": csrf(page), "version": "1", "kind": "pause", "rationale": "no"})

    assert page.status_code == 200
    assert "Record a board decision" not in page.text and 'name="rationale"' not in page.text
    assert posted.status_code == 403 and "may not record board decisions" in posted.text
    assert site.events() == before


def test_only_auditors_see_the_event_history_and_the_audit_page(site: Site) -> None:
    project = f"/projects/{site.project('DG-02')}"
    viewer, auditor = site.browser(Role.VIEWER), site.browser(Role.AUDITOR)

    assert "Event history" not in viewer.get(project).text
    assert viewer.get("/audit").status_code == 403
    assert "StatusReported" in auditor.get(project).text
    audit = auditor.get("/audit")
    assert audit.status_code == 200
    assert f"{site.events()}:" in audit.text


def test_the_event_history_shows_values_as_text_not_code(site: Site) -> None:
    opened = site.service.create_portfolio(
        actor=CHAIR, name="Service design", budget=Decimal("50000"), objectives=(
            {"key": "citizen-experience", "title": "Citizen experience", "weight": 2},
            {"key": "efficiency", "title": "Efficiency", "weight": 1}))
    proposed = site.service.propose_project(
        actor="pmo-office", portfolio_id=opened.id, code="SD-01",
        name="Service standards", requested_budget=Decimal("10000"),
        objectives=("citizen-experience", "efficiency"))

    shown = site.browser(Role.AUDITOR).get(f"/projects/{proposed.id}").text

    overview = site.browser(Role.VIEWER).get(f"/portfolios/{opened.id}").text
    assert "Strategic objectives (weights in force): Citizen experience" in overview
    assert "(67%)" in overview and "Efficiency" in overview and "(33%)" in overview
    site.service.set_weights(opened.id, actor=CHAIR, rationale="Efficiency first",
                             weights={"citizen-experience": 1, "efficiency": 3})
    reweighed = site.browser(Role.VIEWER).get(f"/portfolios/{opened.id}").text
    assert "(25%)" in reweighed and "(75%)" in reweighed
    fields = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>",
                             shown.split('class="data history"', 1)[1]))
    assert fields["objectives"] == "citizen-experience, efficiency"
    assert "[&#39;" not in shown and "{&#39;" not in shown and "None" not in fields.values()


# Recording decisions


def test_the_board_pauses_a_project_from_its_page(site_on_store: Site) -> None:
    site = site_on_store
    board = site.browser(Role.BOARD)
    project_id = site.project("DG-01")

    answer = decision_form(board, project_id, "pause", "Recovery plan first.",
                           meeting="March board")
    shown = board.get(answer.headers["location"])

    assert answer.status_code == 303
    assert site.service.project(project_id).status == "paused"
    log = site.service.decision_log(project_id=str(project_id)).items
    assert (log[-1].kind, log[-1].decided_by, log[-1].rationale, log[-1].meeting) == (
        "pause", "board-web", "Recovery plan first.", "March board")
    assert "Decision recorded:" in shown.text


def test_a_stale_form_is_refused_with_the_412_message_and_records_nothing(
    site_on_store: Site,
) -> None:
    site = site_on_store
    board = site.browser(Role.BOARD)
    project_id = site.project("DG-07")
    opened = board.get(f"/projects/{project_id}")
    seen = VERSION.search(opened.text)
    assert seen
    site.service.report_status(project_id, StatusReport(
        period_end=datetime.now(UTC).date(), schedule=Rating.RED, cost=Rating.GREEN,
        scope=Rating.GREEN), actor="pmo-office")
    before = site.events()

    refused = board.post(f"/projects/{project_id}/decisions", data={
        "csrf": csrf(opened), "version": seen.group(1), "kind": "pause",
        "rationale": "Looked fine to us"})

    now = site.service.project(project_id).version
    assert refused.status_code == 412
    assert "This project changed since you opened the page" in refused.text
    assert f"It is now at version {now}" in refused.text
    assert "Looked fine to us" in refused.text  # what the board typed is kept
    assert f'name="version" value="{now}"' in refused.text
    assert site.events() == before


def test_a_decision_without_a_rationale_is_refused_in_plain_words(site: Site) -> None:
    before = site.events()

    refused = decision_form(site.browser(Role.BOARD), site.project("DG-01"), "pause", "   ")

    assert refused.status_code == 422
    assert "Rationale is required and must not be blank." in refused.text
    assert "The ledger answered" not in refused.text and "Value error" not in refused.text
    assert "body.rationale" not in refused.text
    assert site.events() == before


def test_a_decision_the_lifecycle_forbids_is_a_409_with_the_ledgers_words(site: Site) -> None:
    board = site.browser(Role.BOARD)
    shown = board.get(f"/projects/{site.project('DG-03')}")  # paused
    version = VERSION.search(shown.text)
    assert version

    refused = board.post(f"/projects/{site.project('DG-03')}/decisions", data={
        "csrf": csrf(shown), "version": version.group(1), "kind": "pause", "rationale": "again"})

    assert refused.status_code == 409
    assert "This decision is not allowed now" in refused.text
    assert "Cannot pause a project that is paused" in refused.text


def test_funding_beyond_the_budget_is_refused(site: Site) -> None:
    refused = decision_form(site.browser(Role.BOARD), site.project("DG-04"), "fund",
                            "Approve", amount="4,500,000.01")

    assert refused.status_code == 409
    assert "Not enough budget available" in refused.text
    assert ("Funding USD 4,500,000.01 would exceed the portfolio&#39;s available budget of "
            "USD 4,500,000.") in refused.text
    assert "The ledger answered" not in refused.text and "4500000" not in refused.text
    assert site.service.project(site.project("DG-04")).status == "proposed"


def test_a_form_without_the_sessions_csrf_token_is_refused(site: Site) -> None:
    board = site.browser(Role.BOARD)
    before = site.events()

    forged = board.post(f"/projects/{site.project('DG-01')}/decisions", data={
        "csrf": "forged", "version": "1", "kind": "pause", "rationale": "csrf"})

    assert forged.status_code == 403 and "This form has expired" in forged.text
    assert site.events() == before


def test_a_form_posted_from_another_site_is_refused(site: Site) -> None:
    board = site.browser(Role.BOARD)
    shown = board.get(f"/projects/{site.project('DG-01')}")
    version = VERSION.search(shown.text)
    assert version
    before = site.events()

    forged = board.post(f"/projects/{site.project('DG-01')}/decisions", data={
        "csrf": csrf(shown), "version": version.group(1), "kind": "pause", "rationale": "x"},
        headers={"Origin": "https://evil.example"})

    assert forged.status_code == 403
    assert site.events() == before


# Reading the ledger


def test_every_page_shows_the_ledger_as_of_a_past_instant(site: Site) -> None:
    before_pause = datetime.now(UTC)
    site.service.decide(site.seeded.portfolio_id, site.project("DG-01"), DecisionKind.PAUSE,
                        actor=CHAIR, rationale="Pause")
    viewer = site.browser(Role.VIEWER)
    as_of = before_pause.isoformat()

    overview = viewer.get(f"/portfolios/{site.seeded.portfolio_id}", params={"as_of": as_of})
    project = viewer.get(f"/projects/{site.project('DG-01')}", params={"as_of": as_of})
    log = viewer.get("/decisions", params={"as_of": as_of, "kind": "pause"})

    assert "4 active · 1 paused" in overview.text
    assert "The portfolio as the ledger recorded it at" in overview.text
    assert f"as_of={before_pause.isoformat().replace('+00:00', 'Z').replace(':', '%3A')}" \
        in overview.text  # links keep the instant
    assert 'class="status status-active">Active' in project.text
    assert log.text.count('class="kind kind-pause"') == 1  # DG-03's pause, not DG-01's
    now = viewer.get(f"/portfolios/{site.seeded.portfolio_id}")
    assert "3 active · 2 paused" in now.text


def test_an_instant_that_is_not_one_is_a_422_page(site: Site) -> None:
    answer = site.browser(Role.VIEWER).get("/", params={"as_of": "last tuesday"})

    assert answer.status_code == 422
    assert "As of must be a date and time" in answer.text


def test_an_unknown_project_is_a_404_page(site: Site) -> None:
    viewer = site.browser(Role.VIEWER)

    unknown = viewer.get("/projects/00000000-0000-0000-0000-000000000000")
    malformed = viewer.get("/projects/not-an-id")

    assert unknown.status_code == 404 and "No project with id" in unknown.text
    assert malformed.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")


def test_the_project_table_filters_and_sorts(site: Site) -> None:
    viewer = site.browser(Role.VIEWER)
    overview = f"/portfolios/{site.seeded.portfolio_id}"

    red = viewer.get(overview, params={"health": "red", "sort": "cpi", "order": "asc"})
    stale = viewer.get(overview, params={"stale": "1"})

    rows = re.findall(r'<td class="code">(DG-\d+)</td>', red.text)
    assert rows == ["DG-06", "DG-02", "DG-03"]
    assert re.findall(r'<td class="code">(DG-\d+)</td>', stale.text) == ["DG-05"]


def test_the_decision_log_exports_the_filtered_list_as_csv(site: Site) -> None:
    site.service.decide(site.seeded.portfolio_id, site.project("DG-04"), DecisionKind.FUND,
                        actor=CHAIR, rationale="=HYPERLINK(\"http://x\")",
                        amount=Decimal("100000"))
    viewer = site.browser(Role.VIEWER)

    page = viewer.get("/decisions", params={"portfolio_id": str(site.seeded.portfolio_id),
                                            "kind": "fund"})
    exported = viewer.get("/decisions.csv", params={
        "portfolio_id": str(site.seeded.portfolio_id), "kind": "fund", "order": "oldest"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    newest = list(csv.DictReader(io.StringIO(viewer.get("/decisions.csv", params={
        "portfolio_id": str(site.seeded.portfolio_id), "kind": "fund"}).text)))

    assert 'href="/decisions.csv?portfolio_id=' in page.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    assert [r["project_code"] for r in rows] == [
        "DG-01", "DG-02", "DG-03", "DG-05", "DG-06", "DG-07", "DG-04"]
    assert {r["kind"] for r in rows} == {"fund"}
    assert rows[-1]["rationale"] == "'=HYPERLINK(\"http://x\")"  # never a live formula
    assert rows[-1]["amount"] == "100000.00" and rows[-1]["decided_by"] == CHAIR
    assert rows[3]["evidence_status"] == "proposed"
    assert newest == rows[::-1]  # as the page lists them by default


def test_pages_carry_a_policy_that_allows_nothing_from_elsewhere(site: Site) -> None:
    answer = site.browser(Role.VIEWER).get(f"/portfolios/{site.seeded.portfolio_id}")

    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "http://" not in answer.text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in answer.text


def test_charts_are_images_with_a_title_and_description(site: Site) -> None:
    page = site.browser(Role.VIEWER).get(f"/portfolios/{site.seeded.portfolio_id}").text

    charts = re.findall(r'<svg[^>]*role="img"[^>]*aria-labelledby="([\w-]+)-title \1-desc"', page)
    assert charts == ["budget", "by-status", "by-health"]
    assert "Active: 4 · USD 7.7m funded" in page
    assert "Red: 2 projects" in page


def test_the_audit_page_verifies_the_log(site: Site) -> None:
    auditor = site.browser(Role.AUDITOR)
    page = auditor.get("/audit")

    checked = auditor.post("/audit/verify", data={"csrf": csrf(page)})
    bundle = auditor.get("/audit/export")

    assert checked.status_code == 200
    assert "Intact." in checked.text and f"{site.events()} events recomputed" in checked.text
    lines = bundle.text.strip().splitlines()
    assert len(lines) == site.events() + 1 and '"manifest"' in lines[-1]


def test_a_rationale_is_shown_as_text_never_as_markup(site: Site) -> None:
    decision_form(site.browser(Role.BOARD), site.project("DG-01"), "pause",
                  '<script>alert("x")</script> & <b>bold</b>')

    shown = site.browser(Role.VIEWER).get(f"/projects/{site.project('DG-01')}").text

    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in shown
    assert "<script>" not in shown


def many_decisions(site: Site, count: int) -> None:
    """`count` more funding decisions in a portfolio of their own, by "Board-Secretary"."""
    opened = site.service.create_portfolio(actor=CHAIR, name="Many small grants",
                                           budget=Decimal("1000000"))
    for number in range(count):
        proposed = site.service.propose_project(
            actor="pmo-office", portfolio_id=opened.id, code=f"SG-{number:03d}",
            name=f"Grant {number}", requested_budget=Decimal("1000"))
        site.service.decide(opened.id, proposed.id, DecisionKind.FUND, actor="Board-Secretary",
                            amount=Decimal("1000"), rationale=f"Grant round item {number}.")


def log_codes(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">([A-Z]{2}-\d+) ', html)


def test_the_decision_log_is_newest_first_with_a_total_and_pages_both_ways(site: Site) -> None:
    many_decisions(site, 70)
    viewer = site.browser(Role.VIEWER)
    total = site.service.decision_count()

    first = viewer.get("/decisions")
    assert f"Decisions 1\u201350 of {total}, newest first." in first.text
    assert log_codes(first.text)[:2] == ["SG-069", "SG-068"]
    assert 'rel="prev"' not in first.text and ">First<" not in first.text
    following = viewer.get(re.search(r'href="([^"]+)" rel="next"', first.text)
                           .group(1).replace("&amp;", "&"))  # type: ignore[union-attr]
    assert f"Decisions 51\u2013{total} of {total}, newest first." in following.text
    assert log_codes(following.text)[:1] == ["SG-019"]
    assert 'rel="next"' not in following.text and ">First<" in following.text
    back = viewer.get(re.search(r'href="([^"]+)" rel="prev"', following.text)
                      .group(1).replace("&amp;", "&"))  # type: ignore[union-attr]
    assert log_codes(back.text) == log_codes(first.text)

    oldest = viewer.get("/decisions", params={"order": "oldest"})
    assert f"Decisions 1\u201350 of {total}, oldest first." in oldest.text
    assert log_codes(oldest.text)[0] == "DG-01"
    assert len(re.findall(r'<tr class="decision ', first.text)) == 50


def test_decided_by_matches_the_start_of_a_name_in_any_case(site_on_store: Site) -> None:
    site = site_on_store
    many_decisions(site, 3)
    viewer = site.browser(Role.VIEWER)
    literal = viewer.get("/decisions", params={"decided_by": "board_"})  # _ is no wildcard

    prefix = viewer.get("/decisions", params={"decided_by": "board-s"})
    exact_case = viewer.get("/decisions", params={"decided_by": "BOARD"})
    nobody = viewer.get("/decisions", params={"decided_by": "secretary"})

    assert "Decisions 1\u20133 of 3 that match, newest first." in prefix.text
    assert log_codes(exact_case.text).count("SG-000") == 1 and "board-chair" in exact_case.text
    assert "No decisions match." in nobody.text and "No decisions match." in literal.text
    assert "0 decisions" not in nobody.text and "on this page" not in nobody.text
    exported = viewer.get("/decisions.csv", params={"decided_by": "board-s"})
    assert len(list(csv.DictReader(io.StringIO(exported.text)))) == 3


def test_the_portfolio_list_searches_sorts_and_totals(site: Site) -> None:
    site.service.create_portfolio(actor=CHAIR, name="Estates", budget=Decimal("500000"),
                                  currency="EUR")
    viewer = site.browser(Role.VIEWER)

    listed = viewer.get("/")
    by_budget = viewer.get("/", params={"sort": "budget", "order": "desc"})
    found = viewer.get("/", params={"q": "DIGITAL"})

    names = re.compile(r'<th scope="row"><a href="/portfolios/[^"]+">([^<]+)</a>')
    assert names.findall(listed.text) == [
        "Corporate Services", "Digital Government Programme", "Estates"]
    # Amounts compare within a currency only: grouped by currency, then by amount.
    assert names.findall(by_budget.text) == [
        "Digital Government Programme", "Corporate Services", "Estates"]
    assert names.findall(found.text) == ["Digital Government Programme"]
    assert "1 of 3 portfolios match" in found.text
    totals = re.findall(r'<tr class="totals">\s*<th scope="row">([^<]+)</th>\s*'
                        r'<td class="num">([^<]+)</td>', listed.text)
    assert totals == [("Total in EUR (1 portfolio)", "EUR 500,000"),
                      ("Total in USD (2 portfolios)", "USD 16,000,000")]
    assert "No portfolio matches." in viewer.get("/", params={"q": "nothing"}).text


def test_the_project_table_exports_as_csv_as_filtered_and_sorted(site: Site) -> None:
    site.service.propose_project(actor="pmo-office", portfolio_id=site.seeded.portfolio_id,
                                 code="DG-08", name="=cmd|' /C calc'!A0",
                                 requested_budget=Decimal("1000"))
    viewer = site.browser(Role.VIEWER)
    overview = f"/portfolios/{site.seeded.portfolio_id}"

    shown = viewer.get(overview, params={"health": "red", "sort": "cpi"})
    link = re.search(r'href="([^"]+projects\.csv[^"]*)"', shown.text)
    assert link
    exported = viewer.get(link.group(1).replace("&amp;", "&"))
    everything = viewer.get(f"{overview}/projects.csv")

    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["code"] for r in rows] == ["DG-06", "DG-02", "DG-03"]
    assert rows[0]["reporting"] == "closed" and rows[1]["funded"] == "2500000.00"
    assert rows[1]["currency"] == "USD" and rows[1]["health"] == "red"
    named = {r["code"]: r for r in csv.DictReader(io.StringIO(everything.text))}
    assert named["DG-08"]["name"] == "'=cmd|' /C calc'!A0"  # never a live formula
    assert named["DG-05"]["reporting"] == "stale" and named["DG-04"]["reporting"] == (
        "no report yet")
