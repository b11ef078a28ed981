"""Events and snapshots stored by older versions are upcast on read, on SQLite and on
PostgreSQL: a portfolio's cadence, and the business dates of facts recorded before they
carried one (the day each was recorded)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from api.settings import store_env
from domain.application import PortfolioLedger
from domain.errors import BusinessDateOutOfOrder
from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio
from domain.project import Project

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
    assert portfolio.opened_on == date(2024, 1, 15)  # the day it was recorded


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


def test_a_new_portfolio_is_stored_as_version_4_with_its_cadence_date_and_policy(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = ledger.create_portfolio(
        name="Current", budget=Decimal("1000.00"), reporting_cadence_days=30, actor="board:chair"
    ).id

    state = stored_state(ledger, portfolio_id)

    assert state["class_version"] == 4
    assert state["reporting_cadence_days"] == 30
    assert state["policy"] == {"approvals_required": 0, "motion_days": 30}
    assert state["created_on"] == ledger.today()
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


# Business dates: facts recorded before they carried one are dated the day they were recorded

PROPOSED_AT = datetime(2024, 2, 2, 1, 0, tzinfo=timezone(timedelta(hours=2)))  # 1 Feb, UTC
FUNDED_AT = datetime(2024, 3, 10, 16, 0, tzinfo=UTC)
COMPLETED_AT = datetime(2024, 9, 30, 12, 0, tzinfo=UTC)


def insert(ledger: PortfolioLedger, originator_id: UUID, version: int, topic: str,
           state: dict[str, Any]) -> None:
    ledger.recorder.insert_events([StoredEvent(
        originator_id=originator_id, originator_version=version, topic=topic,
        state=ledger.mapper.transcoder.encode(state),
    )])


def store_version_2_portfolio(ledger: PortfolioLedger) -> UUID:
    """A PortfolioCreated event as version 2 of the code stored it: a cadence, no date."""
    portfolio_id = uuid4()
    insert(ledger, portfolio_id, 1, CREATED_TOPIC, {
        "timestamp": datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
        "originator_topic": get_topic(Portfolio), "name": "Legacy programmes",
        "currency": "EUR", "budget": Decimal("2500000.00"), "reporting_cadence_days": 30,
        "objectives": [], "actor": "import:legacy", "class_version": 2,
    })
    return portfolio_id


def store_version_1_project(
    ledger: PortfolioLedger, portfolio_id: UUID, *, completed: bool = True
) -> UUID:
    """A project proposed, funded (both halves) and completed as the code stored them before
    business dates: no proposed_on, no decided_on on the project's half, no completed_on."""
    project_id, decision_id = uuid5(portfolio_id, "L-1"), uuid4()
    amount = Decimal("100000.00")
    insert(ledger, project_id, 1, get_topic(Project.ProjectProposed), {
        "timestamp": PROPOSED_AT, "originator_topic": get_topic(Project),
        "portfolio_id": portfolio_id, "code": "L-1", "name": "Legacy portal", "sponsor": None,
        "manager": None, "requested_budget": amount, "planned_start": None,
        "planned_finish": None, "objectives": [], "actor": "import:legacy",
    })
    decision = {"decision_id": decision_id, "status_before": "proposed",
                "status_after": "active", "actor": "board:chair"}
    insert(ledger, portfolio_id, 2, get_topic(Portfolio.ProjectFunded), {
        "timestamp": FUNDED_AT, "project_id": project_id, "rationale": "Legacy funding",
        "decided_on": date(2024, 3, 8), "meeting": None, "evidence": {}, "amount": amount,
        **decision,
    })
    insert(ledger, project_id, 2, get_topic(Project.DecisionApplied), {
        "timestamp": FUNDED_AT + timedelta(microseconds=1), "kind": "fund", "amount": amount,
        **decision,
    })
    if completed:
        insert(ledger, project_id, 3, get_topic(Project.ProjectCompleted), {
            "timestamp": COMPLETED_AT, "summary": "Delivered", "actor": "manager:ana",
        })
    return project_id


def test_facts_stored_without_business_dates_read_back_dated_the_day_they_were_recorded(
    ledger: PortfolioLedger,
) -> None:
    # Given a portfolio and a project stored before facts carried business dates
    portfolio_id = store_version_2_portfolio(ledger)
    project_id = store_version_1_project(ledger, portfolio_id)
    assert "proposed_on" not in stored_state(ledger, project_id)

    # When they are read
    portfolio, project = ledger.portfolio(portfolio_id), ledger.project(project_id)
    proposed, funded, completed = list(ledger.events.get(project_id))

    # Then each fact is dated the UTC day it was recorded, and the stored events are unchanged
    assert portfolio.opened_on == date(2024, 1, 15)
    assert portfolio.reporting_cadence_days == 30
    assert proposed.proposed_on == project.proposed_on == date(2024, 2, 1)  # type: ignore[attr-defined]
    assert funded.decided_on == project.last_decided_on == date(2024, 3, 10)  # type: ignore[attr-defined]
    assert completed.completed_on == project.completed_on == date(2024, 9, 30)  # type: ignore[attr-defined]
    assert project.status is Status.COMPLETED
    assert "proposed_on" not in stored_state(ledger, project_id)


def test_a_project_stored_without_business_dates_takes_decisions_from_its_latest_date_on(
    ledger: PortfolioLedger,
) -> None:
    # Given an active project stored before business dates, funded on a day recorded 10 March
    portfolio_id = store_version_2_portfolio(ledger)
    project_id = store_version_1_project(ledger, portfolio_id, completed=False)

    # When the board pauses it a day before, then on the day
    with pytest.raises(BusinessDateOutOfOrder) as refused:
        ledger.decide(portfolio_id, project_id, DecisionKind.PAUSE, rationale="Review",
                      actor="board:chair", decided_on=date(2024, 3, 9))
    paused = ledger.decide(portfolio_id, project_id, DecisionKind.PAUSE, rationale="Review",
                           actor="board:chair", decided_on=date(2024, 3, 10))

    # Then the earlier date is refused, and the project stands paused since the later one
    assert refused.value.latest == date(2024, 3, 10)
    assert paused.status_after is Status.PAUSED
    assert ledger.project(project_id).last_decided_on == date(2024, 3, 10)


def store_version_1_snapshot(ledger: PortfolioLedger, aggregate: Portfolio | Project,
                             *dropped: str) -> None:
    """A snapshot as the code stored it before business dates: no class version, no dates."""
    stored = ledger.mapper.to_stored_event(type(aggregate).Snapshot.take(aggregate))
    state = ledger.mapper.transcoder.decode(stored.state)
    state["state"] = {
        key: value for key, value in state["state"].items()
        if key not in (*dropped, "class_version")
    }
    assert ledger.snapshots is not None
    ledger.snapshots.recorder.insert_events([StoredEvent(
        originator_id=stored.originator_id, originator_version=stored.originator_version,
        topic=stored.topic, state=ledger.mapper.transcoder.encode(state),
    )])


def test_snapshots_taken_before_business_dates_load_with_the_days_they_were_recorded(
    ledger: PortfolioLedger, store_url: str
) -> None:
    # Given version 1 snapshots of a portfolio and of a funded project
    portfolio_id = store_version_2_portfolio(ledger)
    project_id = store_version_1_project(ledger, portfolio_id, completed=False)
    store_version_1_snapshot(ledger, ledger.portfolio(portfolio_id), "opened_on")
    store_version_1_snapshot(ledger, ledger.project(project_id), "proposed_on",
                             "last_decided_on", "completed_on")

    # When another process loads them from the snapshots
    other = PortfolioLedger(store_env(store_url))
    try:
        portfolio, project = other.portfolio(portfolio_id), other.project(project_id)
    finally:
        other.close()

    # Then they stand as the events alone leave them
    assert (portfolio.version, portfolio.opened_on) == (2, date(2024, 1, 15))
    assert portfolio.allocations == {str(project_id): Decimal("100000.00")}
    assert (project.version, project.status) == (2, Status.ACTIVE)
    assert (project.proposed_on, project.last_decided_on) == (date(2024, 2, 1),
                                                              date(2024, 3, 10))
    assert project.completed_on is None


# Policies and motions: portfolios and decisions stored before them


def test_portfolios_and_decisions_stored_before_policies_read_back_with_the_defaults(
    ledger: PortfolioLedger,
) -> None:
    old = store_version_1_portfolio(ledger)
    older = store_version_2_portfolio(ledger)
    project_id = store_version_1_project(ledger, older, completed=False)

    assert ledger.portfolio(old).policy == {"approvals_required": 0, "motion_days": 30}
    assert ledger.portfolio(older).policy == {"approvals_required": 0, "motion_days": 30}
    funded = next(e for e in ledger.repository.event_store.get(older)
                  if isinstance(e, Portfolio.ProjectFunded))
    assert (funded.motion_id, funded.proposed_by, funded.approved_by) == (None, None, [])
    # Recorded at once, as before: the default policy requires no approvals.
    ledger.decide(older, project_id, DecisionKind.PAUSE, rationale="Review", actor="board:b")
    assert ledger.project(project_id).status is Status.PAUSED
