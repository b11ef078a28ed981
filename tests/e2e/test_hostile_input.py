"""Hostile text over HTTP, on both stores: every free-text field of every write endpoint.

A NUL (PostgreSQL text cannot hold one), another C0 control, half of a surrogate pair sent as
the raw JSON escape `\\ud800`, and a value one character too long are each a 422 naming the
field, and the log does not move. The same request with a fine value is then recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from e2e_support import Api, days_ago, serving

from api.auth.tokens import Role
from domain.values import CODE_LENGTH, NAME_LENGTH, PROSE_LENGTH

HOSTILE = "HOSTILE-VALUE"
# As they go over the wire: JSON escapes, so the raw `\ud800` reaches the server unpaired.
ESCAPED = {"nul": r'"a\u0000b"', "bell": r'"a\u0007b"', "surrogate": r'"a\ud800b"'}


def portfolio_body(api: Api) -> tuple[str, dict[str, Any]]:
    return "/v1/portfolios", {"name": "Digital", "budget": "1000.00", "currency": "USD",
                              "objectives": [{"key": "cx", "title": "Customer experience"}]}


def project_body(api: Api) -> tuple[str, dict[str, Any]]:
    portfolio = api.portfolio(objectives=[{"key": "cx", "title": "Customer experience"}])
    return "/v1/projects", {"portfolio_id": portfolio["id"], "name": "Portal", "code": "P-1",
                            "sponsor": "Ana", "manager": "Bo", "requested_budget": "10.00",
                            "objectives": ["cx"]}


def report_body(api: Api) -> tuple[str, dict[str, Any]]:
    project = api.active_project()
    return f"/v1/projects/{project['id']}/status-reports", {
        "period_end": days_ago(1), "schedule": "green", "cost": "green", "scope": "green",
        "summary": "On track"}


def completion_body(api: Api) -> tuple[str, dict[str, Any]]:
    return f"/v1/projects/{api.active_project()['id']}/completion", {"summary": "Delivered"}


def decision_body(api: Api) -> tuple[str, dict[str, Any]]:
    project = api.project(api.portfolio()["id"])
    return f"/v1/portfolios/{project['portfolio_id']}/decisions", {
        "project_id": project["id"], "kind": "fund", "amount": "10.00",
        "rationale": "Strong case", "meeting": "March board"}


Endpoint = Callable[[Api], tuple[str, dict[str, Any]]]
FIELDS: list[tuple[Endpoint, str, int]] = [
    (portfolio_body, "name", NAME_LENGTH),
    (portfolio_body, "currency", 3),
    (portfolio_body, "objectives.0.key", CODE_LENGTH),
    (portfolio_body, "objectives.0.title", NAME_LENGTH),
    (project_body, "name", NAME_LENGTH),
    (project_body, "code", CODE_LENGTH),
    (project_body, "sponsor", NAME_LENGTH),
    (project_body, "manager", NAME_LENGTH),
    (project_body, "objectives.0", CODE_LENGTH),
    (report_body, "summary", PROSE_LENGTH),
    (completion_body, "summary", PROSE_LENGTH),
    (decision_body, "rationale", PROSE_LENGTH),
    (decision_body, "meeting", NAME_LENGTH),
]


def with_value(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """The body with the value at a dotted path (`objectives.0.key`)."""
    copied = json.loads(json.dumps(body))
    *parents, last = field.split(".")
    place: Any = copied
    for part in parents:
        place = place[int(part) if part.isdigit() else part]
    place[int(last) if last.isdigit() else last] = value
    return copied


def send(api: Api, path: str, body: dict[str, Any], escaped: str) -> httpx.Response:
    """POST the body with one value spliced in exactly as written (a raw JSON escape)."""
    return api.post_raw(path, json.dumps(body).replace(json.dumps(HOSTILE), escaped))


def named(answer: httpx.Response) -> list[str]:
    return [error["field"] for error in answer.json()["errors"]]


@pytest.mark.parametrize(("endpoint", "field", "limit"), FIELDS,
                         ids=[f"{endpoint.__name__.removesuffix('_body')}-{field}"
                              for endpoint, field, _ in FIELDS])
def test_hostile_text_in_any_field_is_a_422_naming_it_and_records_nothing(
    api_on_store: Api, endpoint: Endpoint, field: str, limit: int
) -> None:
    api = api_on_store
    path, body = endpoint(api)
    hostile = {**ESCAPED, "over-long": json.dumps("x" * (limit + 1))}
    before = api.events()

    for kind, escaped in hostile.items():
        answer = send(api, path, with_value(body, field, HOSTILE), escaped)

        assert answer.status_code == 422, (kind, answer.text)
        assert named(answer) == [f"body.{field}"], kind
        assert answer.headers["content-type"] == "application/problem+json"
        assert api.events() == before, f"{kind} was recorded"

    recorded = api.post(path, body)
    assert recorded.status_code == 201, recorded.text
    assert api.events() > before


def test_hostile_text_in_a_query_filter_is_a_422(api_on_store: Api) -> None:
    answer = api_on_store.get("/v1/decisions", decided_by="a\x00b")

    assert answer.status_code == 422
    assert named(answer) == ["query.decided_by"]


def test_a_multi_line_rationale_is_kept_with_lf_line_ends(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    answer = api.decide(project, "fund", amount="10.00",
                        rationale="First line\r\nSecond line\r\n\tindented")

    assert answer.status_code == 201, answer.text
    assert answer.json()["rationale"] == "First line\nSecond line\n\tindented"


def test_on_postgresql_a_nul_is_refused_and_the_next_decision_is_recorded_and_shown(
    postgres_url: str,
) -> None:
    with serving(postgres_url) as api:
        project = api.project(api.portfolio()["id"])
        before = api.events()
        path = f"/v1/portfolios/{project['portfolio_id']}/decisions"

        refused = api.post_raw(path, json.dumps({
            "project_id": project["id"], "kind": "fund", "amount": "10.00",
            "rationale": HOSTILE}).replace(json.dumps(HOSTILE), ESCAPED["nul"]))
        assert refused.status_code == 422, refused.text
        assert named(refused) == ["body.rationale"]
        assert api.events() == before

        funded = api.decide(project, "fund", amount="10.00")
        assert funded.status_code == 201, funded.text
        assert api.events() == before + 2
        shown = api.get("/v1/decisions", project_id=project["id"]).json()
        assert [item["id"] for item in shown["items"]] == [funded.json()["id"]]
        assert shown["position"] == api.events()
        assert api.get(f"/v1/projects/{project['id']}").json()["status"] == "active"
        assert api.get("/v1/healthz", role=None).json()["projection_lag"] == 0
        assert api.decide(project, "pause", role=Role.BOARD).status_code == 201
