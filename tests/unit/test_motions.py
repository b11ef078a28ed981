"""Motions on the in-memory store: every transition allowed and refused, separation of
duties, policies that govern their own change, and the budget rule at the carrying vote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.application import PortfolioLedger
from domain.commands import (
    CastVote,
    ChangePolicy,
    Decide,
    ProposeMotion,
    ReviseBudget,
    WithdrawMotion,
)
from domain.errors import (
    AlreadyVoted,
    ApprovalRequired,
    BudgetBelowAllocated,
    BudgetExceeded,
    InvalidInput,
    LedgerError,
    MotionClosed,
    NotTheProposer,
    SelfApproval,
)
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind, Status
from domain.motion import MotionStatus

FUND = DecisionKind.FUND
A, B, C, D = "board:ana", "board:ben", "board:cy", "board:dee"
TODAY = date(2026, 6, 1)


class Clock:
    def __init__(self) -> None:
        self.instant = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.instant


@dataclass
class Board:
    ledger: PortfolioLedger
    clock: Clock
    portfolio_id: UUID
    project_id: UUID

    def propose(self, proposal: Any = None, by: str = A, **kwargs: Any) -> UUID:
        proposal = proposal or self.fund("100.00", by)
        return self.ledger.propose_motion(
            ProposeMotion(proposal, actor=by, role="board", **kwargs)).id

    def fund(self, amount: str, by: str = A) -> Decide:
        return Decide(self.portfolio_id, self.project_id, FUND, "Business case", by,
                      amount=Decimal(amount))

    def vote(self, motion_id: UUID, by: str, vote: str = "approve") -> None:
        self.ledger.vote(CastVote(motion_id, vote, actor=by, role="board"))

    def withdraw(self, motion_id: UUID, by: str = A) -> None:
        self.ledger.withdraw_motion(WithdrawMotion(motion_id, actor=by, role="board"))

    def status(self, motion_id: UUID) -> MotionStatus:
        motion = self.ledger.motion(motion_id)
        version = self.ledger.project(motion.project_id).version if motion.project_id else None
        return motion.status(self.clock(), version)[0]

    def report(self) -> None:
        report = StatusReport(period_end=TODAY, schedule=Rating.GREEN, cost=Rating.GREEN,
                              scope=Rating.GREEN)
        self.ledger.report_status(self.project_id, report, actor="manager:mo")


def board_with(approvals: int, budget: str = "1000.00", motion_days: int = 30) -> Board:
    clock = Clock()
    ledger = PortfolioLedger(today=lambda: TODAY, now=clock)
    portfolio = ledger.create_portfolio(
        name="Digital", budget=Decimal(budget), actor=A, created_on=TODAY,
        policy={"approvals_required": approvals, "motion_days": motion_days})
    project = ledger.propose_project(portfolio_id=portfolio.id, name="Portal", code="P-1",
                                     requested_budget=Decimal("500.00"), actor="manager:mo",
                                     proposed_on=TODAY)
    return Board(ledger, clock, portfolio.id, project.id)


def fund_and_activate(board: Board) -> None:
    """An active project (so it reports), funded by a motion carried by B."""
    motion = board.propose(board.fund("100.00"))
    board.vote(motion, B)


# Each step from a motion's state: what the step does, and the error it is refused with.
Step = Callable[[Board, UUID], None]
STEPS: dict[str, Step] = {
    "B approves": lambda b, m: b.vote(m, B),
    "B rejects": lambda b, m: b.vote(m, B, "reject"),
    "A (proposer) approves": lambda b, m: b.vote(m, A),
    "A (proposer) rejects": lambda b, m: b.vote(m, A, "reject"),
    "A withdraws": lambda b, m: b.withdraw(m, A),
    "B withdraws": lambda b, m: b.withdraw(m, B),
}
SETUPS: dict[str, Step] = {
    "open": lambda b, m: None,
    "carried": lambda b, m: b.vote(m, C),
    "rejected": lambda b, m: b.vote(m, C, "reject"),
    "withdrawn": lambda b, m: b.withdraw(m, A),
    "expired": lambda b, m: setattr(b.clock, "instant", b.clock.instant + timedelta(days=30)),
    "lapsed": lambda b, m: b.report(),
}
CLOSED = {"carried", "rejected", "withdrawn", "expired", "lapsed"}
CASES: list[tuple[str, str, type[LedgerError] | None, str]] = [
    ("open", "B approves", None, "carried"),
    ("open", "B rejects", None, "rejected"),
    ("open", "A (proposer) approves", SelfApproval, "open"),
    ("open", "A (proposer) rejects", SelfApproval, "open"),
    ("open", "A withdraws", None, "withdrawn"),
    ("open", "B withdraws", NotTheProposer, "open"),
    *((state, step, MotionClosed, state)
      for state in sorted(CLOSED) for step in ("B approves", "B rejects", "A withdraws")),
    *((state, "B withdraws", NotTheProposer, state) for state in sorted(CLOSED)),
]


@pytest.mark.parametrize(("state", "step", "refused", "after"), CASES)
def test_each_step_from_each_state(
    state: str, step: str, refused: type[LedgerError] | None, after: str
) -> None:
    board = board_with(1)
    if state == "lapsed":
        fund_and_activate(board)  # an active project reports, which moves its version
    motion = board.propose(board.fund("50.00")) if state == "lapsed" else board.propose()
    SETUPS[state](board, motion)
    events = len(list(board.ledger.recorder.select_notifications(1, 1000)))

    if refused is None:
        STEPS[step](board, motion)
    else:
        with pytest.raises(refused):
            STEPS[step](board, motion)
        assert len(list(board.ledger.recorder.select_notifications(1, 1000))) == events

    assert board.status(motion) == after


def test_nobody_votes_twice() -> None:
    board = board_with(2)
    motion = board.propose()
    board.vote(motion, B)
    with pytest.raises(AlreadyVoted):
        board.vote(motion, B)
    with pytest.raises(AlreadyVoted):
        board.vote(motion, B, "reject")
    assert board.status(motion) == "open"


def test_a_lapsed_motion_says_why() -> None:
    board = board_with(1)
    fund_and_activate(board)
    motion = board.propose(board.fund("50.00"))
    board.report()
    with pytest.raises(MotionClosed) as refused:
        board.vote(motion, B)
    assert (refused.value.status, refused.value.reason) == ("lapsed", "evidence-changed")


@pytest.mark.parametrize("required", [2, 3])
def test_carried_only_by_as_many_distinct_board_members_other_than_the_proposer(
    required: int,
) -> None:
    board = board_with(required)
    motion = board.propose()
    voters = [B, C, D][:required]
    for voter in voters[:-1]:
        board.vote(motion, voter)
        with pytest.raises(AlreadyVoted):
            board.vote(motion, voter)
        with pytest.raises(SelfApproval):
            board.vote(motion, A)
        assert board.status(motion) == "open"
        assert board.ledger.project(board.project_id).status is Status.PROPOSED
    board.vote(motion, voters[-1])

    assert board.status(motion) == "carried"
    project = board.ledger.project(board.project_id)
    assert (project.status, project.funded) == (Status.ACTIVE, Decimal("100.00"))
    decided = board.ledger.portfolio(board.portfolio_id)
    assert decided.allocated == Decimal("100.00")
    motion_now = board.ledger.motion(motion)
    event = next(e for e in board.ledger.repository.event_store.get(board.portfolio_id)
                 if getattr(e, "decision_id", None) == motion_now.decision_id)
    assert event.motion_id == motion
    assert event.proposed_by == A
    assert [a["name"] for a in event.approved_by] == voters
    assert {a["meaning"] for a in event.approved_by} == {"approval"}
    assert event.actor == voters[-1]


def test_direct_writes_under_a_policy_that_requires_approvals_are_refused() -> None:
    board = board_with(1)
    with pytest.raises(ApprovalRequired) as refused:
        board.ledger.decide(board.portfolio_id, board.project_id, FUND, rationale="r",
                            actor=A, amount=Decimal("1.00"))
    assert refused.value.motions == f"/v1/portfolios/{board.portfolio_id}/motions"
    with pytest.raises(ApprovalRequired):
        board.ledger.revise_budget(ReviseBudget(board.portfolio_id, Decimal("5000"), "r", A))
    with pytest.raises(ApprovalRequired):
        board.ledger.change_policy(ChangePolicy(board.portfolio_id, {"approvals_required": 0},
                                                "r", A))


def test_lowering_the_bar_takes_the_approvals_of_the_current_bar() -> None:
    board = board_with(2)
    lower = ChangePolicy(board.portfolio_id, {"approvals_required": 0, "motion_days": 30},
                         "Fewer meetings", A)
    motion = board.propose(lower)
    board.vote(motion, B)
    assert board.ledger.portfolio(board.portfolio_id).approvals_required == 2
    with pytest.raises(ApprovalRequired):  # one approval is not the bar: still governed
        board.ledger.decide(board.portfolio_id, board.project_id, FUND, rationale="r",
                            actor=A, amount=Decimal("1.00"))
    board.vote(motion, C)
    assert board.ledger.portfolio(board.portfolio_id).policy == {
        "approvals_required": 0, "motion_days": 30}
    board.ledger.decide(board.portfolio_id, board.project_id, FUND, rationale="r", actor=A,
                        amount=Decimal("1.00"))


def test_the_budget_rule_is_checked_at_the_carrying_vote() -> None:
    board = board_with(1, budget="1000.00")
    other = board.ledger.propose_project(portfolio_id=board.portfolio_id, name="Other",
                                         code="P-2", requested_budget=Decimal("700.00"),
                                         actor="manager:mo", proposed_on=TODAY).id
    first = board.propose(Decide(board.portfolio_id, other, FUND, "Spend", A,
                                 amount=Decimal("700.00")))
    second = board.propose(board.fund("600.00"), by=C)
    board.vote(first, B)  # 700 of 1000 allocated to another project: 300 left
    before = len(list(board.ledger.recorder.select_notifications(1, 1000)))
    with pytest.raises(BudgetExceeded):
        board.vote(second, B)
    assert len(list(board.ledger.recorder.select_notifications(1, 1000))) == before
    assert board.status(second) == "open"  # the motion stays open, the vote not recorded
    assert board.ledger.motion(second).votes == []


def test_a_motion_that_could_not_be_carried_today_is_refused_at_once() -> None:
    board = board_with(1, budget="1000.00")
    with pytest.raises(BudgetExceeded):
        board.propose(board.fund("1500.00"))
    with pytest.raises(BudgetBelowAllocated):
        fund_and_activate(board)
        board.propose(ReviseBudget(board.portfolio_id, Decimal("50.00"), "Cut", A))
    with pytest.raises(InvalidInput):
        board.propose(ChangePolicy(board.portfolio_id, {"approvals_required": 10}, "r", A))


def test_a_budget_revision_never_goes_below_what_is_allocated() -> None:
    board = board_with(0, budget="1000.00")
    board.ledger.decide(board.portfolio_id, board.project_id, FUND, rationale="r", actor=A,
                        amount=Decimal("400.00"))
    with pytest.raises(BudgetBelowAllocated):
        board.ledger.revise_budget(ReviseBudget(board.portfolio_id, Decimal("399.99"), "r", A))
    board.ledger.revise_budget(ReviseBudget(board.portfolio_id, Decimal("400.00"), "r", A))
    portfolio = board.ledger.portfolio(board.portfolio_id)
    assert (portfolio.budget, portfolio.available) == (Decimal("400.00"), Decimal("0.00"))


def test_a_budget_motion_carried_revises_the_envelope() -> None:
    board = board_with(1, budget="1000.00")
    motion = board.propose(ReviseBudget(board.portfolio_id, Decimal("2500.00"), "Grant", A))
    board.vote(motion, B)
    assert board.ledger.portfolio(board.portfolio_id).budget == Decimal("2500.00")
    assert board.status(motion) == "carried"


def test_votes_record_who_in_which_role_and_what_it_means() -> None:
    board = board_with(2)
    motion = board.propose()
    board.ledger.vote(CastVote(motion, "approve", actor=B, role="admin", comment="Fine"))
    voted = board.ledger.motion(motion).votes
    assert [(v["name"], v["role"], v["meaning"], v["comment"]) for v in voted] == [
        (B, "admin", "approval", "Fine")]
    with pytest.raises(InvalidInput):
        board.ledger.vote(CastVote(motion, "abstain", actor=C, role="board"))
