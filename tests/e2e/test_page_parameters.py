"""Every page refuses every bad value in its address with its own HTML problem page (4xx),
never a 5xx and never JSON; the values the pages' own forms and links send are accepted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from dashboard_support import Seeded, dashboard_app, form_token, seed, signed_in_browser
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth.tokens import Role

ABC, EXPONENT, DIGITS_23, NEGATIVE, EMPTY, NUL = "abc", "1e5", "9" * 23, "-1", "", "\x00"
LATE = "9999-12-31T23:59:59-05:00"  # after the year 9999 once in UTC
EARLY = "0001-01-01T00:00:00+05:00"  # before the year 1 once in UTC
FUTURE = "2099-01-01T00:00:00Z"
HOSTILE = (ABC, EXPONENT, DIGITS_23, NEGATIVE, EMPTY, NUL, LATE, EARLY, FUTURE)
ARABIC_DIGITS = "\u0661\u0662\u0663"  # int() and \d read them as 123

# What each kind of parameter must refuse. An empty filter is what a form sends for "any".
REFUSED: dict[str, tuple[str, ...]] = {
    "instant": (*HOSTILE, "2099-01-01", "2026-03-31T17:00:00", "2026-03-31 17:00:00Z",
                "20260331", "2026-03-31T17:00:00+24:00", "2026-02-30T10:00:00Z", ARABIC_DIGITS),
    "form instant": (ABC, EXPONENT, DIGITS_23, NEGATIVE, NUL, LATE, EARLY, FUTURE,
                     "2099-01-01T00:00", "2026-03-31T17:00:00Z", "2026-02-30T10:00"),
    "date": (ABC, EXPONENT, DIGITS_23, NEGATIVE, NUL, LATE, EARLY, FUTURE, "2099-01-01",
             "20260331", "2026-02-30", "2026-03-31T17:00:00Z", ARABIC_DIGITS),
    "cursor": (*HOSTILE, "1" * 19, " 5", ARABIC_DIGITS),
    "choice": (ABC, EXPONENT, DIGITS_23, NEGATIVE, NUL, LATE, EARLY, FUTURE, " "),
    "id": (ABC, EXPONENT, DIGITS_23, NEGATIVE, NUL, LATE, EARLY, FUTURE, " ",
           "00000000000000000000000000000000"),
    "day": (ABC, EXPONENT, DIGITS_23, NEGATIVE, NUL, LATE, EARLY, FUTURE, "20260331",
            "2026-02-30", "2026-W13-2"),
    "text": (NUL, "a\x1bb", "x" * 201),  # any words are a fine search
}
PATH_IDS = (ABC, EXPONENT, DIGITS_23, NEGATIVE, "%00")
# How the problem page names each parameter: "Check the ...".
WORDS = {"as_of": "as of", "as_of_utc": "as of", "effective_on": "date",
         "cursor": "page link", "back": "page link", "portfolio_id": "portfolio",
         "project_id": "project", "decided_by": "decided by"}

TRAVEL = {"as_of": "instant", "as_of_utc": "form instant", "effective_on": "date"}
LOG_FILTERS = {"portfolio_id": "id", "project_id": "id", "kind": "choice", "decided_by": "text",
               "since": "day", "until": "day"}
ROUTES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("GET", "/", {**TRAVEL, "q": "text", "sort": "choice", "order": "choice"}),
    ("GET", "/portfolios/{portfolio}", {**TRAVEL, "q": "text", "status": "choice",
                                        "health": "choice", "stale": "choice",
                                        "sort": "choice", "order": "choice",
                                        "opened": "choice"}),
    ("GET", "/portfolios/new", TRAVEL),
    ("GET", "/portfolios/{portfolio}/propose", TRAVEL),
    ("GET", "/portfolios/{portfolio}/projects.csv", {
        "as_of": "instant", "effective_on": "date", "q": "text", "status": "choice",
        "health": "choice", "stale": "choice", "sort": "choice", "order": "choice"}),
    ("GET", "/projects/{project}", {**TRAVEL, "recorded": "id", "reported": "choice",
                                    "proposed": "choice"}),
    ("GET", "/decisions", {**TRAVEL, **LOG_FILTERS, "order": "choice", "cursor": "cursor",
                           "back": "cursor"}),
    ("GET", "/decisions.csv", {"as_of": "instant", "effective_on": "date", **LOG_FILTERS,
                               "order": "choice"}),
    ("GET", "/audit", TRAVEL),
    ("GET", "/audit/export", {"portfolio_id": "id", "since": "day", "until": "day"}),
    ("POST", "/projects/{project}/decisions", {"as_of": "instant"}),
    ("POST", "/audit/verify", {"as_of": "instant"}),
    ("POST", "/portfolios", {"as_of": "instant", "effective_on": "date"}),
    ("POST", "/portfolios/{portfolio}/projects", {"as_of": "instant"}),
    ("POST", "/projects/{project}/reports", {"as_of": "instant"}),
)
CASES = [pytest.param(method, path, name, kind, id=f"{method} {path} {name}")
         for method, path, names in ROUTES for name, kind in names.items()]
PAGES_WITH_IDS = ("/portfolios/{}", "/projects/{}", "/projects/{}/decisions")


@dataclass
class Signed:
    """The dashboard on a seeded SQLite ledger, and an admin (who may see every page)."""

    app: FastAPI
    seeded: Seeded
    client: TestClient

    def events(self) -> int:
        head: int = self.app.state.service.database.head()
        return head

    def path(self, template: str) -> str:
        return template.format(portfolio=self.seeded.portfolio_id,
                               project=self.seeded.projects["DG-01"])

    def form(self, method: str, path: str) -> dict[str, str] | None:
        """What the page's own form would post: the session's token and the version shown."""
        if method != "POST":
            return None
        shown = self.client.get(self.path("/projects/{project}")).text
        version = shown.split('name="version" value="', 1)[1].split('"', 1)[0]
        return {"csrf": form_token(shown), "version": version, "kind": "pause",
                "rationale": "Pause while the re-plan is reviewed."}


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Signed]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('pages')) / 'ledger.db'}"
    app = dashboard_app(url)
    with TestClient(app):
        seeded = seed(app.state.service)
        secret = app.state.tokens.create("admin-web", Role.ADMIN)
        yield Signed(app, seeded, signed_in_browser(app, secret))


def not_a_refusal(answer: httpx.Response, words: str | None) -> str | None:
    """What is wrong with an answer that should be the problem page, or None."""
    kind = answer.headers.get("content-type", "")
    if not 400 <= answer.status_code < 500:
        return f"status {answer.status_code}"
    if not kind.startswith("text/html"):
        return f"content-type {kind}"
    if 'class="problem-page"' not in answer.text:
        return "not the problem page"
    if words is not None and f"Check the {words}" not in answer.text:
        return f"the page does not name the {words}"
    return None


@pytest.mark.parametrize(("method", "path", "name", "kind"), CASES)
def test_a_bad_value_of_any_parameter_is_a_problem_page(
    signed: Signed, method: str, path: str, name: str, kind: str
) -> None:
    before = signed.events()
    wrong = {}
    for value in REFUSED[kind]:
        answer = signed.client.request(method, signed.path(path), params={name: value},
                                       data=signed.form(method, path))
        problem = not_a_refusal(answer, WORDS.get(name, name))
        if problem is not None:
            wrong[value] = problem

    assert wrong == {}
    assert signed.events() == before


@pytest.mark.parametrize("template", PAGES_WITH_IDS)
def test_an_id_in_the_path_that_is_not_one_is_a_404_page(signed: Signed, template: str) -> None:
    method = "POST" if template.endswith("/decisions") else "GET"
    answers = {value: signed.client.request(method, template.format(value),
                                            data=signed.form(method, template))
               for value in PATH_IDS}

    assert {value: answer.status_code for value, answer in answers.items()} == dict.fromkeys(
        PATH_IDS, 404)
    assert {not_a_refusal(answer, None) for answer in answers.values()} == {None}


def test_a_future_instant_is_refused_not_shown_as_the_ledger_then(signed: Signed) -> None:
    answer = signed.client.get("/", params={"as_of": FUTURE})
    tomorrow_by_date = signed.client.get("/", params={"as_of": "2099-01-01"})

    assert answer.status_code == 422 and tomorrow_by_date.status_code == 422
    assert "As of is in the future" in answer.text
    assert "as the ledger recorded it at" not in answer.text


def test_a_future_date_or_form_instant_is_refused_in_plain_words(signed: Signed) -> None:
    by_date = signed.client.get("/", params={"effective_on": "2099-01-01"})
    by_form = signed.client.get("/", params={"effective_on": "", "as_of_utc": "2099-01-01 00:00"})

    assert by_date.status_code == by_form.status_code == 422
    assert 'class="problem-page"' in by_date.text and 'class="problem-page"' in by_form.text
    assert "Date is in the future: 2099-01-01 has not come yet" in by_date.text
    assert "As of is in the future" in by_form.text
    assert "The ledger answered" not in by_date.text + by_form.text


@pytest.mark.parametrize(("path", "query"), [
    ("/", {"as_of": "2020-01-01T12:00:00Z"}),
    ("/", {"as_of": "2020-01-01T17:30:00.123456789+05:30"}),
    ("/", {"as_of": "2020-01-01t12:00:00z"}),
    ("/", {"as_of": "2020-01-01"}),
    ("/", {"effective_on": "2020-01-01", "as_of": "2020-01-05T00:00:00Z"}),
    ("/decisions", {"effective_on": "2020-01-01", "kind": "fund"}),
    ("/portfolios/{portfolio}", {"q": "", "status": "", "health": "", "sort": "code",
                                 "order": "asc"}),
    ("/portfolios/{portfolio}", {"q": "1e5 -1 <b>", "status": "active", "health": "red",
                                 "stale": "1", "sort": "cpi", "order": "desc"}),
    ("/projects/{project}", {"recorded": "00000000-0000-0000-0000-000000000000"}),
    ("/decisions", {"portfolio_id": "", "project_id": "", "kind": "", "decided_by": "",
                    "since": "", "until": ""}),
    ("/decisions", {"portfolio_id": "{portfolio}", "project_id": "{project}", "kind": "fund",
                    "decided_by": " board-chair ", "since": "2020-01-01", "until": "2099-12-31",
                    "cursor": "999999999999999999"}),
    ("/decisions.csv", {"kind": "", "since": "2020-01-01"}),
    ("/audit/export", {"portfolio_id": "", "since": "", "until": ""}),
])
def test_what_the_pages_forms_and_links_send_is_accepted(
    signed: Signed, path: str, query: dict[str, str]
) -> None:
    answer = signed.client.get(signed.path(path),
                               params={key: signed.path(value) for key, value in query.items()})

    assert answer.status_code == 200, answer.text


def test_the_time_travel_form_sends_the_page_to_its_as_of_address(signed: Signed) -> None:
    overview = signed.path("/portfolios/{portfolio}")

    sent = signed.client.get(overview, params={"sort": "name", "as_of_utc": "2020-01-01T12:00"})
    precise = signed.client.get(overview, params={"as_of_utc": "2020-01-01T12:00:00.250"})
    cleared = signed.client.get(overview, params={"sort": "name", "as_of_utc": ""})
    shown = signed.client.get(sent.headers["location"])

    assert sent.status_code == precise.status_code == cleared.status_code == 303
    target = urlsplit(sent.headers["location"])
    assert target.path == overview
    assert parse_qs(target.query) == {"sort": ["name"], "as_of": ["2020-01-01T12:00:00Z"]}
    assert parse_qs(urlsplit(precise.headers["location"]).query) == {
        "as_of": ["2020-01-01T12:00:00.250000Z"]}
    assert cleared.headers["location"] == f"{overview}?sort=name"
    assert "as the ledger recorded it at 1 January 2020 12:00 UTC" in shown.text


def test_the_time_travel_form_keeps_the_date_and_the_instant(signed: Signed) -> None:
    overview = signed.path("/portfolios/{portfolio}")
    on = date.today() - timedelta(days=10)
    now = datetime.now(UTC)

    both = signed.client.get(overview, params={
        "effective_on": on.isoformat(), "as_of_utc": now.strftime("%Y-%m-%d %H:%M:%S.%f")})
    only_date = signed.client.get(overview, params={"effective_on": "2020-01-01",
                                                    "as_of_utc": ""})
    neither = signed.client.get(overview, params={"sort": "name", "effective_on": ""})
    shown = signed.client.get(both.headers["location"])

    assert both.status_code == only_date.status_code == neither.status_code == 303
    assert parse_qs(urlsplit(both.headers["location"]).query) == {
        "effective_on": [on.isoformat()],
        "as_of": [now.isoformat().replace("+00:00", "Z")]}
    assert only_date.headers["location"] == f"{overview}?effective_on=2020-01-01"
    assert neither.headers["location"] == f"{overview}?sort=name"
    assert shown.status_code == 200
    assert (f"The portfolio on {on.day} {on:%B %Y}, as the ledger recorded it at "
            f"{now.day} {now:%B %Y %H:%M:%S}") in shown.text
    links = re.findall(r'href="(/projects/[^"]+)"', shown.text)
    assert links and all(f"effective_on={on.isoformat()}" in link and "as_of=" in link
                         for link in links)


def test_a_decision_form_with_control_characters_is_refused_and_records_nothing(
    store_url: str,
) -> None:
    # On PostgreSQL a NUL would be recorded and then stop every view at that event.
    app = dashboard_app(store_url)
    with TestClient(app):
        seeded = seed(app.state.service)
        board = signed_in_browser(app, app.state.tokens.create("board-web", Role.BOARD))
        project = f"/projects/{seeded.projects['DG-01']}"
        shown = board.get(project).text
        version = shown.split('name="version" value="', 1)[1].split('"', 1)[0]
        before = app.state.service.database.head()
        form = {"csrf": form_token(shown), "version": version, "kind": "pause",
                "rationale": "Pause while the re-plan is reviewed.\r\n\tSee the minutes."}
        answers = {field: board.post(f"{project}/decisions", data={**form, field: value})
                   for field, value in (("rationale", "Pause\x00now"), ("meeting", "\x00"),
                                        ("amount", "1\x00"), ("decided_on", "\x1b"))}

        assert {field: answer.status_code for field, answer in answers.items()} == {
            "rationale": 422, "meeting": 422, "amount": 422, "decided_on": 422}
        assert "Rationale must not contain control characters." in answers["rationale"].text
        assert app.state.service.database.head() == before
        assert board.post(f"{project}/decisions", data=form).status_code == 303  # lines, tabs
        assert app.state.service.project(seeded.projects["DG-01"]).status == "paused"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no-such-page", 404),
    ("GET", "/projects/{project}/nothing-here", 404),
    ("DELETE", "/decisions", 405),
])
def test_an_address_the_pages_do_not_have_is_a_problem_page(
    signed: Signed, method: str, path: str, status: int
) -> None:
    answer = signed.client.request(method, signed.path(path))

    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1" in answer.text


def test_an_unknown_api_address_is_still_a_problem_document(signed: Signed) -> None:
    answer = signed.client.get("/v1/no-such-thing")

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("target", ["/%00", "/caf%C3%A9", "/%0d%0aSet-Cookie:x=1"])
def test_sign_in_never_redirects_to_an_address_a_header_cannot_carry(
    signed: Signed, target: str
) -> None:
    answer = signed.client.get(f"/signin?next={target}", follow_redirects=False)

    assert answer.status_code in (200, 303)
    assert answer.headers.get("location", "/") == "/"
