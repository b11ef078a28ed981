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
from projections.models import DecisionRecord, ProjectView
from projections.report import spreadsheet_cell
from projections.service import LedgerService

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 50
CSV_COLUMNS = (
    "position", "decided_on", "recorded_at", "decided_by", "portfolio", "portfolio_id",
    "project_code", "project_name", "project_id", "kind", "amount", "released", "status_before",
    "status_after", "meeting", "rationale", "evidence_project_version", "evidence_status",
    "evidence_health", "evidence_cpi", "evidence_spi", "evidence_period_end", "evidence_stale",
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
            "decided_by": self.decided_by or None,
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


@router.get("/decisions")
def decisions(request: Request, service: Ledger, session: SignedIn, travel: Travel,
              portfolio_id: str = "", project_id: str = "", kind: str = "",
              decided_by: str = "", since: str = "", until: str = "",
              cursor: str | None = None) -> Response:
    """The decision log, oldest first, filtered by portfolio, project, kind, actor and dates."""
    chosen = LogFilter.read(portfolio_id, project_id, kind, decided_by, since, until)
    found = service.decision_log(**travel.at, cursor=params.cursor(cursor),
                                 limit=PAGE_SIZE, **chosen.query())
    options = choices(service, chosen, travel)
    entries = reads.annotated(found.items, {p.id: p for p in options["portfolios"]},
                              travel.href)
    return page(request, "decisions.html", session=session, travel=travel, nav="decisions",
                title="Decision log", subject="The decision log", chosen=chosen, entries=entries,
                next_cursor=found.next_cursor, position=found.position,
                kinds=KIND_WORDS, csv_href=travel.href("/decisions.csv", **chosen.given()),
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
    }
    return [spreadsheet_cell(values.get(column)) for column in CSV_COLUMNS]


@router.get("/decisions.csv")
def decisions_csv(service: Ledger, session: SignedIn, travel: Travel,
                  portfolio_id: str = "", project_id: str = "", kind: str = "",
                  decided_by: str = "", since: str = "", until: str = "") -> Response:
    """The filtered decision log as CSV, every page of it, for the board's papers."""
    chosen = LogFilter.read(portfolio_id, project_id, kind, decided_by, since, until)
    query = chosen.query()
    names = {p.id: p.name for p in reads.portfolios(service, travel.at).items}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in service.every(service.decision_log, **travel.at, **query):
        writer.writerow(csv_row(entry, names))
    stamp = "-".join(part for part in (
        travel.effective_on.isoformat() if travel.effective_on else "",
        travel.as_of.strftime("%Y%m%dT%H%M%SZ") if travel.as_of else "") if part) or "now"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="decisions-{stamp}.csv"'})
