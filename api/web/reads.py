"""What each page shows, read from the ledger service at one as-of instant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from api.web.formatting import RATING_SEVERITY, decimal
from domain.lifecycle import Status
from projections.service import MAX_LIMIT, LedgerService, Page

SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "code": lambda p: (p["code"] or "").lower(),
    "name": lambda p: p["name"].lower(),
    "status": lambda p: p["status"],
    "funded": lambda p: p["funded"],
    "health": lambda p: RATING_SEVERITY.get(p["health"], 0),
    "cpi": lambda p: (p["cpi"] is not None, p["cpi"] or Decimal(0)),
    "spi": lambda p: (p["spi"] is not None, p["spi"] or Decimal(0)),
    "report": lambda p: p["last_period_end"] or "",
    "stale": lambda p: (p["overdue"], p["last_period_end"] is not None),
}


def every(fetch: Callable[[str | None], Page]) -> Iterator[dict[str, Any]]:
    """All items of a paged read, following its cursor."""
    cursor: str | None = None
    while True:
        answer = fetch(cursor)
        yield from answer["items"]
        cursor = answer["next_cursor"]
        if cursor is None:
            return


@dataclass(frozen=True)
class ProjectFilter:
    """How the board narrowed and ordered the project table."""

    q: str = ""
    status: str = ""
    health: str = ""
    stale: bool = False
    sort: str = "code"
    descending: bool = False

    def keeps(self, project: dict[str, Any]) -> bool:
        words = self.q.strip().lower()
        return ((not words or words in f"{project['code'] or ''} {project['name']}".lower())
                and (not self.status or project["status"] == self.status)
                and (not self.health or project["health"] == self.health)
                and (not self.stale or project["overdue"]))

    def apply(self, projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        key = SORT_KEYS.get(self.sort, SORT_KEYS["code"])
        return sorted((p for p in projects if self.keeps(p)), key=key, reverse=self.descending)


def annotated(entries: list[dict[str, Any]], portfolios: dict[str, dict[str, Any]],
              href: Callable[[str], str]) -> list[dict[str, Any]]:
    """Decisions with their portfolio's name and currency and a link to their project."""
    unknown = {"name": "", "currency": ""}
    return [{**entry, "portfolio_name": portfolios.get(entry["portfolio_id"], unknown)["name"],
             "currency": portfolios.get(entry["portfolio_id"], unknown)["currency"],
             "href": href(f"/projects/{entry['project_id']}")}
            for entry in entries]


def portfolios(service: LedgerService, as_of: datetime | None) -> dict[str, Any]:
    first = service.portfolios(as_of=as_of, limit=MAX_LIMIT)
    items = list(every(lambda cursor: first if cursor is None else service.portfolios(
        as_of=as_of, cursor=cursor, limit=MAX_LIMIT)))
    return {"items": items, "as_of": first["as_of"], "position": first["position"]}


def overview(service: LedgerService, portfolio_id: UUID, as_of: datetime | None) -> dict[str, Any]:
    """The board pack's front page: the envelope, the mix, and every project's health."""
    portfolio = service.portfolio(portfolio_id, as_of)
    composition = service.composition(portfolio_id, as_of)
    projects = []
    for project in every(lambda cursor: service.projects(
            portfolio_id=portfolio_id, as_of=as_of, cursor=cursor, limit=MAX_LIMIT)):
        health = service.project_health(UUID(project["id"]), as_of)
        projects.append({**project, "cpi": decimal(health["cpi"]), "spi": decimal(health["spi"]),
                         "overdue": project["stale"] and Status(project["status"]).is_delivering})
    return {"portfolio": portfolio, "composition": composition, "projects": projects,
            "position": composition["position"]}


def project_page(service: LedgerService, project_id: UUID, as_of: datetime | None,
                 *, with_history: bool, href: Callable[[str], str]) -> dict[str, Any]:
    """A project as the board reviews it: health now and over time, decisions, history."""
    project = service.project(project_id, as_of)
    position = project["position"]
    history = None
    if with_history:
        history = [event for event in service.history(project_id) if event["position"] <= position]
    portfolio = service.portfolio(UUID(project["portfolio_id"]), as_of)
    decisions = list(every(lambda cursor: service.decision_log(
        project_id=str(project_id), as_of=as_of, cursor=cursor, limit=MAX_LIMIT)))
    return {
        "project": project,
        "portfolio": portfolio,
        "health": service.project_health(project_id, as_of),
        "reports": service.project_reports(project_id, as_of)["items"],
        "decisions": annotated(decisions, {portfolio["id"]: portfolio}, href),
        "history": history,
        "position": position,
    }
