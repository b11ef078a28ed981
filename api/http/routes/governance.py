"""Governance: budget revisions, policy changes, and motions carried by the approvals of
board members other than the proposer."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response

from api.http.deps import (
    AsOfQuery,
    BoardDep,
    CursorQuery,
    EffectiveOnQuery,
    ExpectedVersionDep,
    LedgerDep,
    LimitQuery,
    ViewerDep,
)
from api.http.errors import problems
from api.http.idempotency import LedgerRoute
from api.http.schemas import (
    BudgetCreate,
    DecisionPublic,
    MotionCreate,
    MotionPage,
    MotionPublic,
    PolicyCreate,
    VoteCreate,
    WithdrawalCreate,
)
from projections.models import DecisionAt, MotionAt, MotionRecord, Page

router = APIRouter(prefix="/v1", tags=["governance"], route_class=LedgerRoute)
MotionStatusQuery = Literal["open", "carried", "rejected", "withdrawn", "lapsed", "expired"]


@router.post("/portfolios/{portfolio_id}/budget", status_code=201,
             response_model=DecisionPublic,
             responses=problems(400, 401, 403, 404, 409, 422, 503))
def revise_budget(
    portfolio_id: UUID, revision: BudgetCreate, ledger: LedgerDep, board: BoardDep,
    response: Response,
) -> DecisionAt:
    """Revise the portfolio's budget envelope, never below what is allocated (board): a
    decision of kind `budget`. Under a policy that requires approvals, propose a motion."""
    recorded = ledger.revise_budget(portfolio_id, actor=board.name, **revision.model_dump())
    response.headers["Location"] = f"/v1/decisions/{recorded.id}"
    return recorded


@router.post("/portfolios/{portfolio_id}/policy", status_code=201,
             response_model=DecisionPublic,
             responses=problems(400, 401, 403, 404, 409, 422, 503))
def change_policy(
    portfolio_id: UUID, change: PolicyCreate, ledger: LedgerDep, board: BoardDep,
    response: Response,
) -> DecisionAt:
    """Change the portfolio's policy (board): a decision of kind `policy`. Under a policy that
    requires approvals it is a motion too: lowering the bar takes the current bar."""
    recorded = ledger.change_policy(portfolio_id, actor=board.name, **change.model_dump())
    response.headers["Location"] = f"/v1/decisions/{recorded.id}"
    return recorded


@router.post("/portfolios/{portfolio_id}/motions", status_code=201,
             response_model=MotionPublic,
             responses=problems(400, 401, 403, 404, 409, 412, 422, 503))
def propose_motion(
    portfolio_id: UUID,
    motion: MotionCreate,
    ledger: LedgerDep,
    board: BoardDep,
    expected_version: ExpectedVersionDep,
    response: Response,
) -> MotionAt:
    """Move a decision, a budget revision or a policy change as a motion (board). It is
    carried by the approvals the policy requires, none of them the proposer's."""
    body = motion.model_dump(exclude={"kind"})
    proposed = ledger.propose_motion(portfolio_id, motion.kind, actor=board.name,
                                     role=board.role.value, expected_version=expected_version,
                                     **body)
    response.headers["Location"] = f"/v1/motions/{proposed.id}"
    return proposed


@router.post("/motions/{motion_id}/votes", status_code=201, response_model=MotionPublic,
             responses=problems(400, 401, 403, 404, 409, 422, 503))
def vote(
    motion_id: UUID, cast: VoteCreate, ledger: LedgerDep, board: BoardDep, response: Response
) -> MotionAt:
    """Approve or reject a motion (board; never its proposer, never twice). One rejection
    closes it; the approval that reaches the bar carries it, recording the decision in the
    same write, checked by the rules as they stand (refused: a 409, the vote not recorded).
    A lapsed or expired motion records nothing and answers 409 `motion-closed`."""
    voted = ledger.vote(motion_id, cast.vote, actor=board.name, role=board.role.value,
                        comment=cast.comment)
    response.headers["Location"] = f"/v1/motions/{voted.id}"
    return voted


@router.post("/motions/{motion_id}/withdrawal", status_code=201, response_model=MotionPublic,
             responses=problems(400, 401, 403, 404, 409, 422, 503))
def withdraw(
    motion_id: UUID, withdrawal: WithdrawalCreate, ledger: LedgerDep, board: BoardDep,
    response: Response,
) -> MotionAt:
    """Withdraw an open motion (its proposer only; anyone else 403)."""
    withdrawn = ledger.withdraw_motion(motion_id, actor=board.name, role=board.role.value,
                                       reason=withdrawal.reason)
    response.headers["Location"] = f"/v1/motions/{withdrawn.id}"
    return withdrawn


@router.get("/motions", response_model=MotionPage, responses=problems(401, 403, 422, 503))
def list_motions(
    ledger: LedgerDep,
    _: ViewerDep,
    portfolio_id: UUID | None = None,
    status: MotionStatusQuery | None = None,
    as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[MotionRecord]:
    """Motions in the order proposed, each as it stood at `as_of` (on `effective_on`: at the
    end of that day)."""
    return ledger.motions(portfolio_id=portfolio_id, status=status, as_of=as_of,
                          effective_on=effective_on, cursor=cursor, limit=limit)


@router.get("/motions/{motion_id}", response_model=MotionPublic,
            responses=problems(401, 403, 404, 422, 503))
def get_motion(
    motion_id: UUID, ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> MotionAt:
    """One motion: its terms, evidence, votes and where it stands."""
    return ledger.motion(motion_id, as_of=as_of, effective_on=effective_on)
