"""Who may do what: every role against every write, and the tokens that open nothing."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from e2e_support import WRITERS, Api, serving

from api.auth.tokens import Role
from api.settings import Settings


def stage(api: Api, write: str) -> Callable[[Role], httpx.Response]:
    """Set the stage as admin; return the write, to be tried as any role."""
    if write == "create portfolio":
        return lambda role: api.post("/v1/portfolios", {"name": "P", "budget": "10"}, role)
    portfolio = api.portfolio()
    if write == "revise budget":
        return lambda role: api.post(f"/v1/portfolios/{portfolio['id']}/budget",
                                     {"budget": "2000000", "rationale": "Grant"}, role)
    if write == "change policy":
        return lambda role: api.post(f"/v1/portfolios/{portfolio['id']}/policy",
                                     {"approvals_required": 1, "motion_days": 30,
                                      "rationale": "Four eyes"}, role)
    motion = {"kind": "budget", "budget": "2000000", "rationale": "Grant"}
    if write == "propose motion":
        return lambda role: api.post(f"/v1/portfolios/{portfolio['id']}/motions", motion, role)
    if write == "vote on motion":  # proposed by another board member: every role may try
        proposer = api.tokens.create("board:proposer", Role.BOARD)
        proposed = api.client.post(f"/v1/portfolios/{portfolio['id']}/motions", json=motion,
                                   headers={"Authorization": f"Bearer {proposer}"}).json()
        return lambda role: api.post(f"/v1/motions/{proposed['id']}/votes",
                                     {"vote": "approve"}, role)
    if write == "propose project":
        body = {"portfolio_id": portfolio["id"], "name": "X", "requested_budget": "1"}
        return lambda role: api.post("/v1/projects", body, role)
    project = api.project(portfolio["id"])
    if write == "record decision":
        return lambda role: api.decide(project, "fund", role, amount="5")
    funding = api.fund(project)["id"]
    if write == "correct decision":
        return lambda role: api.post(f"/v1/decisions/{funding}/corrections",
                                     {"rationale": "Clearer", "reason": "a typo"}, role)
    if write == "rescind decision":
        return lambda role: api.post(f"/v1/decisions/{funding}/rescission",
                                     {"reason": "in error"}, role)
    if write == "report status":
        return lambda role: api.report(project["id"], role)
    return lambda role: api.post(f"/v1/projects/{project['id']}/completion",
                                 {"summary": "done"}, role)


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("write", list(WRITERS))
def test_each_role_may_make_exactly_the_writes_its_table_row_allows(
    api: Api, write: str, role: Role
) -> None:
    write_as = stage(api, write)
    before = api.events()

    response = write_as(role)

    if role in WRITERS[write]:
        assert response.status_code == 201, response.text
        assert api.events() > before
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert api.events() == before


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_role_reads_portfolios_projects_health_composition_and_decisions(
    api: Api, role: Role
) -> None:
    project = api.active_project()
    decision_id = api.get("/v1/decisions").json()["items"][0]["id"]
    paths = ["/v1/portfolios", f"/v1/portfolios/{project['portfolio_id']}",
             f"/v1/portfolios/{project['portfolio_id']}/composition", "/v1/projects",
             f"/v1/projects/{project['id']}", f"/v1/projects/{project['id']}/health",
             f"/v1/projects/{project['id']}/reports", "/v1/decisions",
             f"/v1/decisions/{decision_id}", "/v1/motions"]

    assert [api.get(path, role).status_code for path in paths] == [200] * len(paths)


def test_every_route_but_healthz_needs_a_token(api: Api) -> None:
    project = api.active_project()
    decision_id = api.get("/v1/decisions").json()["items"][0]["id"]
    ids = {"portfolio_id": project["portfolio_id"], "project_id": project["id"],
           "decision_id": decision_id, "motion_id": decision_id,
           "scenario_id": project["portfolio_id"]}
    routes = api.client.get("/openapi.json").json()["paths"]

    for path, operations in routes.items():
        for method in operations:
            if path == "/v1/healthz" or path.startswith("/v1/audit"):
                continue
            response = api.client.request(method, path.format(**ids), json={})
            assert response.status_code == 401, (method, path)


def test_no_token_is_a_401_with_a_bearer_challenge(api: Api) -> None:
    for response in (api.get("/v1/projects", None),
                     api.post("/v1/portfolios", {"name": "P", "budget": "1"}, None)):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["title"] == "Unauthorized"


def test_an_unknown_token_or_another_scheme_is_a_401(api: Api) -> None:
    for authorization in ("Bearer plt_not-a-real-token", f"Basic {api.secrets[Role.ADMIN]}",
                          "Bearer"):
        response = api.client.get("/v1/projects", headers={"Authorization": authorization})
        assert response.status_code == 401, authorization
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_opens_nothing_at_once(api: Api) -> None:
    secret = api.tokens.create("temp-board", Role.BOARD)
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.client.get("/v1/portfolios", headers=headers).status_code == 200

    api.tokens.revoke("temp-board")

    assert api.client.get("/v1/portfolios", headers=headers).status_code == 401
    written = api.client.post("/v1/portfolios", json={"name": "P", "budget": "1"},
                              headers=headers)
    assert written.status_code == 401
    assert api.events() == 0


def test_with_no_token_cache_a_token_revoked_by_another_process_is_refused_at_once(
    store_url: str,
) -> None:
    with serving(store_url) as one, \
            serving(store_url, one.secrets, Settings(db=store_url, token_cache_seconds=0)) as two:
        secret = one.tokens.create("temp-viewer", Role.VIEWER)
        headers = {"Authorization": f"Bearer {secret}"}
        assert two.client.get("/v1/portfolios", headers=headers).status_code == 200

        one.tokens.revoke("temp-viewer")

        refused = two.client.get("/v1/portfolios", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_a_cached_token_is_still_refused_once_revoked_in_the_same_process(api: Api) -> None:
    secret = api.tokens.create("temp-auditor", Role.AUDITOR)
    headers = {"Authorization": f"Bearer {secret}"}
    for _ in range(2):  # the second answer comes from the token cache
        assert api.client.get("/v1/events", headers=headers).status_code == 200
    assert api.tokens.remembered(secret) is not None

    api.tokens.revoke("temp-auditor")

    assert api.client.get("/v1/events", headers=headers).status_code == 401


def test_the_actor_recorded_is_the_tokens_principal_whatever_the_body_says(api: Api) -> None:
    spoofed = api.post("/v1/portfolios", {"name": "P", "budget": "1", "actor": "chair"},
                       Role.BOARD)
    created = api.portfolio(role=Role.BOARD)
    project = api.project(created["id"], role=Role.MANAGER)
    reported_as = api.post("/v1/projects", {"portfolio_id": created["id"], "name": "Y",
                                            "requested_budget": "1", "proposed_by": "chair"},
                           Role.MANAGER)

    assert spoofed.status_code == 422
    assert spoofed.json()["errors"][0]["field"] == "body.actor"
    assert reported_as.json()["errors"][0]["field"] == "body.proposed_by"
    assert created["created_by"] == "board"
    assert project["proposed_by"] == "manager"
