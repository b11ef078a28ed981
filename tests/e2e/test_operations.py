"""Operations: the health check, a store that goes away, and documentation that works offline."""

from __future__ import annotations

import re

import psycopg
from e2e_support import Api, serving

from api.settings import Settings

API_ROUTES = {
    ("post", "/v1/portfolios"), ("get", "/v1/portfolios"),
    ("get", "/v1/portfolios/{portfolio_id}"), ("get", "/v1/portfolios/{portfolio_id}/composition"),
    ("post", "/v1/portfolios/{portfolio_id}/decisions"), ("get", "/v1/decisions"),
    ("get", "/v1/decisions/{decision_id}"), ("post", "/v1/projects"), ("get", "/v1/projects"),
    ("get", "/v1/projects/{project_id}"), ("get", "/v1/projects/{project_id}/health"),
    ("get", "/v1/projects/{project_id}/reports"), ("get", "/v1/projects/{project_id}/history"),
    ("post", "/v1/projects/{project_id}/status-reports"),
    ("post", "/v1/projects/{project_id}/completion"), ("get", "/v1/healthz"),
}


class FailFast(Settings):
    """Give up on an unreachable PostgreSQL after one second instead of five."""

    def store_env(self) -> dict[str, str]:
        return {**super().store_env(), "POSTGRES_CONNECT_TIMEOUT": "1"}


def test_healthz_needs_no_token_and_names_the_store_and_the_lag(api: Api) -> None:
    api.portfolio()

    response = api.client.get("/v1/healthz")

    assert response.status_code == 200
    health = response.json()
    assert (health["status"], health["store"], health["projection_lag"]) == ("ok", "sqlite", 0)
    assert set(health["projections"]) >= {"timeline", "health", "composition", "decisions"}


def test_an_unreachable_store_is_a_503_problem(postgres_url: str) -> None:
    with serving(postgres_url, settings=FailFast(db=postgres_url)) as api:
        assert api.client.get("/v1/healthz").json()["store"] == "postgresql"
        server, name = postgres_url.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

        health = api.client.get("/v1/healthz")
        read = api.get("/v1/portfolios")

    for response in (health, read):
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["Retry-After"] == "1"
        assert response.json()["type"].endswith("/store-unavailable")
        assert "Traceback" not in response.text


def test_unknown_routes_and_methods_are_problems_too(api: Api) -> None:
    unknown = api.client.get("/v1/nowhere")
    wrong_method = api.client.delete("/v1/decisions")

    assert (unknown.status_code, unknown.json()["type"]) == (404, "about:blank")
    assert (wrong_method.status_code, wrong_method.json()["title"]) == (405, "Method Not Allowed")
    assert wrong_method.headers["Allow"] == "GET"
    assert wrong_method.headers["content-type"] == "application/problem+json"


def test_a_405_allows_every_method_the_path_takes_not_only_the_first_routes(api: Api) -> None:
    # /v1/projects is two routes, POST then GET; the router alone named only the POST.
    for path, allowed in (("/v1/projects", "GET, POST"), ("/v1/portfolios", "GET, POST")):
        refused = api.client.request("OPTIONS", path)

        assert refused.status_code == 405
        assert refused.headers["Allow"] == allowed
        assert refused.headers["content-type"] == "application/problem+json"


def test_malformed_json_is_a_400_on_every_write(api: Api) -> None:
    project = api.active_project()
    paths = ["/v1/portfolios", "/v1/projects",
             f"/v1/portfolios/{project['portfolio_id']}/decisions",
             f"/v1/projects/{project['id']}/status-reports",
             f"/v1/projects/{project['id']}/completion"]
    before = api.events()

    for path in paths:
        response = api.post_raw(path, '{"summary": "unterminated')
        assert response.status_code == 400, path
        assert response.json()["type"].endswith("/malformed-json")
    assert api.events() == before


def test_the_docs_page_loads_nothing_from_other_hosts(api: Api) -> None:
    page = api.client.get("/docs")

    assert page.status_code == 200
    assert re.findall(r"https?://", page.text) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert api.client.get(asset).status_code == 200, asset


def test_openapi_lists_every_route_with_its_problem_responses(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    operations = {(method, path): operation for path, item in schema["paths"].items()
                  for method, operation in item.items()}

    assert set(operations) >= API_ROUTES
    for (method, path), operation in operations.items():
        if (method, path) not in API_ROUTES:
            continue
        codes = set(operation["responses"])
        expected = {"503"}
        if path != "/v1/healthz":
            expected |= {"401", "403", "422"}
        if "{" in path:
            expected.add("404")
        if method == "post":
            expected |= {"201", "202", "400", "409", "413", "415"}
            recorded = operation["responses"]["202"]["content"]["application/json"]["schema"]
            assert recorded == {"$ref": "#/components/schemas/RecordedPublic"}, (method, path)
        assert codes >= expected, (method, path, codes)
        assert operation.get("summary") and operation.get("description"), (method, path)
        for code in codes - {"200", "201", "202"}:
            assert set(operation["responses"][code]["content"]) == {"application/problem+json"}
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


def test_openapi_documents_idempotency_keys_and_preconditions(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()

    def headers(method: str, path: str) -> set[str]:
        operation = schema["paths"][path][method]
        return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}

    for method, path in API_ROUTES:
        if method == "post":
            assert "Idempotency-Key" in headers(method, path), path
    for path in ("/v1/portfolios/{portfolio_id}/decisions",
                 "/v1/projects/{project_id}/status-reports",
                 "/v1/projects/{project_id}/completion"):
        assert "If-Match" in headers("post", path), path
