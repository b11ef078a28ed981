"""The OpenAPI document at /openapi.json, as the API really answers and accepts.

FastAPI's own document, with what it cannot know said: error bodies are
`application/problem+json`; a query parameter or header left out is absent, never `null`;
If-Match has the shape `api.http.deps.expected_version` reads; and `links` lead from each resource
a write creates (or a read shows) to the operations that take its id, so a client (or a
schema-driven fuzzer) can follow them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.http.errors import MEDIA_TYPE

# What `api.http.deps.expected_version` takes: `*`, or one strong ETag, blanks around it allowed.
IF_MATCH_PATTERN = r'^[ \t]*(\*|"[0-9]{1,18}")[ \t]*$'

PORTFOLIO = "/v1/portfolios/{portfolio_id}"
PROJECT = "/v1/projects/{project_id}"
DECISIONS = "/v1/portfolios/{portfolio_id}/decisions"


def to_project(project_id: str, portfolio_id: str, etag: str | None) -> dict[str, Any]:
    """Links from a project, however it was reached, to what may be read and done with it."""
    version = {"header.If-Match": etag} if etag else {}
    on_it = {"path.project_id": project_id}
    return {
        "GetProject": ("get", PROJECT, on_it),
        "GetProjectHealth": ("get", f"{PROJECT}/health", on_it),
        "GetProjectReports": ("get", f"{PROJECT}/reports", on_it),
        "GetProjectHistory": ("get", f"{PROJECT}/history", on_it),
        "ReportStatus": ("post", f"{PROJECT}/status-reports", {**on_it, **version}),
        "CompleteProject": ("post", f"{PROJECT}/completion", {**on_it, **version}),
        "RecordDecision": ("post", DECISIONS, {"path.portfolio_id": portfolio_id, **version},
                           {"project_id": project_id}),
        "ListDecisionsOnProject": ("get", "/v1/decisions", {"query.project_id": project_id}),
    }


PROJECT_SHOWN = to_project("$response.body#/id", "$response.body#/portfolio_id",
                           "$response.header.ETag")
PORTFOLIO_CREATED = {
    "GetPortfolio": ("get", PORTFOLIO, {"path.portfolio_id": "$response.body#/id"}),
    "GetComposition": ("get", f"{PORTFOLIO}/composition",
                       {"path.portfolio_id": "$response.body#/id"}),
    "ProposeProject": ("post", "/v1/projects", {}, {"portfolio_id": "$response.body#/id"}),
    "ListProjectsOfPortfolio": ("get", "/v1/projects",
                                {"query.portfolio_id": "$response.body#/id"}),
    "ListDecisionsOfPortfolio": ("get", "/v1/decisions",
                                 {"query.portfolio_id": "$response.body#/id"}),
}
DECISION_RECORDED = {
    "GetDecision": ("get", "/v1/decisions/{decision_id}",
                    {"path.decision_id": "$response.body#/id"}),
    **{name: link for name, link in to_project(
        "$response.body#/project_id", "$response.body#/portfolio_id", None).items()
       if name in ("GetProject", "RecordDecision", "GetProjectHistory")},
    "GetPortfolioAfterDecision": ("get", PORTFOLIO,
                                  {"path.portfolio_id": "$response.body#/portfolio_id"}),
    "ProveDecisionIncluded": ("get", "/v1/audit/proofs/inclusion",
                              {"query.position": "$response.body#/position"}),
}
REPORT_FILED = {
    name: link
    for name, link in to_project("$request.path.project_id", "", "$response.header.ETag").items()
    if name in ("GetProject", "GetProjectHealth", "GetProjectReports", "ReportStatus",
                "CompleteProject")
}
KEPT_HEAD = "{$response.body#/tree_size}:{$response.body#/root_hash}"
HEAD_READ = {
    "VerifyAgainstHead": ("get", "/v1/audit/verify", {"query.head": KEPT_HEAD}),
    "ProveConsistencyFromHead": ("get", "/v1/audit/proofs/consistency",
                                 {"query.first": "$response.body#/tree_size"}),
}
# (method, path, status) -> links from that answer: name -> (method, path, parameters[, body])
LINKS: dict[tuple[str, str, str], dict[str, tuple[Any, ...]]] = {
    ("post", "/v1/portfolios", "201"): PORTFOLIO_CREATED,
    ("post", "/v1/projects", "201"): PROJECT_SHOWN,
    ("get", PROJECT, "200"): PROJECT_SHOWN,
    ("post", f"{PROJECT}/completion", "201"): {
        name: link for name, link in PROJECT_SHOWN.items()
        if name in ("GetProject", "GetProjectHistory", "RecordDecision")
    },
    ("post", DECISIONS, "201"): DECISION_RECORDED,
    ("post", f"{PROJECT}/status-reports", "201"): REPORT_FILED,
    ("get", "/v1/audit/head", "200"): HEAD_READ,
}


def install(app: FastAPI) -> None:
    """Serve the document below at /openapi.json, built once."""
    app.openapi = document(app)  # type: ignore[method-assign]


def document(app: FastAPI) -> Callable[[], dict[str, Any]]:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = truthful(generate())
        return app.openapi_schema

    return openapi


def truthful(schema: dict[str, Any]) -> dict[str, Any]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = never_null(parameter["schema"])
                if parameter["in"] == "header" and parameter["name"] == "If-Match":
                    parameter["schema"]["pattern"] = IF_MATCH_PATTERN
            for code, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if code[0] in "45" and "application/json" in content:
                    answer["content"] = {MEDIA_TYPE: content["application/json"]}
                links = LINKS.get((method, path, code))
                if links:
                    answer["links"] = {name: link(schema, *target)
                                       for name, target in links.items()}
    return schema


def never_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without FastAPI's `null` choice: left out, it is simply absent."""
    choices = [choice for choice in schema.get("anyOf", []) if choice != {"type": "null"}]
    if not choices or len(choices) == len(schema["anyOf"]):
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**rest, **choices[0]} if len(choices) == 1 else {**rest, "anyOf": choices}


def link(schema: dict[str, Any], method: str, path: str, parameters: dict[str, str],
         body: dict[str, str] | None = None) -> dict[str, Any]:
    """An OpenAPI link to the operation at (method, path)."""
    found: dict[str, Any] = {"operationId": schema["paths"][path][method]["operationId"]}
    if parameters:
        found["parameters"] = parameters
    if body:
        found["requestBody"] = body
    return found
