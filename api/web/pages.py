"""The board's pages: portfolios, a portfolio's overview, a project, and recording a decision."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth.sessions import Session
from api.auth.tokens import Role
from api.web import charts, params, reads
from api.web.deps import Board, Ledger, SignedIn, TimeTravel, Travel, check_form
from api.web.formatting import STATUS_ORDER, compact, kind, rating
from api.web.problems import Problem, problem
from api.web.rendering import PageRoute, page, see_other
from domain.errors import Conflict, GovernanceError, InvalidInput, StaleEvidence
from domain.lifecycle import DecisionKind, Status, allowed_kinds
from domain.values import decimal_text
from projections.models import Overall, PortfolioView, ProjectStanding
from projections.report import spreadsheet_cell
from projections.service import LedgerService

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RAG_BANDS: tuple[Overall, ...] = ("red", "amber", "green", "unknown")


@router.get("/")
def portfolios(request: Request, service: Ledger, session: SignedIn, travel: Travel,
               q: str = "", sort: str = "name", order: str = "asc") -> Response:
    """Every portfolio with its envelope and how much of it is allocated: searched, sorted,
    and totalled per currency."""
    words = params.text(q, "q").lower()
    key = params.choice(sort, "sort", PORTFOLIO_SORT) or "name"
    descending = params.choice(order, "order", ("asc", "desc")) == "desc"
    listed = reads.portfolios(service, travel.at)
    rows = []
    for portfolio in listed.items:
        if words and words not in portfolio.name.lower():
            continue
        mix = service.composition(portfolio.id, **travel.at)
        rows.append(PortfolioLine(
            portfolio, projects=sum(s.count for s in mix.by_status.values()),
            delivering=mix.by_status[Status.ACTIVE].count + mix.by_status[Status.PAUSED].count,
            red=mix.by_health["red"]))
    rows.sort(key=PORTFOLIO_SORT[key], reverse=descending)
    return page(request, "portfolios.html", session=session, travel=travel, title="Portfolios",
                subject="The portfolios", nav="portfolios", portfolios=rows,
                totals=totals(rows), listed=len(listed.items), q=words and q.strip(),
                sort=key, descending=descending, position=listed.position)


@dataclass(frozen=True)
class PortfolioLine:
    """A portfolio's row on the front page: its envelope and how many projects it holds."""

    portfolio: PortfolioView
    projects: int
    delivering: int
    red: int


PORTFOLIO_SORT: dict[str, Any] = {
    "name": lambda line: line.portfolio.name.lower(),
    "budget": lambda line: (line.portfolio.currency, line.portfolio.budget),
    "allocated": lambda line: (line.portfolio.currency, line.portfolio.allocated),
    "available": lambda line: (line.portfolio.currency, line.portfolio.available),
    "projects": lambda line: line.projects,
    "delivering": lambda line: line.delivering,
    "red": lambda line: line.red,
}


@dataclass(frozen=True)
class Totals:
    """The portfolios listed, added up in one currency (amounts in two never add)."""

    currency: str
    portfolios: int
    budget: Decimal
    allocated: Decimal
    available: Decimal
    projects: int
    delivering: int
    red: int


def totals(lines: list[PortfolioLine]) -> list[Totals]:
    """One totals row per currency among the listed portfolios."""
    by_currency: dict[str, list[PortfolioLine]] = {}
    for line in lines:
        by_currency.setdefault(line.portfolio.currency, []).append(line)
    return [Totals(currency, len(group), sum((g.portfolio.budget for g in group), Decimal(0)),
                   sum((g.portfolio.allocated for g in group), Decimal(0)),
                   sum((g.portfolio.available for g in group), Decimal(0)),
                   sum(g.projects for g in group), sum(g.delivering for g in group),
                   sum(g.red for g in group))
            for currency, group in sorted(by_currency.items())]


def project_filter(q: str, status: str, health: str, stale: str, sort: str,
                   order: str) -> reads.ProjectFilter:
    """How the board narrowed and ordered the project table, each value read strictly."""
    return reads.ProjectFilter(
        q=params.text(q, "q"), status=params.choice(status, "status", STATUS_ORDER) or "",
        health=params.choice(health, "health", RAG_BANDS) or "",
        stale=params.flag(stale, "stale"),
        sort=params.choice(sort, "sort", reads.SORT_KEYS) or "code",
        descending=params.choice(order, "order", ("asc", "desc")) == "desc")


@router.get("/portfolios/{portfolio_id}")
def portfolio(request: Request, portfolio_id: UUID, service: Ledger, session: SignedIn,
              travel: Travel, q: str = "", status: str = "", health: str = "", stale: str = "",
              sort: str = "code", order: str = "asc", opened: str = "") -> Response:
    """The board pack's overview: budget, composition, and every project's health."""
    chosen = project_filter(q, status, health, stale, sort, order)
    just_opened = params.flag(opened, "opened")
    found = reads.overview(service, portfolio_id, travel.at)
    mix, currency = found.composition, found.portfolio.currency
    status_bars = [
        charts.Bar(name.capitalize(), Decimal(mix.by_status[Status(name)].count),
                   f'{mix.by_status[Status(name)].count} · {currency} '
                   f'{compact(mix.by_status[Status(name)].funded)}'
                   + (" released" if name == "discontinued" else " funded"),
                   charts.STATUS_FILL[name])
        for name in STATUS_ORDER
    ]
    health_bars = [
        charts.Bar(rating(band), Decimal(mix.by_health[band]),
                   f'{mix.by_health[band]} project{"" if mix.by_health[band] == 1 else "s"}',
                   charts.RAG_FILL[band])
        for band in RAG_BANDS
    ]
    return page(
        request, "portfolio.html", session=session, travel=travel,
        title=found.portfolio.name, subject="The portfolio", nav="portfolios",
        portfolio=found.portfolio,
        composition=mix, projects=found.projects, position=found.position,
        shown=chosen.apply(found.projects), chosen=chosen, statuses=STATUS_ORDER,
        bands=RAG_BANDS,
        stale_count=sum(1 for p in found.projects if p.overdue),
        budget_chart=charts.budget_bar("budget", mix.budget, mix.allocated, currency),
        status_chart=charts.bars("by-status", "Projects by status", status_bars),
        health_chart=charts.bars("by-health", "Projects in delivery by health", health_bars),
        csv_href=travel.href(f"/portfolios/{portfolio_id}/projects.csv", **chosen.given()),
        may_propose=session.may(Role.MANAGER, Role.BOARD) and not travel.past,
        may_decide=session.decides and not travel.past,
        motions=service.motions(portfolio_id=portfolio_id, status="open", **travel.at).items,
        project_names={p.id: f"{p.code or ''} {p.name}".strip() for p in found.projects},
        notice="Portfolio opened: propose its first project below." if just_opened else "",
    )


PROJECT_CSV_COLUMNS = ("code", "name", "status", "funded", "requested_budget", "currency",
                       "health", "cpi", "spi", "last_period_end", "reporting", "sponsor",
                       "manager", "project_id")


def reporting(project: ProjectStanding) -> str:
    """The table's Reporting column in words."""
    if not project.status.is_delivering and project.status != Status.PROPOSED:
        return "closed"
    if project.last_period_end is None:
        return "no report yet"
    return "stale" if project.overdue else "current"


@router.get("/portfolios/{portfolio_id}/projects.csv")
def projects_csv(portfolio_id: UUID, service: Ledger, session: SignedIn, travel: Travel,
                 q: str = "", status: str = "", health: str = "", stale: str = "",
                 sort: str = "code", order: str = "asc") -> Response:
    """The board pack's project table as CSV, filtered and sorted as on the page."""
    chosen = project_filter(q, status, health, stale, sort, order)
    found = reads.overview(service, portfolio_id, travel.at)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PROJECT_CSV_COLUMNS)
    for p in chosen.apply(found.projects):
        values = {**dict(p), "currency": found.portfolio.currency, "reporting": reporting(p),
                  "project_id": p.id}
        writer.writerow([spreadsheet_cell(values.get(column)) for column in PROJECT_CSV_COLUMNS])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="projects-{portfolio_id}.csv"'})


@dataclass(frozen=True)
class DecisionForm:
    """What the board typed into the decision form, kept to show it again after a refusal."""

    kind: str = ""
    amount: str = ""
    rationale: str = ""
    decided_on: str = ""
    meeting: str = ""
    version: str = ""

    def command(self) -> dict[str, Any]:
        """The decision as the service takes it; InvalidInput names the first bad field."""
        for field in ("amount", "rationale", "decided_on", "meeting", "version"):
            params.typed(getattr(self, field), field)
        try:
            chosen = DecisionKind(self.kind)
        except ValueError:
            raise InvalidInput("decision", "choose fund, pause, resume or discontinue") from None
        try:
            expected = int(self.version)
        except ValueError:
            raise InvalidInput("version", "is missing: reload the page") from None
        return {"kind": chosen, "amount": amount(self.amount), "rationale": self.rationale,
                "decided_on": day(self.decided_on), "meeting": self.meeting or None,
                "expected_version": expected}


def amount(text: str) -> Decimal | None:
    """An amount as a board member types it: thousands may be set off with commas."""
    cleaned = text.strip().replace(",", "")
    return decimal_text(cleaned, "amount") if cleaned else None


def day(text: str) -> date | None:
    return params.day(text.strip(), "decided_on")


def project_view(request: Request, service: LedgerService, session: Session, travel: TimeTravel,
                 project_id: UUID, *, form: DecisionForm | None = None,
                 refused: Problem | None = None, recorded: str | None = None,
                 report_form: Any = None, report_refused: Problem | None = None,
                 notice: str = "", assess_refused: Problem | None = None) -> Response:
    found = reads.project_page(service, project_id, travel.at, with_history=session.audits,
                               href=travel.href)
    project = found.project
    kinds = allowed_kinds(project.status)
    just_recorded = None
    if recorded:
        just_recorded = next(
            (d.decision for d in found.decisions if str(d.decision.id) == recorded), None)
    trend = charts.trend_points(found.reports)
    failed = refused or report_refused or assess_refused
    return page(
        request, "project.html", status=failed.status if failed else 200,
        session=session, travel=travel, nav="portfolios",
        title=f'{project.code or ""} {project.name}'.strip(), subject="The project",
        **vars(found),
        position=found.position,
        trend_chart=charts.health_trend("trend", trend) if trend else None,
        kinds=kinds, kind_words=kind, may_decide=session.decides and not travel.past
        and bool(kinds), form=form or DecisionForm(), refused=refused,
        governed=found.portfolio.policy.approvals_required > 0,
        may_report=session.may(Role.MANAGER) and not travel.past
        and project.status.is_delivering,
        report_form=report_form, report_refused=report_refused, ratings=("green", "amber", "red"),
        today=service.today(), just_recorded=just_recorded, notice=notice,
        may_assess=session.may(Role.MANAGER, Role.BOARD) and not travel.past,
        assess_refused=assess_refused,
    )


@router.get("/projects/{project_id}")
def project(request: Request, project_id: UUID, service: Ledger, session: SignedIn,
            travel: Travel, recorded: str = "", reported: str = "",
            proposed: str = "", assessed: str = "") -> Response:
    """A project's health over time, its reports and decisions, and the board's decision form."""
    notice = ("Status report filed." if params.flag(reported, "reported") else
              "Assessment recorded: the project's score reads under the weights in force."
              if params.flag(assessed, "assessed") else
              "Project proposed: the board can now fund or discontinue it."
              if params.flag(proposed, "proposed") else "")
    return project_view(request, service, session, travel, project_id,
                        recorded=params.identifier(recorded, "recorded"), notice=notice)


@router.post("/projects/{project_id}/decisions")
def decide(
    request: Request, project_id: UUID, service: Ledger, session: Board, travel: Travel,
    csrf: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "", rationale: Annotated[str, Form()] = "",
    decided_on: Annotated[str, Form()] = "", meeting: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    """Record the board's decision on the version of the evidence the page showed."""
    check_form(request, session, csrf)
    form = DecisionForm(kind, amount, rationale, decided_on, meeting, version)
    current = service.project(project_id)
    try:
        command = form.command()
        recorded = service.decide(current.portfolio_id, project_id,
                                  command.pop("kind"), actor=session.name, **command)
    except (InvalidInput, Conflict, StaleEvidence) as error:
        if isinstance(error, StaleEvidence):
            form = replace(form, version=str(error.actual))
        currency = service.portfolio(current.portfolio_id).currency
        return project_view(request, service, session, travel, project_id, form=form,
                            refused=problem(error, currency))
    return see_other(f"/projects/{project_id}?recorded={recorded.id}#decision-recorded")


@router.post("/projects/{project_id}/assessments")
async def assess(request: Request, project_id: UUID, service: Ledger, session: SignedIn,
                 travel: Travel) -> Response:
    """Score the project 0-5 per objective of its portfolio (board, manager)."""
    if not session.may(Role.MANAGER, Role.BOARD):
        raise HTTPException(403, "only the board and managers assess projects")
    form = {key: str(value) for key, value in (await request.form()).items()}
    check_form(request, session, form.get("csrf", ""))
    return await run_in_threadpool(record_assessment, request, service, session, travel,
                                   project_id, form)


def record_assessment(request: Request, service: LedgerService, session: Session,
                      travel: TimeTravel, project_id: UUID, form: dict[str, str]) -> Response:
    current = service.project(project_id)
    currency = service.portfolio(current.portfolio_id).currency
    try:
        scores: dict[str, Any] = {}
        for key, value in form.items():
            if key.startswith("score-") and value.strip():
                if not value.strip().isdigit():
                    raise InvalidInput(f"scores.{key[6:]}", "must be a whole number from 0 to 5")
                scores[key[6:]] = int(value)
        benefit = form.get("benefit", "").strip().replace(",", "")
        service.assess_project(project_id, actor=session.name, scores=scores,
                               rationale=form.get("rationale", ""),
                               benefit=decimal_text(benefit, "benefit") if benefit else None)
    except GovernanceError as error:
        return project_view(request, service, session, travel, project_id,
                            assess_refused=problem(error, currency, "assess it"))
    return see_other(f"/projects/{project_id}?assessed=1#assess")
