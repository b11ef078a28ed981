"""What each page shows, read from the ledger service at one as-of instant."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from api.web.formatting import RATING_SEVERITY
from projections.models import (
    Composition,
    DecisionRecord,
    EventRecord,
    HealthAt,
    HealthView,
    Page,
    PortfolioAt,
    PortfolioView,
    ProjectAt,
    ProjectStanding,
)
from projections.service import MAX_LIMIT, LedgerService

At = Mapping[str, Any]  # a page's point in time as the service's reads take it (TimeTravel.at)
SORT_KEYS: dict[str, Callable[[ProjectStanding], Any]] = {
    "code": lambda p: (p.code or "").lower(),
    "name": lambda p: p.name.lower(),
    "status": lambda p: p.status,
    "funded": lambda p: p.funded,
    "health": lambda p: RATING_SEVERITY.get(p.health, 0),
    "cpi": lambda p: (p.cpi is not None, p.cpi or Decimal(0)),
    "spi": lambda p: (p.spi is not None, p.spi or Decimal(0)),
    "report": lambda p: p.last_period_end.isoformat() if p.last_period_end else "",
    "stale": lambda p: (p.overdue, p.last_period_end is not None),
}


@dataclass(frozen=True)
class ProjectFilter:
    """How the board narrowed and ordered the project table."""

    q: str = ""
    status: str = ""
    health: str = ""
    stale: bool = False
    sort: str = "code"
    descending: bool = False

    def given(self) -> dict[str, str]:
        """The values chosen, for a link that keeps this filter and order."""
        values = {"q": self.q, "status": self.status, "health": self.health,
                  "stale": "1" if self.stale else "", "sort": self.sort,
                  "order": "desc" if self.descending else "asc"}
        return {key: value for key, value in values.items() if value}

    def keeps(self, project: ProjectStanding) -> bool:
        words = self.q.strip().lower()
        return ((not words or words in f"{project.code or ''} {project.name}".lower())
                and (not self.status or project.status == self.status)
                and (not self.health or project.health == self.health)
                and (not self.stale or project.overdue))

    def apply(self, projects: list[ProjectStanding]) -> list[ProjectStanding]:
        key = SORT_KEYS.get(self.sort, SORT_KEYS["code"])
        return sorted((p for p in projects if self.keeps(p)), key=key, reverse=self.descending)


@dataclass(frozen=True)
class Entry:
    """A decision as the pages list it: with its portfolio's name and currency, and links
    to its project and to its own page."""

    decision: DecisionRecord
    portfolio_name: str
    currency: str
    href: str
    decision_href: str = ""


def annotated(entries: list[DecisionRecord], portfolios: dict[UUID, PortfolioView],
              href: Callable[[str], str]) -> list[Entry]:
    """Decisions with their portfolio's name and currency and a link to their project."""
    named = {ident: (p.name, p.currency) for ident, p in portfolios.items()}
    return [Entry(entry, *named.get(entry.portfolio_id, ("", "")),
                  href=href(f"/projects/{entry.project_id}" if entry.project_id
                            else f"/portfolios/{entry.portfolio_id}"),
                  decision_href=href(f"/decisions/{entry.id}"))
            for entry in entries]


def portfolios(service: LedgerService, at: At) -> Page[PortfolioView]:
    """Every portfolio, as the first page's moment saw it."""
    first = service.portfolios(**at, limit=MAX_LIMIT)
    if first.next_cursor is None:
        return first
    rest = service.every(service.portfolios, **at, cursor=first.next_cursor)
    return first.model_copy(update={"items": [*first.items, *rest], "next_cursor": None})


@dataclass(frozen=True)
class Overview:
    """The board pack's front page: the envelope, the mix, and every project's health."""

    portfolio: PortfolioAt
    composition: Composition
    projects: list[ProjectStanding]

    @property
    def position(self) -> int:
        return self.composition.position


def overview(service: LedgerService, portfolio_id: UUID, at: At | None) -> Overview:
    """One read of the portfolio, its composition and its projects' rows (with their
    indices), however many projects it holds (`at`: a point in time; None: now)."""
    at = at or {}
    return Overview(
        service.portfolio(portfolio_id, **at),
        service.composition(portfolio_id, **at),
        list(service.every(service.standings, portfolio_id=portfolio_id, **at)),
    )


@dataclass(frozen=True)
class ProjectPage:
    """A project as the board reviews it: health now and over time, decisions, history."""

    project: ProjectAt
    portfolio: PortfolioAt
    health: HealthAt
    reports: list[HealthView]
    decisions: list[Entry]
    history: list[EventRecord] | None

    @property
    def position(self) -> int:
        return self.project.position


def project_page(service: LedgerService, project_id: UUID, at: At,
                 *, with_history: bool, href: Callable[[str], str]) -> ProjectPage:
    """A project as the board reviews it: health now and over time, decisions, history."""
    project = service.project(project_id, **at)
    history = None
    if with_history:
        history = [event for event in service.history(project_id)
                   if event.position <= project.position]
    portfolio = service.portfolio(project.portfolio_id, **at)
    decisions = list(service.every(service.decision_log, project_id=str(project_id), **at))
    return ProjectPage(
        project=project,
        portfolio=portfolio,
        health=service.project_health(project_id, **at),
        reports=service.project_reports(project_id, **at).items,
        decisions=annotated(decisions, {portfolio.id: portfolio}, href),
        history=history,
    )
