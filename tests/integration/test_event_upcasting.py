"""Events stored by older versions are upcast on read, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.application import PortfolioLedger
from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio

CREATED_TOPIC = get_topic(Portfolio.PortfolioCreated)


def store_version_1_portfolio(ledger: PortfolioLedger, **state: Any) -> UUID:
    """Write a PortfolioCreated event as version 1 of the code stored it: no cadence, no version."""
    portfolio_id = uuid4()
    v1_state = {
        "timestamp": datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
        "originator_topic": get_topic(Portfolio),
        "name": "Legacy programmes",
        "currency": "EUR",
        "budget": Decimal("2500000.00"),
        "objectives": [{"key": "cx", "title": "Customer experience", "weight": Decimal("1")}],
        "actor": "import:legacy",
        **state,
    }
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=portfolio_id,
                originator_version=1,
                topic=CREATED_TOPIC,
                state=ledger.mapper.transcoder.encode(v1_state),
            )
        ]
    )
    return portfolio_id


def stored_state(ledger: PortfolioLedger, originator_id: UUID) -> dict[str, Any]:
    [stored] = ledger.recorder.select_events(originator_id, lte=1)
    state: dict[str, Any] = ledger.mapper.transcoder.decode(stored.state)
    return state


def test_a_version_1_portfolio_reads_back_with_the_default_45_day_cadence(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = store_version_1_portfolio(ledger)
    assert "reporting_cadence_days" not in stored_state(ledger, portfolio_id)
    assert "class_version" not in stored_state(ledger, portfolio_id)

    portfolio = ledger.portfolio(portfolio_id)

    assert portfolio.reporting_cadence_days == 45
    assert (portfolio.name, portfolio.currency) == ("Legacy programmes", "EUR")
    assert portfolio.budget == Decimal("2500000.00")
    assert portfolio.created_by == "import:legacy"
    assert portfolio.version == 1


def test_a_version_1_portfolio_is_left_as_stored_and_takes_new_decisions(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = store_version_1_portfolio(ledger)
    project_id = ledger.propose_project(
        portfolio_id=portfolio_id, name="Portal", code="P-1", objectives=["cx"],
        requested_budget=Decimal("100000.00"), actor="manager:ana",
    ).id

    decided = ledger.decide(
        portfolio_id, project_id, DecisionKind.FUND, amount=Decimal("100000.00"),
        rationale="Continue the legacy programme", actor="board:chair",
    )

    assert decided.status_after is Status.ACTIVE
    assert decided.evidence["health"]["overall"] == "unknown"
    assert ledger.portfolio(portfolio_id).available == Decimal("2400000.00")
    assert "reporting_cadence_days" not in stored_state(ledger, portfolio_id)


def test_a_new_portfolio_is_stored_as_version_2_with_its_own_cadence(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = ledger.create_portfolio(
        name="Current", budget=Decimal("1000.00"), reporting_cadence_days=30, actor="board:chair"
    ).id

    state = stored_state(ledger, portfolio_id)

    assert state["class_version"] == 2
    assert state["reporting_cadence_days"] == 30
    assert ledger.portfolio(portfolio_id).reporting_cadence_days == 30


def test_version_1_and_version_2_portfolios_read_side_by_side(ledger: PortfolioLedger) -> None:
    old = store_version_1_portfolio(ledger)
    new = ledger.create_portfolio(
        name="Current", budget=Decimal("1000.00"), reporting_cadence_days=90, actor="board:chair"
    ).id

    events = [
        ledger.mapper.to_domain_event(n)
        for n in ledger.recorder.select_notifications(start=1, limit=10)
    ]
    assert all(isinstance(e, Portfolio.PortfolioCreated) for e in events)
    created = [e for e in events if isinstance(e, Portfolio.PortfolioCreated)]

    assert [(e.originator_id, e.reporting_cadence_days) for e in created] == [(old, 45), (new, 90)]
