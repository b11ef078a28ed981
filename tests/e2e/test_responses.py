"""Answers are checked against their documented model and dumped once, as documented."""

from __future__ import annotations

from e2e_support import Api

from api.auth.tokens import Role


def test_every_json_route_still_documents_its_response_model(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    documented = {
        ("/v1/portfolios/{portfolio_id}/composition", "get", "200"): "CompositionPublic",
        ("/v1/decisions", "get", "200"): "DecisionPage",
        ("/v1/projects/{project_id}/health", "get", "200"): "HealthPublic",
        ("/v1/portfolios/{portfolio_id}/decisions", "post", "201"): "DecisionPublic",
        ("/v1/healthz", "get", "200"): "ServiceHealth",
    }
    for (path, method, code), model in documented.items():
        content = paths[path][method]["responses"][code]["content"]["application/json"]
        assert content["schema"]["$ref"] == f"#/components/schemas/{model}"


def test_a_write_keeps_its_status_headers_and_exact_money(api: Api) -> None:
    project = api.project(api.portfolio(budget="1000")["id"])

    funded = api.decide(project, "fund", amount="0.5", if_match='"1"')

    assert funded.status_code == 201
    assert funded.headers["content-type"] == "application/json"
    assert funded.headers["Location"] == f"/v1/decisions/{funded.json()['id']}"
    assert '"amount":"0.50"' in funded.text
    composition = api.get(f"/v1/portfolios/{project['portfolio_id']}/composition", Role.VIEWER)
    assert '"available":"999.50"' in composition.text
    assert composition.headers["content-length"] == str(len(composition.content))


def test_a_read_keeps_its_etag(api: Api) -> None:
    project = api.project(api.portfolio()["id"])

    read = api.get(f"/v1/projects/{project['id']}", Role.VIEWER)

    assert read.status_code == 200
    assert read.headers["ETag"] == f'"{project["version"]}"'
