"""The board's decisions: fund, pause, resume, discontinue, their rescissions and corrections,
and the log of them all."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.http.deps import (
    AsOfQuery,
    BoardDep,
    CursorQuery,
    DateOrInstantQuery,
    EffectiveOnQuery,
    ExpectedVersionDep,
    LedgerDep,
    LimitQuery,
    ViewerDep,
)
from api.http.errors import problems
from api.http.idempotency import LedgerRoute
from api.http.schemas import (
    CorrectionCreate,
    DecisionCreate,
    DecisionPage,
    DecisionPublic,
    RescissionCreate,
)
from domain.lifecycle import DecisionKind, LoggedKind
from domain.values import NAME_LENGTH
from projections.models import DecisionAt, DecisionRecord, Page

router = APIRouter(prefix="/v1", tags=["decisions"], route_class=LedgerRoute)
DecidedByQuery = Annotated[
    str | None,
    Query(max_length=NAME_LENGTH, pattern=r"^[^\x00-\x1f\x7f]*$",
          description="Only decisions recorded by this principal (the token's name)."),
]


@router.post("/portfolios/{portfolio_id}/decisions", status_code=201,
             response_model=DecisionPublic,
             responses=problems(400, 401, 403, 404, 409, 412, 422, 503))
def record_decision(
    portfolio_id: UUID,
    decision: DecisionCreate,
    ledger: LedgerDep,
    board: BoardDep,
    expected_version: ExpectedVersionDep,
    response: Response,
) -> DecisionAt:
    """Record a board decision on one of the portfolio's projects, with its rationale (board)."""
    terms = decision.model_dump(exclude={"project_id", "kind"})
    recorded = ledger.decide(portfolio_id, decision.project_id, DecisionKind(decision.kind),
                             actor=board.name,
                             expected_version=expected_version, **terms)
    response.headers["Location"] = f"/v1/decisions/{recorded.id}"
    return recorded


@router.post("/decisions/{decision_id}/rescission", status_code=201,
             response_model=DecisionPublic,
             responses=problems(400, 401, 403, 404, 409, 412, 422, 503))
def rescind_decision(
    decision_id: UUID,
    rescission: RescissionCreate,
    ledger: LedgerDep,
    board: BoardDep,
    expected_version: ExpectedVersionDep,
    response: Response,
) -> DecisionAt:
    """Rescind a project's latest decision: a new decision of kind `rescind` that returns the
    project to its status before and the portfolio's allocation to what it was (board)."""
    recorded = ledger.rescind(decision_id, actor=board.name, expected_version=expected_version,
                              **rescission.model_dump())
    response.headers["Location"] = f"/v1/decisions/{recorded.id}"
    return recorded


@router.post("/decisions/{decision_id}/corrections", status_code=201,
             response_model=DecisionPublic,
             responses=problems(400, 401, 403, 404, 409, 422, 503))
def correct_decision(
    decision_id: UUID,
    correction: CorrectionCreate,
    ledger: LedgerDep,
    board: BoardDep,
    response: Response,
) -> DecisionAt:
    """Correct a decision's words (rationale, meeting) with a reason; answers with the decision
    as corrected, its corrections listed; the original stays in the log (board)."""
    corrected = ledger.correct_decision(decision_id, actor=board.name,
                                        **correction.model_dump())
    response.headers["Location"] = f"/v1/decisions/{decision_id}"
    return corrected


@router.get("/decisions", response_model=DecisionPage, responses=problems(401, 403, 422, 503))
def list_decisions(
    ledger: LedgerDep,
    _: ViewerDep,
    portfolio_id: UUID | None = None,
    project_id: UUID | None = None,
    kind: LoggedKind | None = None,
    decided_by: DecidedByQuery = None,
    since: DateOrInstantQuery = None,
    until: DateOrInstantQuery = None,
    as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[DecisionRecord]:
    """The decision log, oldest first; a date bounds `decided_on`, an instant `recorded_at`."""
    return ledger.decision_log(
        as_of=as_of, effective_on=effective_on, cursor=cursor, limit=limit,
        portfolio_id=str(portfolio_id) if portfolio_id else None,
        project_id=str(project_id) if project_id else None,
        kind=kind.value if kind else None, decided_by=decided_by, since=since, until=until,
    )


@router.get("/decisions/{decision_id}", response_model=DecisionPublic,
            responses=problems(401, 403, 404, 422, 503))
def get_decision(
    decision_id: UUID, ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> DecisionAt:
    """One decision: who, when, why, and the evidence in front of the board."""
    return ledger.decision(decision_id, as_of=as_of, effective_on=effective_on)
