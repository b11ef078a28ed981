"""What the end-to-end tests share: the app on a store, and a client speaking as any role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth.tokens import Role, TokenStore
from api.http.app import create_app
from api.settings import Settings
from projections.service import LedgerService

WRITERS = {
    "create portfolio": {Role.BOARD, Role.ADMIN},
    "propose project": {Role.MANAGER, Role.BOARD, Role.ADMIN},
    "report status": {Role.MANAGER, Role.ADMIN},
    "complete project": {Role.MANAGER, Role.BOARD, Role.ADMIN},
    "record decision": {Role.BOARD, Role.ADMIN},
    "correct decision": {Role.BOARD, Role.ADMIN},
    "rescind decision": {Role.BOARD, Role.ADMIN},
    "revise budget": {Role.BOARD, Role.ADMIN},
    "change policy": {Role.BOARD, Role.ADMIN},
    "propose motion": {Role.BOARD, Role.ADMIN},
    "vote on motion": {Role.BOARD, Role.ADMIN},
}


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


@dataclass
class Api:
    """The app on one store, and a client that speaks as any role (token name = role name)."""

    app: FastAPI
    client: TestClient
    secrets: dict[Role, str]

    @property
    def service(self) -> LedgerService:
        service: LedgerService = self.app.state.service
        return service

    @property
    def tokens(self) -> TokenStore:
        store: TokenStore = self.app.state.tokens
        return store

    def headers(self, role: Role | None = Role.ADMIN, **extra: str) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.secrets[role]}"} if role else {}
        return {**auth, **{name.replace("_", "-"): value for name, value in extra.items()}}

    def get(self, path: str, role: Role | None = Role.ADMIN, **params: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(path, params=params or None,
                                                   headers=self.headers(role))
        return response

    def post(self, path: str, body: Any, role: Role | None = Role.ADMIN,
             **headers: str) -> httpx.Response:
        response: httpx.Response = self.client.post(path, json=body,
                                                    headers=self.headers(role, **headers))
        return response

    def post_raw(self, path: str, text: str, role: Role | None = Role.ADMIN,
                 **headers: str) -> httpx.Response:
        response: httpx.Response = self.client.post(path, content=text, headers=self.headers(
            role, content_type="application/json", **headers))
        return response

    def events(self) -> int:
        """How many events the log holds."""
        return self.service.database.head()

    # Quick records, made as admin unless a role is given

    def portfolio(self, budget: Any = "1000000.00", role: Role = Role.ADMIN,
                  **terms: Any) -> dict[str, Any]:
        response = self.post("/v1/portfolios", {"name": "Digital services", "budget": budget,
                                                **terms}, role)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def project(self, portfolio_id: str, role: Role = Role.ADMIN, **terms: Any) -> dict[str, Any]:
        body = {"portfolio_id": portfolio_id, "name": "Case management",
                "requested_budget": "250000.00", **terms}
        response = self.post("/v1/projects", body, role)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def decide(self, project: dict[str, Any], kind: str, role: Role = Role.ADMIN,
               if_match: str | None = None, key: str | None = None,
               **terms: Any) -> httpx.Response:
        body = {"project_id": project["id"], "kind": kind, "rationale": f"board: {kind}", **terms}
        headers = {"If-Match": if_match} if if_match is not None else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.post(f"/v1/portfolios/{project['portfolio_id']}/decisions", body, role,
                         **headers)

    def fund(self, project: dict[str, Any], amount: Any = "100000.00") -> dict[str, Any]:
        response = self.decide(project, "fund", amount=amount)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def active_project(self, **terms: Any) -> dict[str, Any]:
        """A funded project in a fresh portfolio, as it stands after funding."""
        project = self.project(self.portfolio()["id"], **terms)
        self.fund(project)
        return dict(self.get(f"/v1/projects/{project['id']}").json())

    def report(self, project_id: str, role: Role = Role.ADMIN, if_match: str | None = None,
               **terms: Any) -> httpx.Response:
        body = {"period_end": days_ago(1), "schedule": "green", "cost": "green",
                "scope": "green", **terms}
        headers = {"If-Match": if_match} if if_match is not None else {}
        return self.post(f"/v1/projects/{project_id}/status-reports", body, role, **headers)


@contextmanager
def serving(url: str, secrets: dict[Role, str] | None = None,
            settings: Settings | None = None) -> Iterator[Api]:
    """The app on the store at `url`, started and stopped as a server is; a token per role."""
    app = create_app(settings or Settings(db=url))
    with TestClient(app) as client:
        tokens: TokenStore = app.state.tokens
        known = dict(secrets or {})
        for role in Role:
            if role not in known:
                known[role] = tokens.create(role.value, role)
        yield Api(app, client, known)
