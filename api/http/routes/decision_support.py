"""Decision support: the objectives' weights, assessments, the ranking, scenarios and the
frontier of the best value each budget can buy."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.http.deps import (
    AsOfQuery,
    BoardDep,
    CursorQuery,
    EffectiveOnQuery,
    ExpectedVersionDep,
    LedgerDep,
    LimitQuery,
    ManagerOrBoardDep,
    ViewerDep,
    etag,
)
from api.http.errors import problems
from api.http.idempotency import LedgerRoute
from api.http.schemas import (
    AssessmentCreate,
    FrontierPublic,
    PortfolioPublic,
    ProjectPublic,
    RankingPublic,
    ScenarioCreate,
    ScenarioPage,
    ScenarioPublic,
    WeightsCreate,
)
from domain.selection import MAX_POINTS, MIN_POINTS
from projections.models import Frontier, Page, PortfolioAt, ProjectAt, Ranking, ScenarioAt
from projections.models import ScenarioView as ScenarioRead

router = APIRouter(prefix="/v1", tags=["decision support"], route_class=LedgerRoute)
Maximize = Literal["score", "benefit"]
PointsQuery = Annotated[int, Query(ge=MIN_POINTS, le=MAX_POINTS,
                                   description="How many evenly spaced budgets.")]


@router.post("/portfolios/{portfolio_id}/weights", status_code=201,
             response_model=PortfolioPublic,
             responses=problems(400, 401, 403, 404, 409, 422, 503))
def set_weights(
    portfolio_id: UUID, terms: WeightsCreate, ledger: LedgerDep, board: BoardDep,
    response: Response,
) -> PortfolioAt:
    """Weigh the portfolio's objectives, directly or by pairwise comparisons (board)."""
    body = terms.model_dump()
    if terms.comparisons is not None:
        body["comparisons"] = [c.model_dump() for c in terms.comparisons]
    recorded = ledger.set_weights(portfolio_id, actor=board.name, **body)
    response.headers["Location"] = f"/v1/portfolios/{portfolio_id}"
    return recorded


@router.post("/projects/{project_id}/assessments", status_code=201,
             response_model=ProjectPublic,
             responses=problems(400, 401, 403, 404, 409, 412, 422, 503))
def assess_project(
    project_id: UUID, assessment: AssessmentCreate, ledger: LedgerDep, who: ManagerOrBoardDep,
    expected_version: ExpectedVersionDep, response: Response,
) -> ProjectAt:
    """Score a project 0-5 against its portfolio's objectives; the latest counts (board,
    manager)."""
    recorded = ledger.assess_project(project_id, actor=who.name,
                                     expected_version=expected_version,
                                     **assessment.model_dump())
    response.headers["ETag"] = etag(recorded.version)
    response.headers["Location"] = f"/v1/projects/{project_id}"
    return recorded


@router.get("/portfolios/{portfolio_id}/ranking", response_model=RankingPublic,
            responses=problems(401, 403, 404, 422, 503))
def get_ranking(
    portfolio_id: UUID, ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> Ranking:
    """The candidates (neither discontinued nor completed) by score, then benefit per cost,
    then code, under the weights in force."""
    return ledger.ranking(portfolio_id, as_of, effective_on=effective_on)


@router.post("/portfolios/{portfolio_id}/scenarios", status_code=201,
             response_model=ScenarioPublic,
             responses=problems(400, 401, 403, 404, 409, 422, 503))
def run_scenario(
    portfolio_id: UUID, terms: ScenarioCreate, ledger: LedgerDep, board: BoardDep,
    response: Response,
) -> ScenarioAt:
    """The exact best selection of the candidates within the budget, recorded with what it
    would change (board); constraints no selection can meet are a 422 `infeasible`."""
    recorded = ledger.record_scenario(
        portfolio_id, actor=board.name, name=terms.name, maximize=terms.maximize,
        budget=terms.budget, include=terms.include, exclude=terms.exclude,
        requires=[(r.project, r.needs) for r in terms.requires],
    )
    response.headers["Location"] = f"/v1/scenarios/{recorded.id}"
    return recorded


@router.get("/portfolios/{portfolio_id}/scenarios", response_model=ScenarioPage,
            responses=problems(401, 403, 404, 422, 503))
def list_scenarios(
    portfolio_id: UUID, ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
    limit: LimitQuery = 100, cursor: CursorQuery = None,
) -> Page[ScenarioRead]:
    """The portfolio's scenarios, in the order recorded."""
    return ledger.scenarios(portfolio_id, as_of, cursor, limit)


@router.get("/scenarios/{scenario_id}", response_model=ScenarioPublic,
            responses=problems(401, 403, 404, 422, 503))
def get_scenario(
    scenario_id: UUID, ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
) -> ScenarioAt:
    """One scenario: its inputs, the proven best selection, and what it would change."""
    return ledger.scenario(scenario_id, as_of)


@router.get("/portfolios/{portfolio_id}/frontier", response_model=FrontierPublic,
            responses=problems(401, 403, 404, 422, 503))
def get_frontier(
    portfolio_id: UUID, ledger: LedgerDep, _: ViewerDep, points: PointsQuery = 10,
    maximize: Maximize = "score", as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> Frontier:
    """The exact best value at evenly spaced budgets from 0 to the candidates' total cost,
    never falling, with the plan of record (the active and paused projects) to mark on it."""
    return ledger.frontier(portfolio_id, points=points, maximize=maximize, as_of=as_of,
                           effective_on=effective_on)
