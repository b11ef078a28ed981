"""Portfolios: the board's budget envelopes and what they hold."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from api.http.deps import (
    AsOfQuery,
    BoardDep,
    CursorQuery,
    EffectiveOnQuery,
    LedgerDep,
    LimitQuery,
    ViewerDep,
)
from api.http.errors import problems
from api.http.idempotency import LedgerRoute
from api.http.schemas import CompositionPublic, PortfolioCreate, PortfolioPage, PortfolioPublic
from projections.models import Composition, Page, PortfolioAt, PortfolioView

router = APIRouter(prefix="/v1/portfolios", tags=["portfolios"], route_class=LedgerRoute)


@router.post("", status_code=201, response_model=PortfolioPublic,
             responses=problems(400, 401, 403, 409, 422, 503))
def create_portfolio(
    terms: PortfolioCreate, ledger: LedgerDep, board: BoardDep, response: Response
) -> PortfolioAt:
    """Open a portfolio: a budget envelope the board allocates to projects (board)."""
    created = ledger.create_portfolio(actor=board.name, **terms.model_dump())
    response.headers["Location"] = f"/v1/portfolios/{created.id}"
    return created


@router.get("", response_model=PortfolioPage, responses=problems(401, 403, 422, 503))
def list_portfolios(
    ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None, limit: LimitQuery = 100, cursor: CursorQuery = None,
) -> Page[PortfolioView]:
    """Every portfolio, oldest first."""
    return ledger.portfolios(as_of=as_of, effective_on=effective_on, cursor=cursor, limit=limit)


@router.get("/{portfolio_id}", response_model=PortfolioPublic,
            responses=problems(401, 403, 404, 422, 503))
def get_portfolio(
    portfolio_id: UUID, ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> PortfolioAt:
    """One portfolio: its budget, allocation and objectives."""
    return ledger.portfolio(portfolio_id, as_of=as_of, effective_on=effective_on)


@router.get("/{portfolio_id}/composition", response_model=CompositionPublic,
            responses=problems(401, 403, 404, 422, 503))
def get_composition(
    portfolio_id: UUID, ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> Composition:
    """What the portfolio holds: funding and health by project status."""
    return ledger.composition(portfolio_id, as_of=as_of, effective_on=effective_on)
