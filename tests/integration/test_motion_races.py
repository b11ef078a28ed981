"""Board members approving one motion at once, each on their own application and thread,
against a real SQLite file and a real PostgreSQL database: exactly one carries it, the
decision is recorded once, and no vote that was accepted is lost."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from api.settings import store_env
from domain.application import PortfolioLedger, Recorded
from domain.commands import CastVote, Decide, ProposeMotion
from domain.errors import MotionClosed
from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio
from projections.service import LedgerService

VOTERS = [f"board:member-{n}" for n in range(10)]


class RacingLedger(PortfolioLedger):
    """A ledger whose first save waits until every rival has loaded and voted in memory."""

    name = PortfolioLedger.name

    def __init__(self, env: dict[str, str], barrier: threading.Barrier) -> None:
        super().__init__(env)
        self.barrier = barrier
        self.saves = 0

    def _save(self, *aggregates: Aggregate) -> Any:
        self.saves += 1
        if self.saves == 1:
            self.barrier.wait(timeout=30)
        return super()._save(*aggregates)


def motion_to_fund(store_url: str, approvals: int) -> tuple[UUID, UUID, UUID]:
    ledger = PortfolioLedger(store_env(store_url))
    try:
        portfolio = ledger.create_portfolio(
            name="Digital", budget=Decimal("1000.00"), actor="board:chair",
            policy={"approvals_required": approvals, "motion_days": 30})
        project = ledger.propose_project(portfolio_id=portfolio.id, name="Portal", code="P-1",
                                         requested_budget=Decimal("400.00"), actor="manager:mo")
        motion = ledger.propose_motion(ProposeMotion(
            Decide(portfolio.id, project.id, DecisionKind.FUND, "Business case",
                   "board:chair", amount=Decimal("400.00")),
            actor="board:chair", role="board"))
        return portfolio.id, project.id, motion.id
    finally:
        ledger.close()


def approve_at_once(store_url: str, motion_id: UUID) -> list[Recorded | Exception]:
    barrier = threading.Barrier(len(VOTERS))
    apps = [RacingLedger(store_env(store_url), barrier) for _ in VOTERS]

    def approve(app: PortfolioLedger, voter: str) -> Recorded | Exception:
        try:
            return app.vote(CastVote(motion_id, "approve", actor=voter, role="board"))
        except Exception as error:  # the outcome under test, inspected by the caller
            return error

    try:
        with ThreadPoolExecutor(max_workers=len(VOTERS)) as pool:
            return list(pool.map(approve, apps, VOTERS))
    finally:
        for app in apps:
            app.close()


@pytest.mark.parametrize("approvals", [1, 3])
def test_ten_approvals_at_once_carry_the_motion_once_and_lose_no_accepted_vote(
    store_url: str, approvals: int
) -> None:
    portfolio_id, project_id, motion_id = motion_to_fund(store_url, approvals)

    outcomes = approve_at_once(store_url, motion_id)

    accepted = [o for o in outcomes if isinstance(o, Recorded)]
    refused = [o for o in outcomes if not isinstance(o, Recorded)]
    assert len(accepted) == approvals
    assert all(isinstance(o, MotionClosed) and o.status == "carried" for o in refused), refused
    service = LedgerService(store_env(store_url))
    try:
        service.catch_up()
        ledger = service.app
        types = Counter(type(e).__name__ for e in ledger.repository.event_store.get(motion_id))
        assert types == {"Proposed": 1, "Voted": approvals, "Carried": 1}
        motion = ledger.motion(motion_id)
        voted = [v["name"] for v in motion.votes]
        assert set(voted) <= set(VOTERS)
        assert len(set(voted)) == approvals  # each accepted vote once, none lost
        funded = [e for e in ledger.repository.event_store.get(portfolio_id)
                  if isinstance(e, Portfolio.ProjectFunded)]
        assert len(funded) == 1
        assert funded[0].decision_id == motion.decision_id
        assert sorted(a["name"] for a in funded[0].approved_by) == sorted(voted)
        project = ledger.project(project_id)
        assert (project.status, project.funded) == (Status.ACTIVE, Decimal("400.00"))
        assert ledger.portfolio(portfolio_id).allocated == Decimal("400.00")
        # The views agree: one decision in the log, the motion carried with every approval.
        [decision] = service.decision_log(portfolio_id=str(portfolio_id)).items
        assert decision.motion_id == motion_id
        read = service.motion(motion_id)
        assert (read.status, len(read.approvals), read.decision_id) == (
            "carried", approvals, decision.id)
    finally:
        service.close()
