"""The request body limit: 413 as a problem before anything is parsed, and nothing recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from e2e_support import Api, serving
from test_dashboard_pages import decision_form, site_on

from api.auth.tokens import Role
from api.settings import Settings

MIB = 1024 * 1024
PROBLEM_TYPE = "https://portfolio-ledger.dev/problems/body-too-large"


def portfolio_body(size: int) -> str:
    """A valid portfolio of exactly `size` bytes: JSON padded with whitespace."""
    body = json.dumps({"name": "Padded", "budget": "1000.00"})
    assert len(body) <= size
    return body[:-1] + " " * (size - len(body)) + "}"


def chunks(body: str, size: int = 64 * 1024) -> Iterator[bytes]:
    """The body sent without a Content-Length, in chunks, as a streaming client sends it."""
    data = body.encode()
    for start in range(0, len(data), size):
        yield data[start:start + size]


def assert_refused(answer: httpx.Response, limit: int) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["type"], problem["status"], problem["max_bytes"]) == (PROBLEM_TYPE, 413, limit)
    assert problem["instance"] == "/v1/portfolios"


def test_a_body_declared_over_the_limit_is_refused_and_records_nothing(api_on_store: Api) -> None:
    before = api_on_store.events()

    answer = api_on_store.post_raw("/v1/portfolios", portfolio_body(MIB + 1))

    assert_refused(answer, MIB)
    assert answer.headers["connection"] == "close"
    assert api_on_store.events() == before
    assert api_on_store.get("/v1/portfolios").json()["items"] == []


def test_a_chunked_body_that_grows_past_the_limit_is_refused_and_records_nothing(
    api_on_store: Api,
) -> None:
    before = api_on_store.events()

    answer = api_on_store.client.post(
        "/v1/portfolios", content=chunks(portfolio_body(MIB + 1)),
        headers=api_on_store.headers(content_type="application/json"))

    assert "content-length" not in answer.request.headers
    assert_refused(answer, MIB)
    assert api_on_store.events() == before
    assert api_on_store.get("/v1/portfolios").json()["items"] == []


def test_an_over_limit_body_with_an_idempotency_key_is_refused_and_the_key_stays_free(
    api: Api,
) -> None:
    refused = api.client.post(
        "/v1/portfolios", content=chunks(portfolio_body(MIB + 1)),
        headers=api.headers(content_type="application/json", idempotency_key="big-1"))
    retried = api.post_raw("/v1/portfolios", portfolio_body(1000), idempotency_key="big-1")

    assert_refused(refused, MIB)
    assert retried.status_code == 201, retried.text


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_body_of_exactly_the_limit_is_recorded(api: Api, streamed: bool) -> None:
    body = portfolio_body(MIB)
    content = chunks(body) if streamed else body

    answer = api.client.post("/v1/portfolios", content=content,
                             headers=api.headers(content_type="application/json"))

    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == "Padded"


def test_the_setting_moves_the_limit(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTFOLIO_LEDGER_MAX_BODY_BYTES", "4096")
    settings = Settings(db=sqlite_url)

    with serving(sqlite_url, settings=settings) as api:
        fits = api.post_raw("/v1/portfolios", portfolio_body(4096))
        over = api.post_raw("/v1/portfolios", portfolio_body(4097))
        streamed_over = api.client.post(
            "/v1/portfolios", content=chunks(portfolio_body(4097), 1000),
            headers=api.headers(content_type="application/json"))

    assert settings.max_body_bytes == 4096
    assert fits.status_code == 201, fits.text
    assert_refused(over, 4096)
    assert_refused(streamed_over, 4096)
    assert "4,096 bytes" in over.json()["detail"]


def test_the_limit_must_be_a_positive_number_of_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTFOLIO_LEDGER_MAX_BODY_BYTES", "0")

    with pytest.raises(ValueError, match="max_body_bytes"):
        Settings()


def test_an_over_limit_decision_form_gets_the_problem_page_and_records_nothing(
    sqlite_url: str,
) -> None:
    with site_on(sqlite_url) as site:
        board = site.browser(Role.BOARD)
        before = site.events()

        refused = decision_form(board, site.project("DG-01"), "pause", "x" * (MIB + 1))

        assert site.events() == before
        assert site.service.project(site.project("DG-01")).status == "active"
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("text/html")
    assert "This form is too large" in refused.text
    assert "nothing was recorded" in refused.text
    assert "Sign out" in refused.text  # the page knows who is signed in, as every page does
    assert refused.headers["content-security-policy"].startswith("default-src 'none'")


def test_every_operation_that_takes_a_body_documents_the_413(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    with_body = {(path, method): operation for path, item in schema["paths"].items()
                 for method, operation in item.items() if "requestBody" in operation}

    assert with_body
    for (path, method), operation in with_body.items():
        answer = operation["responses"].get("413")
        assert answer, f"{method.upper()} {path} does not document the body limit"
        assert list(answer["content"]) == ["application/problem+json"]
