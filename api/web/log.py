"""The decision log: every decision with who, when, what, why and the evidence, and its CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from api.web import params, reads
from api.web.deps import Ledger, SignedIn, TimeTravel, Travel
from api.web.formatting import KIND_WORDS
from api.web.rendering import PageRoute, page
from projections.models import DecisionRecord, PortfolioView, ProjectView
from projections.report import spreadsheet_cell
from projections.service import LedgerService

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 50
CSV_COLUMNS = (
    "position", "decided_on", "recorded_at", "decided_by", "portfolio", "portfolio_id",
    "project_code", "project_name", "project_id", "kind", "amount", "released", "status_before",
    "status_after", "meeting", "rationale", "evidence_project_version", "evidence_status",
    "evidence_health", "evidence_cpi", "evidence_spi", "evidence_period_end", "evidence_stale",
    "rescinds", "rescinded_by", "corrections",
)


@dataclass(frozen=True)
class LogFilter:
    """Which decisions the reader asked for, as read; dates bound the day the board decided."""

    portfolio_id: str = ""
    project_id: str = ""
    kind: str = ""
    decided_by: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def read(cls, portfolio_id: str, project_id: str, kind: str, decided_by: str, since: str,
             until: str) -> LogFilter:
        """The filter from the query, each value checked (InvalidInput names a bad one)."""
        params.day(since, "since")
        params.day(until, "until")
        return cls(params.identifier(portfolio_id, "portfolio") or "",
                   params.identifier(project_id, "project") or "",
                   params.choice(kind, "kind", KIND_WORDS) or "",
                   params.text(decided_by, "decided_by"), since, until)

    def query(self) -> dict[str, Any]:
        return {
            "portfolio_id": self.portfolio_id or None,
            "project_id": self.project_id or None,
            "kind": self.kind or None,
            "decided_by_prefix": self.decided_by or None,
            "since": params.day(self.since, "since"),
            "until": params.day(self.until, "until"),
        }

    def given(self) -> dict[str, str]:
        """The values given, for a link that keeps this filter."""
        return {key: value for key, value in asdict(self).items() if value}


def choices(service: LedgerService, chosen: LogFilter, travel: TimeTravel) -> dict[str, Any]:
    """The portfolios, and the chosen portfolio's projects, to pick from."""
    portfolios = reads.portfolios(service, travel.at).items
    projects: list[ProjectView] = []
    if chosen.portfolio_id:
        projects = list(service.every(
            service.projects, portfolio_id=UUID(chosen.portfolio_id), **travel.at))
    return {"portfolios": portfolios, "projects": projects}


ORDERS = ("newest", "oldest")


@dataclass(frozen=True)
class LogPage:
    """One page of the filtered log: where it sits among them all, and the links around it."""

    entries: list[reads.Entry]
    total: int
    offset: int
    first: str | None
    previous: str | None
    next: str | None

    @property
    def shown(self) -> str:
        """The range shown and the total, as the count line says it: 51 to 100 of 1,650."""
        return f"{self.offset + 1:,}\u2013{self.offset + len(self.entries):,} of {self.total:,}"


def log_page(service: LedgerService, travel: TimeTravel, query: dict[str, Any],
             newest_first: bool, cursor: str | None, back: str | None,
             portfolios: dict[UUID, PortfolioView]) -> LogPage:
    """The page after `cursor` in the chosen order, or the one just before `back`."""
    at = travel.at
    items = []
    if back is not None:
        found = service.decision_log(**at, cursor=back, limit=PAGE_SIZE,
                                     newest_first=not newest_first, **query)
        items = list(reversed(found.items))
    if len(items) < PAGE_SIZE:  # no page before (or none asked for): the first page
        items = service.decision_log(**at, cursor=None if back is not None else cursor,
                                     limit=PAGE_SIZE, newest_first=newest_first,
                                     **query).items
    total = service.decision_count(**at, **query)
    offset = 0
    if items:
        start = items[0].position
        offset = (service.decision_count(**at, after=start, **query) if newest_first
                  else total - service.decision_count(**at, after=start - 1, **query))
    more = offset + len(items) < total
    return LogPage(
        entries=reads.annotated(items, portfolios, travel.href), total=total, offset=offset,
        first=travel.here(cursor=None, back=None) if offset > 0 else None,
        previous=travel.here(cursor=None, back=items[0].position) if offset > 0 else None,
        next=travel.here(cursor=items[-1].position, back=None) if more and items else None,
    )


@router.get("/decisions")
def decisions(request: Request, service: Ledger, session: SignedIn, travel: Travel,
              portfolio_id: str = "", project_id: str = "", kind: str = "",
              decided_by: str = "", since: str = "", until: str = "", order: str = "",
              cursor: str | None = None, back: str | None = None) -> Response:
    """The decision log, newest first (or oldest), filtered by portfolio, project, kind, who
    decided (the start of the name, any case) and dates, a page at a time."""
    chosen = LogFilter.read(portfolio_id, project_id, kind, decided_by, since, until)
    newest_first = (params.choice(order, "order", ORDERS) or "newest") == "newest"
    options = choices(service, chosen, travel)
    found = log_page(service, travel, chosen.query(), newest_first, params.cursor(cursor),
                     params.cursor(back, "back"), {p.id: p for p in options["portfolios"]})
    return page(request, "decisions.html", session=session, travel=travel, nav="decisions",
                title="Decision log", subject="The decision log", chosen=chosen, log=found,
                newest_first=newest_first, filtered=bool(chosen.given()),
                kinds=KIND_WORDS, csv_href=travel.href(
                    "/decisions.csv", **chosen.given(),
                    order=None if newest_first else "oldest"),
                **options)


def csv_row(entry: DecisionRecord, portfolio_names: dict[UUID, str]) -> list[str]:
    evidence = entry.evidence
    health = evidence.get("health") or {}
    values = {
        **dict(entry),
        "portfolio": portfolio_names.get(entry.portfolio_id, ""),
        "recorded_at": entry.recorded_at.isoformat().replace("+00:00", "Z"),
        "evidence_project_version": evidence.get("project_version"),
        "evidence_status": evidence.get("status"),
        "evidence_health": health.get("overall"),
        "evidence_cpi": health.get("cpi"),
        "evidence_spi": health.get("spi"),
        "evidence_period_end": health.get("period_end"),
        "evidence_stale": health.get("stale"),
        "corrections": len(entry.corrections),  # the words shown are the corrected ones
    }
    return [spreadsheet_cell(values.get(column)) for column in CSV_COLUMNS]


@router.get("/decisions.csv")
def decisions_csv(service: Ledger, session: SignedIn, travel: Travel,
                  portfolio_id: str = "", project_id: str = "", kind: str = "",
                  decided_by: str = "", since: str = "", until: str = "",
                  order: str = "") -> Response:
    """The filtered decision log as CSV, every page of it, for the board's papers."""
    chosen = LogFilter.read(portfolio_id, project_id, kind, decided_by, since, until)
    newest_first = (params.choice(order, "order", ORDERS) or "newest") == "newest"
    query = chosen.query()
    names = {p.id: p.name for p in reads.portfolios(service, travel.at).items}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in service.every(service.decision_log, **travel.at, newest_first=newest_first,
                               **query):
        writer.writerow(csv_row(entry, names))
    stamp = "-".join(part for part in (
        travel.effective_on.isoformat() if travel.effective_on else "",
        travel.as_of.strftime("%Y%m%dT%H%M%SZ") if travel.as_of else "") if part) or "now"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="decisions-{stamp}.csv"'})
