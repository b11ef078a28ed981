"""The pages when PostgreSQL goes away: an HTML 503 that says when to retry, soon, never JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as NoAnswer
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from dashboard_support import Seeded, dashboard_app, form_token, seed, signed_in_browser
from fastapi import FastAPI
from fastapi.testclient import TestClient
from store_proxy import StoreProxy

from api.auth.tokens import Role

# Generous: a page must answer well within this; the test does not measure more than that.
ANSWER_BOUND_SECONDS = 8
PAGES = ("/", "/portfolios/{portfolio}", "/projects/{project}", "/decisions", "/decisions.csv",
         "/audit", "/audit/export", "/signin")


@dataclass
class Behind:
    """The dashboard on a PostgreSQL database reached through a proxy that can be cut."""

    app: FastAPI
    seeded: Seeded
    admin: TestClient
    proxy: StoreProxy

    def path(self, template: str) -> str:
        return template.format(portfolio=self.seeded.portfolio_id,
                               project=self.seeded.projects["DG-01"])


@pytest.fixture
def behind(postgres_url: str) -> Iterator[Behind]:
    parts = urlsplit(postgres_url)
    with StoreProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        app = dashboard_app(proxy.url(postgres_url))
        with TestClient(app):
            seeded = seed(app.state.service)
            secret = app.state.tokens.create("admin-web", Role.ADMIN)
            yield Behind(app, seeded, signed_in_browser(app, secret), proxy)


def answered(ask: Callable[[], httpx.Response]) -> httpx.Response:
    """The answer, failing the test if none comes within the bound."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(ask)
        try:
            return pending.result(timeout=ANSWER_BOUND_SECONDS)
        except NoAnswer:
            pytest.fail(f"no answer within {ANSWER_BOUND_SECONDS} s")


def test_every_page_answers_an_outage_with_an_html_503_and_retry_after(behind: Behind) -> None:
    project = behind.path("/projects/{project}")
    token = form_token(behind.admin.get(project).text)
    behind.proxy.cut()

    answers = {page: answered(partial(behind.admin.get, behind.path(page))) for page in PAGES}
    answers["decide"] = answered(partial(behind.admin.post, f"{project}/decisions", data={
        "csrf": token, "version": "1", "kind": "pause", "rationale": "Pause."}))

    for page, answer in answers.items():
        assert answer.status_code == 503, page
        assert answer.headers["content-type"].startswith("text/html"), page
        assert answer.headers["retry-after"].isdigit(), page
        assert 'class="problem-page"' in answer.text and "The ledger is unavailable" in answer.text


def test_the_first_page_after_the_server_dropped_every_connection_is_shown(
    behind: Behind, postgres_url: str
) -> None:
    # As a restart does: every pooled connection is dead, the server answers new ones.
    database = urlsplit(postgres_url).path.lstrip("/")
    with psycopg.connect(postgres_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE datname = %s AND pid <> pg_backend_pid()", (database,))

    answer = answered(partial(behind.admin.get, behind.path("/portfolios/{portfolio}")))

    assert answer.status_code == 200
    assert "Digital Government Programme" in answer.text
