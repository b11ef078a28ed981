"""Decision support's rules on the library's in-memory store: weights and assessments dated in
order, a scenario recorded as its own aggregate and cited by a decision of the same batch, and a
refused batch that records none of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.application import PortfolioLedger
from domain.commands import (
    AssessProject,
    Decide,
    OpenPortfolio,
    ProposeProject,
    RecordScenario,
    SetWeights,
)
from domain.errors import (
    BusinessDateOutOfOrder,
    CommandRefused,
    InconsistentComparisons,
    Infeasible,
    InvalidInput,
)
from domain.lifecycle import DecisionKind
from domain.portfolio import Portfolio
from domain.project import Project
from domain.scenario import Scenario, Weighed
from domain.scoring import initial_weights, score
from domain.weights import Comparison

TODAY = date(2026, 6, 30)
BOARD = "board:chair"
IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
OBJECTIVES = ({"key": "cx", "title": "Citizens", "weight": 3},
              {"key": "cost", "title": "Savings", "weight": 1},
              {"key": "risk", "title": "Risk", "weight": 0})


@pytest.fixture
def ledger() -> Iterator[PortfolioLedger]:
    app = PortfolioLedger(IN_MEMORY, today=lambda: TODAY)
    try:
        yield app
    finally:
        app.close()


def opened(ledger: PortfolioLedger) -> tuple[OpenPortfolio, list[ProposeProject]]:
    opening = OpenPortfolio(name="Digital", budget=Decimal("1000.00"), actor=BOARD,
                            objectives=OBJECTIVES, created_on=TODAY - timedelta(days=60))
    proposals = [ProposeProject(opening.portfolio_id, f"Project {code}", Decimal(cost), BOARD,
                                code=code, proposed_on=TODAY - timedelta(days=50))
                 for code, cost in (("A", "600.00"), ("B", "500.00"))]
    ledger.record([opening, *proposals])
    return opening, proposals


def test_the_objectives_own_weights_are_in_force_until_the_board_sets_them(
        ledger: PortfolioLedger) -> None:
    opening, _ = opened(ledger)
    portfolio = ledger.portfolio(opening.portfolio_id)
    assert portfolio.weights == {"cx": Decimal("0.75"), "cost": Decimal("0.25"),
                                 "risk": Decimal(0)}
    assert initial_weights([{"key": "a", "weight": 0}, {"key": "b", "weight": 0}]) == {
        "a": Decimal("0.5"), "b": Decimal("0.5")}
    assert score(portfolio.weights, {"cx": 4, "risk": 5}) == Decimal("3.0000")


def test_weights_never_take_effect_before_the_weights_in_force(ledger: PortfolioLedger) -> None:
    opening, _ = opened(ledger)
    pid = opening.portfolio_id
    ledger.set_weights(SetWeights(pid, "Review", BOARD, weights={"cx": 1},
                                  decided_on=TODAY - timedelta(days=10)))
    with pytest.raises(InvalidInput, match="decided_on"):
        ledger.set_weights(SetWeights(pid, "Earlier", BOARD, weights={"cx": 1},
                                      decided_on=TODAY - timedelta(days=20)))
    with pytest.raises(InconsistentComparisons):
        ledger.set_weights(SetWeights(pid, "Cycle", BOARD, comparisons=(
            Comparison("cx", "cost", 9), Comparison("cost", "risk", 9),
            Comparison("risk", "cx", 9))))
    assert ledger.portfolio(pid).weights_on == TODAY - timedelta(days=10)


def test_assessments_never_go_back_before_the_latest(ledger: PortfolioLedger) -> None:
    _, proposals = opened(ledger)
    a = Project.create_id(proposals[0].portfolio_id, "A")
    ledger.assess_project(AssessProject(a, {"cx": 3}, "First", BOARD,
                                        assessed_on=TODAY - timedelta(days=5)))
    with pytest.raises(BusinessDateOutOfOrder):
        ledger.assess_project(AssessProject(a, {"cx": 3}, "Older", BOARD,
                                            assessed_on=TODAY - timedelta(days=6)))
    with pytest.raises(BusinessDateOutOfOrder):
        ledger.assess_project(AssessProject(a, {"cx": 3}, "Before the proposal", BOARD,
                                            assessed_on=TODAY - timedelta(days=55)))
    with pytest.raises(InvalidInput, match=r"scores\.nope"):
        ledger.assess_project(AssessProject(a, {"nope": 3}, "Unknown", BOARD))
    assert ledger.project(a).last_assessed_on == TODAY - timedelta(days=5)


def test_a_batch_records_a_scenario_and_a_decision_citing_it_or_neither(
        ledger: PortfolioLedger) -> None:
    opening, _ = opened(ledger)
    pid = opening.portfolio_id
    a, b = (Project.create_id(pid, code) for code in "AB")
    candidates = (Weighed(a, "A", "proposed", Decimal("600.00"), Decimal("3.0")),
                  Weighed(b, "B", "proposed", Decimal("500.00"), Decimal("2.0")))
    advised = RecordScenario(pid, "Best for 1,000", "score", candidates, BOARD)
    cites = Decide(pid, a, DecisionKind.FUND, "As advised", BOARD, amount=Decimal("600.00"),
                   scenario_id=advised.scenario_id)
    head = ledger.recorder.max_notification_id()
    with pytest.raises(CommandRefused) as refused:
        ledger.record([advised, cites, RecordScenario(
            pid, "Both", "score", candidates, BOARD, include=(a, b))])
    assert isinstance(refused.value.error, Infeasible)
    assert ledger.recorder.max_notification_id() == head

    ledger.record([advised, cites])
    scenario = ledger.scenario(advised.scenario_id)
    assert isinstance(scenario, Scenario)
    assert scenario.result["selected"] == [a]
    assert scenario.result["changes"] == {"start": [a], "stop": [], "keep": []}
    decision = ledger.portfolio(pid).allocations
    assert decision == {str(a): Decimal("600.00")}
    with pytest.raises(InvalidInput, match="scenario_id"):
        ledger.decide(pid, b, DecisionKind.FUND, rationale="Unknown", actor=BOARD,
                      amount=Decimal("100.00"), scenario_id=uuid4())


def test_a_version_2_portfolio_snapshot_has_the_objectives_weights_in_force() -> None:
    state = {"objectives": list(OBJECTIVES), "opened_on": TODAY}
    Portfolio.upcast_v2_v3(state)
    assert state["weights"]["cx"] == Decimal("0.75") and state["weights_on"] == TODAY
    project_state: dict[str, object] = {"last_decided_on": None}
    Project.upcast_v2_v3(project_state)
    assert project_state["last_assessed_on"] is None
