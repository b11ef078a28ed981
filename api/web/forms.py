"""The forms of a month's routine beside the board's decision: opening a portfolio (board),
proposing a project (manager, board) and filing a status report (manager).

Each follows the decision form's rules: the session's CSRF token, the role the API asks for,
the version shown sent as the API's If-Match where it has one, and a refusal shown again with
what was typed and the ledger's problem in plain words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response

from api.auth.sessions import Session
from api.auth.tokens import Role
from api.web import params
from api.web.deps import Forbidden, Ledger, SignedIn, TimeTravel, Travel, check_form
from api.web.pages import project_view
from api.web.problems import Problem, problem
from api.web.rendering import PageRoute, page, see_other
from domain.errors import Conflict, InvalidInput, StaleEvidence
from domain.health import Rating, StatusReport
from domain.values import decimal_text
from projections.service import LedgerService

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RATINGS = ("green", "amber", "red")


def may_open(session: Session) -> Session:
    if not session.may(Role.BOARD):
        raise Forbidden(session, "open portfolios")
    return session


def may_propose(session: Session) -> Session:
    if not session.may(Role.MANAGER, Role.BOARD):
        raise Forbidden(session, "propose projects")
    return session


def may_report(session: Session) -> Session:
    if not session.may(Role.MANAGER):
        raise Forbidden(session, "file status reports")
    return session


def typed(form: Any) -> None:
    """Every field of a form: text that may span lines, without other control characters."""
    for field, value in asdict(form).items():
        params.typed(value, field)


def business_day(text: str, field: str, today: date) -> date:
    """A form's business date: empty means today."""
    return params.day(text.strip(), field) or today


def optional(text: str) -> str | None:
    return text.strip() or None


def whole(text: str, field: str) -> int:
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 5:
        raise InvalidInput(field, "must be a whole number of days such as 45")
    return int(cleaned)


def required_amount(text: str, field: str) -> Decimal:
    found = optional_amount(text, field)
    if found is None:
        raise InvalidInput(field, "is required: an amount such as 1,250,000")
    return found


def optional_amount(text: str, field: str) -> Decimal | None:
    """An amount as typed: thousands may be set off with commas (None: left empty)."""
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    try:
        return decimal_text(cleaned, field)
    except InvalidInput:
        raise InvalidInput(field, "must be an amount such as 125,000.50") from None


# Opening a portfolio


@dataclass(frozen=True)
class PortfolioForm:
    """What the board typed to open a portfolio."""

    name: str = ""
    budget: str = ""
    currency: str = "USD"
    reporting_cadence_days: str = "45"
    created_on: str = ""

    def command(self, today: date) -> dict[str, Any]:
        typed(self)
        return {"name": self.name, "budget": required_amount(self.budget, "budget"),
                "currency": self.currency.strip().upper(),
                "reporting_cadence_days": whole(self.reporting_cadence_days,
                                                "reporting_cadence_days"),
                "created_on": business_day(self.created_on, "created_on", today)}


def portfolio_form(request: Request, service: LedgerService, session: Session,
                   travel: TimeTravel, form: PortfolioForm,
                   refused: Problem | None = None) -> Response:
    return page(request, "portfolio_form.html", status=refused.status if refused else 200,
                session=session, travel=travel, nav="portfolios", title="Open a portfolio",
                form=form, refused=refused, today=service.today())


@router.get("/portfolios/new")
def new_portfolio(request: Request, service: Ledger, session: SignedIn,
                  travel: Travel) -> Response:
    """The form that opens a portfolio: its name, budget envelope, currency and cadence."""
    return portfolio_form(request, service, may_open(session), travel, PortfolioForm())


@router.post("/portfolios")
def open_portfolio(
    request: Request, service: Ledger, session: SignedIn, travel: Travel,
    csrf: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
    budget: Annotated[str, Form()] = "", currency: Annotated[str, Form()] = "",
    reporting_cadence_days: Annotated[str, Form()] = "",
    created_on: Annotated[str, Form()] = "",
) -> Response:
    """Open the portfolio the board described, dated on the board's day."""
    check_form(request, session, csrf)
    may_open(session)
    form = PortfolioForm(name, budget, currency, reporting_cadence_days, created_on)
    try:
        opened = service.create_portfolio(actor=session.name,
                                          **form.command(service.today()))
    except (InvalidInput, Conflict) as error:
        return portfolio_form(request, service, session, travel, form,
                              problem(error, currency.strip().upper()))
    return see_other(f"/portfolios/{opened.id}?opened=1")


# Proposing a project


@dataclass(frozen=True)
class ProposalForm:
    """What a manager or the board typed to propose a project."""

    code: str = ""
    name: str = ""
    requested_budget: str = ""
    sponsor: str = ""
    manager: str = ""
    planned_start: str = ""
    planned_finish: str = ""
    proposed_on: str = ""

    def command(self, today: date) -> dict[str, Any]:
        typed(self)
        return {"code": optional(self.code), "name": self.name,
                "requested_budget": required_amount(self.requested_budget, "requested_budget"),
                "sponsor": optional(self.sponsor), "manager": optional(self.manager),
                "planned_start": params.day(self.planned_start.strip(), "planned_start"),
                "planned_finish": params.day(self.planned_finish.strip(), "planned_finish"),
                "proposed_on": business_day(self.proposed_on, "proposed_on", today)}


def proposal_form(request: Request, service: LedgerService, session: Session,
                  travel: TimeTravel, portfolio_id: UUID, form: ProposalForm,
                  refused: Problem | None = None) -> Response:
    portfolio = service.portfolio(portfolio_id)
    return page(request, "proposal_form.html", status=refused.status if refused else 200,
                session=session, travel=travel, nav="portfolios", title="Propose a project",
                portfolio=portfolio, form=form, refused=refused, today=service.today())


@router.get("/portfolios/{portfolio_id}/propose")
def new_proposal(request: Request, portfolio_id: UUID, service: Ledger, session: SignedIn,
                 travel: Travel) -> Response:
    """The form that proposes a project to this portfolio."""
    return proposal_form(request, service, may_propose(session), travel, portfolio_id,
                         ProposalForm())


@router.post("/portfolios/{portfolio_id}/projects")
def propose(
    request: Request, portfolio_id: UUID, service: Ledger, session: SignedIn, travel: Travel,
    csrf: Annotated[str, Form()] = "", code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "", requested_budget: Annotated[str, Form()] = "",
    sponsor: Annotated[str, Form()] = "", manager: Annotated[str, Form()] = "",
    planned_start: Annotated[str, Form()] = "", planned_finish: Annotated[str, Form()] = "",
    proposed_on: Annotated[str, Form()] = "",
) -> Response:
    """Propose the project described to the portfolio; it starts as proposed."""
    check_form(request, session, csrf)
    may_propose(session)
    form = ProposalForm(code, name, requested_budget, sponsor, manager, planned_start,
                        planned_finish, proposed_on)
    currency = service.portfolio(portfolio_id).currency
    try:
        proposed = service.propose_project(actor=session.name, portfolio_id=portfolio_id,
                                           **form.command(service.today()))
    except (InvalidInput, Conflict) as error:
        return proposal_form(request, service, session, travel, portfolio_id, form,
                             problem(error, currency))
    return see_other(f"/projects/{proposed.id}?proposed=1")


# Filing a status report


@dataclass(frozen=True)
class ReportForm:
    """What a project manager typed into the status report form."""

    period_end: str = ""
    schedule: str = ""
    cost: str = ""
    scope: str = ""
    quality: str = ""
    risk: str = ""
    percent_complete: str = ""
    planned_value: str = ""
    earned_value: str = ""
    actual_cost: str = ""
    summary: str = ""
    version: str = ""

    def rating(self, field: str, *, required: bool = False) -> Any:
        """A rating chosen from its select (None: not rated, where that is allowed)."""
        chosen = params.choice(getattr(self, field), field, RATINGS)
        if chosen is None and required:
            raise InvalidInput(field, "is required: choose green, amber or red")
        return Rating(chosen) if chosen else None

    def report(self, today: date) -> tuple[StatusReport, int]:
        """The report as the service takes it, and the version it was written against."""
        typed(self)
        required = {field: self.rating(field, required=True) for field in ("schedule", "cost",
                                                                           "scope")}
        quality, risk = self.rating("quality"), self.rating("risk")
        try:
            expected = int(self.version)
        except ValueError:
            raise InvalidInput("version", "is missing: reload the page") from None
        complete = optional_amount(self.percent_complete.rstrip("% "), "percent_complete")
        return StatusReport(
            period_end=business_day(self.period_end, "period_end", today),
            schedule=required["schedule"], cost=required["cost"], scope=required["scope"],
            quality=quality, risk=risk, percent_complete=complete,
            planned_value=optional_amount(self.planned_value, "planned_value"),
            earned_value=optional_amount(self.earned_value, "earned_value"),
            actual_cost=optional_amount(self.actual_cost, "actual_cost"),
            summary=optional(self.summary)), expected


@router.post("/projects/{project_id}/reports")
def file_report(
    request: Request, project_id: UUID, service: Ledger, session: SignedIn, travel: Travel,
    csrf: Annotated[str, Form()] = "", period_end: Annotated[str, Form()] = "",
    schedule: Annotated[str, Form()] = "", cost: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "", quality: Annotated[str, Form()] = "",
    risk: Annotated[str, Form()] = "", percent_complete: Annotated[str, Form()] = "",
    planned_value: Annotated[str, Form()] = "", earned_value: Annotated[str, Form()] = "",
    actual_cost: Annotated[str, Form()] = "", summary: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    """File the period's status report on the version of the project the page showed."""
    check_form(request, session, csrf)
    may_report(session)
    form = ReportForm(period_end, schedule, cost, scope, quality, risk, percent_complete,
                      planned_value, earned_value, actual_cost, summary, version)
    current = service.project(project_id)
    try:
        report, expected = form.report(service.today())
        service.report_status(project_id, report, actor=session.name,
                              expected_version=expected)
    except (InvalidInput, Conflict, StaleEvidence) as error:
        if isinstance(error, StaleEvidence):
            form = ReportForm(**{**asdict(form), "version": str(error.actual)})
        currency = service.portfolio(current.portfolio_id).currency
        return project_view(request, service, session, travel, project_id, report_form=form,
                            report_refused=problem(error, currency, "file the report"))
    return see_other(f"/projects/{project_id}?reported=1#report-filed")
