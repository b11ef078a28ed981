"""Loading a portfolio on real SQLite and PostgreSQL stores: cached copies and snapshots.

The application keeps recently loaded aggregates and hands out copies; a portfolio copies its
allocations shallowly (ids and amounts are immutable), so these tests prove that nothing done
to a copy reaches the cached original. Portfolio snapshots carry their allocations as exact
decimal strings; snapshots in the library's own format still load.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import IntegrityError

from domain.application import PortfolioLedger
from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio

BOARD = "board:chair"
MANAGER = "manager:ana"
FUNDED = Decimal("250000.00")
OBJECTIVES = [{"key": "cloud", "title": "Move to the cloud", "weight": Decimal("2")}]


def funded_portfolio(ledger: PortfolioLedger, projects: int = 3) -> UUID:
    """A portfolio whose board funded `projects` projects."""
    portfolio_id = ledger.create_portfolio(
        name="Digital services", budget=Decimal("10000000.00"), objectives=OBJECTIVES,
        actor=BOARD,
    ).id
    for number in range(projects):
        project_id = ledger.propose_project(
            portfolio_id=portfolio_id, name=f"Project {number}", code=f"P{number}",
            requested_budget=FUNDED, actor=MANAGER,
        ).id
        ledger.decide(portfolio_id, project_id, DecisionKind.FUND, amount=FUNDED,
                      rationale="Board review", actor=BOARD)
    return portfolio_id


def fund_in_memory(portfolio: Portfolio, project_id: UUID, amount: Decimal) -> None:
    """The portfolio's half of a funding decision, applied to the aggregate and not saved."""
    portfolio.record_decision(
        DecisionKind.FUND, amount, decision_id=uuid4(), project_id=project_id,
        rationale="Never recorded", decided_on=date(2025, 6, 30), meeting=None, actor=BOARD,
        status_before=Status.ACTIVE.value, status_after=Status.ACTIVE.value, evidence={},
    )


def test_a_copy_of_a_portfolio_equals_it_and_shares_no_container(
    ledger: PortfolioLedger,
) -> None:
    portfolio = ledger.portfolio(funded_portfolio(ledger))

    copied = copy.deepcopy(portfolio)

    assert copied == portfolio
    assert copied.allocations is not portfolio.allocations
    assert copied.objectives is not portfolio.objectives
    assert copied.objectives[0] is not portfolio.objectives[0]
    assert copied.pending_events is not portfolio.pending_events


def test_changing_a_loaded_portfolio_in_memory_leaves_the_cached_one_as_recorded(
    ledger: PortfolioLedger,
) -> None:
    # Given a portfolio loaded once, so the application has cached it
    portfolio_id = funded_portfolio(ledger)
    recorded = ledger.portfolio(portfolio_id)
    [first, *_] = recorded.allocations

    # When a command changes its copy by events and by hand, and never saves it
    loaded = ledger.portfolio(portfolio_id)
    fund_in_memory(loaded, UUID(first), Decimal("1.00"))
    fund_in_memory(loaded, uuid4(), Decimal("2.00"))
    loaded.allocations[first] = Decimal("0.01")
    loaded.objectives[0]["title"] = "Changed by hand"

    # Then the next load is the portfolio as recorded
    reloaded = ledger.portfolio(portfolio_id)
    assert reloaded == recorded
    assert reloaded.allocations[first] == FUNDED
    assert reloaded.allocated == 3 * FUNDED
    assert reloaded.objectives == OBJECTIVES
    assert reloaded.version == recorded.version
    assert reloaded.pending_events == []


def test_a_decision_whose_save_fails_leaves_the_cached_portfolio_as_recorded(
    ledger: PortfolioLedger,
) -> None:
    # Given two copies of the same cached portfolio
    portfolio_id = funded_portfolio(ledger)
    first = ledger.portfolio(portfolio_id)
    second = ledger.portfolio(portfolio_id)
    project_id = uuid4()

    # When one decision is saved and the other, taken on stale state, is refused
    fund_in_memory(first, project_id, Decimal("10.00"))
    ledger.save(first)
    fund_in_memory(second, project_id, Decimal("99.00"))
    with pytest.raises(IntegrityError):
        ledger.save(second)

    # Then the portfolio reads back with the saved decision only
    reloaded = ledger.portfolio(portfolio_id)
    assert reloaded.allocations[str(project_id)] == Decimal("10.00")
    assert reloaded.allocated == 3 * FUNDED + Decimal("10.00")
    assert reloaded.version == first.version


def test_a_portfolio_loads_from_its_snapshot_with_exact_allocations(
    ledger: PortfolioLedger,
) -> None:
    # Given a portfolio with a snapshot of its latest version
    portfolio_id = funded_portfolio(ledger)
    version = ledger.portfolio(portfolio_id).version
    ledger.take_snapshot(portfolio_id, version=version)

    # When it is loaded at that version (from the snapshot alone)
    loaded = ledger.portfolio(portfolio_id, version)

    # Then the snapshot held the amounts as strings, and they load back as exact decimals
    assert ledger.snapshots is not None
    [stored] = ledger.snapshots.recorder.select_events(portfolio_id, desc=True, limit=1)
    assert stored.topic == "domain.portfolio:Portfolio.Snapshot"
    assert b'"250000.00"' in stored.state
    assert all(type(amount) is Decimal for amount in loaded.allocations.values())
    assert loaded == full_replay(ledger, portfolio_id)


def test_a_snapshot_in_the_librarys_own_format_still_loads(ledger: PortfolioLedger) -> None:
    # Given a portfolio snapshotted the way the library did before portfolios had their own
    portfolio_id = funded_portfolio(ledger)
    portfolio = ledger.portfolio(portfolio_id)
    assert ledger.snapshots is not None
    ledger.snapshots.put([Snapshot.take(portfolio)])

    # When it is loaded from that snapshot, then it is the portfolio as recorded
    assert ledger.portfolio(portfolio_id, portfolio.version) == full_replay(ledger, portfolio_id)


def full_replay(ledger: PortfolioLedger, portfolio_id: UUID) -> Portfolio:
    replayed: Aggregate | None = None
    for event in ledger.events.get(portfolio_id):
        assert isinstance(event, Aggregate.Event)
        replayed = event.mutate(replayed)
    assert isinstance(replayed, Portfolio)
    return replayed
