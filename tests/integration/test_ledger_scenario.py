"""The application service on real SQLite and PostgreSQL stores: scenarios, races, snapshots."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from api.settings import store_env
from domain.application import PortfolioLedger, RecordedDecision
from domain.commands import Decide, ProposeProject, ReportStatus
from domain.errors import (
    BudgetExceeded,
    BusinessDateOutOfOrder,
    ConcurrentWrite,
    DuplicateCode,
    InvalidInput,
    PortfolioNotFound,
    ProjectNotFound,
    StaleEvidence,
    TransitionNotAllowed,
)
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind, Status, status_after
from domain.portfolio import Portfolio
from domain.project import Project

FUND, PAUSE, RESUME, DISCONTINUE = (
    DecisionKind.FUND,
    DecisionKind.PAUSE,
    DecisionKind.RESUME,
    DecisionKind.DISCONTINUE,
)
BOARD = "board:chair"
MANAGER = "manager:ana"
TODAY = date(2025, 6, 30)


# Helpers


def event_types(ledger: PortfolioLedger) -> list[str]:
    """The whole log, oldest first, as event class names."""
    notifications = ledger.recorder.select_notifications(start=1, limit=10000)
    return [n.topic.rsplit(".", 1)[-1] for n in notifications]


def open_portfolio(ledger: PortfolioLedger, budget: str = "1000000.00", **terms: Any) -> UUID:
    return ledger.create_portfolio(
        name=terms.pop("name", "Digital services"), budget=Decimal(budget), actor=BOARD, **terms
    ).id


def propose(
    ledger: PortfolioLedger, portfolio_id: UUID, code: str | None = None, **more: Any
) -> UUID:
    return ledger.propose_project(
        portfolio_id=portfolio_id,
        name=more.pop("name", f"Project {code}"),
        code=code,
        requested_budget=Decimal(more.pop("requested_budget", "500000.00")),
        actor=MANAGER,
        **more,
    ).id


def decide(
    ledger: PortfolioLedger,
    portfolio_id: UUID,
    project_id: UUID,
    kind: DecisionKind,
    amount: str | None = None,
    **more: Any,
) -> RecordedDecision:
    return ledger.decide(
        portfolio_id,
        project_id,
        kind,
        amount=None if amount is None else Decimal(amount),
        rationale=more.pop("rationale", f"Board review: {kind}"),
        actor=more.pop("actor", BOARD),
        **more,
    )


def report(
    period_end: date,
    rating: Rating = Rating.GREEN,
    *,
    planned_value: str | None = None,
    earned_value: str | None = None,
    actual_cost: str | None = None,
) -> StatusReport:
    def exact(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    return StatusReport(
        period_end=period_end,
        schedule=rating,
        cost=rating,
        scope=rating,
        planned_value=exact(planned_value),
        earned_value=exact(earned_value),
        actual_cost=exact(actual_cost),
    )


def ledger_status(ledger: PortfolioLedger, project_id: UUID) -> Status:
    return ledger.project(project_id).status


@pytest.fixture
def board_ledger(store_url: str) -> Iterator[PortfolioLedger]:
    """A ledger whose calendar stands still at TODAY, on each store in turn."""
    app = PortfolioLedger(store_env(store_url), today=lambda: TODAY)
    try:
        yield app
    finally:
        app.close()


# The whole story, read back by a restarted application


def test_a_restarted_ledger_reads_back_every_portfolio_project_report_and_decision(
    ledger: PortfolioLedger, store_url: str
) -> None:
    today = ledger.today()
    # Given a portfolio with objectives and three proposed projects
    portfolio_id = open_portfolio(
        ledger,
        "5000000.00",
        name="Citizen services",
        currency="EUR",
        reporting_cadence_days=30,
        objectives=[
            {"key": "cx", "title": "Customer experience", "weight": Decimal("0.6")},
            {"key": "cost", "title": "Cost to serve", "weight": Decimal("0.4")},
        ],
    )
    portal = propose(
        ledger, portfolio_id, "CP-1", name="Citizen portal", requested_budget="1200000.00",
        sponsor="COO", manager="Ana", objectives=["cx"],
        planned_start=date(2025, 1, 6), planned_finish=date(2026, 3, 31),
    )
    billing = propose(ledger, portfolio_id, "BL-2", name="Billing", objectives=["cost"])
    archive = propose(ledger, portfolio_id, "AR-3", name="Archive")

    # When the board funds, tops up, pauses, resumes, discontinues, and one project completes
    decide(ledger, portfolio_id, portal, FUND, "800000.00")
    decide(ledger, portfolio_id, billing, FUND, "450000.50")
    decide(ledger, portfolio_id, archive, FUND, "100000.00")
    ledger.report_status(
        portal,
        report(today - timedelta(days=10), Rating.GREEN,
               planned_value="300000", earned_value="285000", actual_cost="300000"),
        actor=MANAGER,
    )
    ledger.report_status(billing, report(today - timedelta(days=9), Rating.RED), actor=MANAGER)
    decide(ledger, portfolio_id, portal, FUND, "200000.00", meeting="Board 2025-06")
    decide(ledger, portfolio_id, billing, PAUSE)
    ledger.report_status(billing, report(today - timedelta(days=2), Rating.AMBER), actor=MANAGER)
    decide(ledger, portfolio_id, billing, RESUME)
    released = decide(ledger, portfolio_id, archive, DISCONTINUE)
    ledger.complete_project(portal, "Delivered and handed over", actor=MANAGER)
    assert released.status_after is Status.DISCONTINUED

    # Then a new application on the same store reads it all back
    restarted = PortfolioLedger(store_env(store_url))
    try:
        for app in (ledger, restarted):
            portfolio = app.portfolio(portfolio_id)
            assert (portfolio.name, portfolio.currency, portfolio.reporting_cadence_days) == (
                "Citizen services", "EUR", 30,
            )
            assert portfolio.budget == Decimal("5000000.00")
            assert portfolio.objectives == [
                {"key": "cx", "title": "Customer experience", "weight": Decimal("0.6")},
                {"key": "cost", "title": "Cost to serve", "weight": Decimal("0.4")},
            ]
            assert portfolio.allocations == {
                str(portal): Decimal("1000000.00"),
                str(billing): Decimal("450000.50"),
            }
            assert portfolio.available == Decimal("3549999.50")
            assert portfolio.version == 1 + 7

            projects = {p: app.project(p) for p in (portal, billing, archive)}
            assert {p: (x.status, x.funded, x.version) for p, x in projects.items()} == {
                portal: (Status.COMPLETED, Decimal("1000000.00"), 5),
                billing: (Status.ACTIVE, Decimal("450000.50"), 6),
                archive: (Status.DISCONTINUED, Decimal("100000.00"), 3),
            }
            assert projects[portal].code == "CP-1"
            assert projects[portal].objectives == ["cx"]
            assert projects[portal].planned_finish == date(2026, 3, 31)
            assert projects[portal].report == report(
                today - timedelta(days=10), Rating.GREEN,
                planned_value="300000", earned_value="285000", actual_cost="300000",
            )
            assert projects[billing].report == report(today - timedelta(days=2), Rating.AMBER)
            assert projects[archive].report is None
            health = projects[portal].health(30, today)
            assert (health.overall, health.cpi, health.spi) == (
                Rating.GREEN, Decimal("0.9500"), Decimal("0.9500"),
            )

        assert event_types(restarted) == event_types(ledger) == [
            "PortfolioCreated",
            "ProjectProposed", "ProjectProposed", "ProjectProposed",
            "ProjectFunded", "DecisionApplied",
            "ProjectFunded", "DecisionApplied",
            "ProjectFunded", "DecisionApplied",
            "StatusReported", "StatusReported",
            "ProjectFunded", "DecisionApplied",
            "ProjectPaused", "DecisionApplied",
            "StatusReported",
            "ProjectResumed", "DecisionApplied",
            "ProjectDiscontinued", "DecisionApplied",
            "ProjectCompleted",
        ]
    finally:
        restarted.close()


def test_a_project_and_a_portfolio_read_at_an_earlier_version_are_as_they_were(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(ledger, "1000.00")
    project_id = propose(ledger, portfolio_id, "P-1")
    decide(ledger, portfolio_id, project_id, FUND, "600.00")
    ledger.report_status(project_id, report(ledger.today(), Rating.RED), actor=MANAGER)
    decide(ledger, portfolio_id, project_id, PAUSE)
    decide(ledger, portfolio_id, project_id, DISCONTINUE)

    proposed, funded, reported, paused = (
        ledger.project(project_id, version=v) for v in (1, 2, 3, 4)
    )
    assert [p.status for p in (proposed, funded, reported, paused)] == [
        Status.PROPOSED, Status.ACTIVE, Status.ACTIVE, Status.PAUSED,
    ]
    assert (proposed.funded, funded.funded) == (Decimal("0.00"), Decimal("600.00"))
    assert (funded.report, reported.report is not None) == (None, True)
    assert [ledger.portfolio(portfolio_id, version=v).available for v in (1, 2, 3, 4)] == [
        Decimal("1000.00"), Decimal("400.00"), Decimal("400.00"), Decimal("1000.00"),
    ]
    assert ledger.project(project_id).status is Status.DISCONTINUED


def test_reading_a_version_the_project_never_reached_is_not_found(ledger: PortfolioLedger) -> None:
    portfolio_id = open_portfolio(ledger)
    project_id = propose(ledger, portfolio_id, "P-1")

    with pytest.raises(ProjectNotFound):
        ledger.project(project_id, version=2)


def test_unknown_ids_and_ids_of_the_wrong_kind_are_not_found(ledger: PortfolioLedger) -> None:
    portfolio_id = open_portfolio(ledger)
    project_id = propose(ledger, portfolio_id, "P-1")

    with pytest.raises(PortfolioNotFound):
        ledger.portfolio(uuid4())
    with pytest.raises(ProjectNotFound):
        ledger.project(uuid4())
    with pytest.raises(PortfolioNotFound):
        ledger.portfolio(project_id)
    with pytest.raises(ProjectNotFound):
        ledger.project(portfolio_id)
    with pytest.raises(PortfolioNotFound):
        propose(ledger, uuid4(), "P-2")
    with pytest.raises(ProjectNotFound):
        decide(ledger, portfolio_id, uuid4(), FUND, "1.00")
    with pytest.raises(PortfolioNotFound):
        decide(ledger, uuid4(), project_id, FUND, "1.00")
    assert ledger.portfolio(portfolio_id).version == 1


# Two writers at once


class RacingLedger(PortfolioLedger):
    """A ledger whose first save waits for its rival, so both have loaded before either saves."""

    # The library names a subclass's PostgreSQL tables after the subclass unless told otherwise.
    name = PortfolioLedger.name

    def __init__(self, env: dict[str, str], barrier: threading.Barrier) -> None:
        super().__init__(env)
        self.barrier = barrier
        self.saves = 0

    def _save(self, *aggregates: Aggregate) -> Any:
        self.saves += 1
        if self.saves == 1:
            self.barrier.wait(timeout=20)
        return super()._save(*aggregates)


def race(
    store_url: str, *commands: Callable[[PortfolioLedger], RecordedDecision]
) -> tuple[list[RecordedDecision | Exception], int]:
    """Run each command on its own application and thread; their outcomes and the saves tried."""
    barrier = threading.Barrier(len(commands))
    apps = [RacingLedger(store_env(store_url), barrier) for _ in commands]

    def attempt(
        app: PortfolioLedger, command: Callable[[PortfolioLedger], RecordedDecision]
    ) -> Any:
        try:
            return command(app)
        except Exception as error:  # the outcome under test, inspected by the caller
            return error

    try:
        with ThreadPoolExecutor(max_workers=len(commands)) as pool:
            outcomes = list(pool.map(attempt, apps, commands))
        return outcomes, sum(app.saves for app in apps)
    finally:
        for app in apps:
            app.close()


def test_two_boards_pausing_the_same_project_at_once_record_exactly_one_decision(
    ledger: PortfolioLedger, store_url: str
) -> None:
    portfolio_id = open_portfolio(ledger)
    project_id = propose(ledger, portfolio_id, "P-1")
    decide(ledger, portfolio_id, project_id, FUND, "1000.00")
    log_before = event_types(ledger)

    def pause(by: str) -> Callable[[PortfolioLedger], RecordedDecision]:
        return lambda app: decide(app, portfolio_id, project_id, PAUSE, actor=by)

    outcomes, _ = race(store_url, pause("board:one"), pause("board:two"))

    won = [o for o in outcomes if isinstance(o, RecordedDecision)]
    lost = [o for o in outcomes if not isinstance(o, RecordedDecision)]
    assert len(won) == 1, outcomes
    assert len(lost) == 1 and isinstance(lost[0], ConcurrentWrite | TransitionNotAllowed), outcomes
    log_after = event_types(ledger)
    assert log_after[: len(log_before)] == log_before
    assert Counter(log_after[len(log_before):]) == {"ProjectPaused": 1, "DecisionApplied": 1}
    project = ledger.project(project_id)
    assert (project.status, project.version) == (Status.PAUSED, 3)
    assert ledger.portfolio(portfolio_id).version == 3
    assert ledger.portfolio(portfolio_id).allocated == Decimal("1000.00")


def test_funding_two_projects_of_one_portfolio_at_once_records_both(
    ledger: PortfolioLedger, store_url: str
) -> None:
    portfolio_id = open_portfolio(ledger, "1000.00")
    first, second = propose(ledger, portfolio_id, "A"), propose(ledger, portfolio_id, "B")

    outcomes, saves = race(
        store_url,
        lambda app: decide(app, portfolio_id, first, FUND, "300.00"),
        lambda app: decide(app, portfolio_id, second, FUND, "450.25"),
    )

    assert all(isinstance(o, RecordedDecision) for o in outcomes), outcomes
    assert saves == 3  # the race on the portfolio was lost once and retried once
    portfolio = ledger.portfolio(portfolio_id)
    assert portfolio.allocations == {str(first): Decimal("300.00"), str(second): Decimal("450.25")}
    assert portfolio.available == Decimal("249.75")
    assert portfolio.version == 3
    assert ledger.project(first).funded == Decimal("300.00")
    assert ledger.project(second).funded == Decimal("450.25")
    assert Counter(event_types(ledger))["ProjectFunded"] == 2


def test_funding_two_projects_at_once_never_exceeds_the_envelope_together(
    ledger: PortfolioLedger, store_url: str
) -> None:
    portfolio_id = open_portfolio(ledger, "1000.00")
    first, second = propose(ledger, portfolio_id, "A"), propose(ledger, portfolio_id, "B")

    outcomes, _ = race(
        store_url,
        lambda app: decide(app, portfolio_id, first, FUND, "600.00"),
        lambda app: decide(app, portfolio_id, second, FUND, "600.00"),
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["BudgetExceeded", "RecordedDecision"]
    [refused] = [o for o in outcomes if isinstance(o, BudgetExceeded)]
    assert refused.available == Decimal("400.00")
    portfolio = ledger.portfolio(portfolio_id)
    assert portfolio.allocated == Decimal("600.00")
    assert Counter(event_types(ledger))["ProjectFunded"] == 1


# If-Match: the board decides on the evidence it saw


def test_a_decision_on_stale_evidence_is_refused_and_records_nothing(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(ledger)
    project_id = propose(ledger, portfolio_id, "P-1")
    seen = decide(ledger, portfolio_id, project_id, FUND, "100.00")
    ledger.report_status(project_id, report(ledger.today(), Rating.RED), actor=MANAGER)
    log = event_types(ledger)

    with pytest.raises(StaleEvidence) as stale:
        decide(ledger, portfolio_id, project_id, PAUSE, expected_version=2)

    assert (stale.value.expected, stale.value.actual) == (2, 3)
    assert seen.evidence["project_version"] == 1
    assert event_types(ledger) == log
    assert ledger.project(project_id).status is Status.ACTIVE


def test_a_decision_on_the_current_evidence_is_recorded(ledger: PortfolioLedger) -> None:
    portfolio_id = open_portfolio(ledger)
    project_id = propose(ledger, portfolio_id, "P-1")
    decide(ledger, portfolio_id, project_id, FUND, "100.00")

    recorded = decide(ledger, portfolio_id, project_id, PAUSE, expected_version=2)

    assert recorded.status_after is Status.PAUSED
    assert recorded.evidence["project_version"] == 2
    assert ledger.project(project_id).version == 3


def test_a_stale_expected_version_also_guards_status_reports_and_completion(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(ledger)
    project_id = propose(ledger, portfolio_id, "P-1")
    decide(ledger, portfolio_id, project_id, FUND, "100.00")

    with pytest.raises(StaleEvidence):
        ledger.report_status(project_id, report(ledger.today()), actor=MANAGER, expected_version=1)
    with pytest.raises(StaleEvidence):
        ledger.complete_project(project_id, "Done", actor=MANAGER, expected_version=1)
    assert ledger.project(project_id).version == 2


# Project codes


def test_a_second_project_with_the_same_code_in_a_portfolio_is_a_duplicate(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(ledger)
    first = propose(ledger, portfolio_id, "CM-1", name="Case management")

    with pytest.raises(DuplicateCode) as duplicate:
        propose(ledger, portfolio_id, "CM-1", name="Another case management")

    assert duplicate.value.code == "CM-1"
    assert ledger.project(first).name == "Case management"
    assert event_types(ledger).count("ProjectProposed") == 1


def test_the_same_code_in_another_portfolio_is_a_different_project(
    ledger: PortfolioLedger,
) -> None:
    here, there = open_portfolio(ledger, name="Here"), open_portfolio(ledger, name="There")

    first = propose(ledger, here, "CM-1")
    second = propose(ledger, there, "CM-1")

    assert first != second
    assert ledger.project(first).portfolio_id == here
    assert ledger.project(second).portfolio_id == there


def test_projects_without_a_code_never_collide(ledger: PortfolioLedger) -> None:
    portfolio_id = open_portfolio(ledger)

    ids = {propose(ledger, portfolio_id, None, name="Unnamed") for _ in range(3)}

    assert len(ids) == 3


# Evidence: what the board knew


def test_a_decision_stores_the_project_version_and_health_the_board_decided_on(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(ledger)
    project_id = propose(ledger, portfolio_id, "P-1")
    decide(ledger, portfolio_id, project_id, FUND, "100.00")
    ledger.report_status(
        project_id,
        report(ledger.today() - timedelta(days=3), Rating.RED,
               planned_value="1000", earned_value="700", actual_cost="1000"),
        actor=MANAGER,
    )
    version_before = ledger.project(project_id).version

    recorded = decide(ledger, portfolio_id, project_id, PAUSE)

    assert recorded.evidence["project_version"] == version_before == 3
    assert recorded.evidence["status"] == "active"
    assert recorded.evidence["health"]["overall"] == "red"
    [stored] = [
        e for e in ledger.events.get(portfolio_id) if isinstance(e, Portfolio.ProjectPaused)
    ]
    assert stored.evidence["project_version"] == version_before
    assert stored.evidence["health"]["overall"] == "red"
    assert stored.evidence["health"]["cpi"] == Decimal("0.7000")
    assert stored.evidence["health"]["period_end"] == ledger.today() - timedelta(days=3)
    assert (stored.status_before, stored.status_after) == ("active", "paused")
    assert stored.decision_id == recorded.id
    assert (stored.actor, stored.rationale) == (BOARD, "Board review: pause")


def test_a_decision_before_any_report_stores_unknown_health(ledger: PortfolioLedger) -> None:
    portfolio_id = open_portfolio(ledger)
    project_id = propose(ledger, portfolio_id, "P-1")

    recorded = decide(ledger, portfolio_id, project_id, FUND, "100.00")

    assert recorded.evidence["health"]["overall"] == "unknown"
    assert recorded.evidence["project_version"] == 1


# Command validation through the application service


def test_a_decision_is_recorded_with_who_when_why_and_where_it_lands(
    board_ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(board_ledger)
    project_id = propose(board_ledger, portfolio_id, "P-1")

    recorded = decide(
        board_ledger, portfolio_id, project_id, FUND, "250000",
        rationale="  Strong business case  ", meeting="  Board 2025-06  ",
    )

    assert recorded.amount == Decimal("250000.00")
    assert (recorded.rationale, recorded.meeting) == ("Strong business case", "Board 2025-06")
    assert (recorded.decided_by, recorded.decided_on) == (BOARD, TODAY)
    assert (recorded.status_before, recorded.status_after) == (Status.PROPOSED, Status.ACTIVE)
    assert recorded.recorded_at.tzinfo is not None
    [landed] = board_ledger.recorder.select_notifications(start=recorded.position, limit=1)
    assert landed.originator_id == portfolio_id
    assert landed.topic.endswith("Portfolio.ProjectFunded")


@pytest.mark.parametrize("rationale", ["", "   ", "\n\t "], ids=["empty", "spaces", "whitespace"])
def test_a_decision_without_a_rationale_is_invalid_and_records_nothing(
    board_ledger: PortfolioLedger, rationale: str
) -> None:
    portfolio_id = open_portfolio(board_ledger)
    project_id = propose(board_ledger, portfolio_id, "P-1")
    log = event_types(board_ledger)

    with pytest.raises(InvalidInput) as invalid:
        decide(board_ledger, portfolio_id, project_id, FUND, "10.00", rationale=rationale)

    assert invalid.value.field == "rationale"
    assert event_types(board_ledger) == log


BAD_AMOUNTS = [
    pytest.param(FUND, None, id="fund-without-an-amount"),
    pytest.param(FUND, Decimal("0"), id="fund-of-zero"),
    pytest.param(FUND, Decimal("-5.00"), id="fund-of-a-negative-amount"),
    pytest.param(FUND, Decimal("10.005"), id="fund-with-three-decimal-places"),
    pytest.param(FUND, 10.5, id="fund-with-a-float"),
    pytest.param(PAUSE, Decimal("10.00"), id="pause-with-an-amount"),
    pytest.param(DISCONTINUE, Decimal("10.00"), id="discontinue-with-an-amount"),
]


@pytest.mark.parametrize(("kind", "amount"), BAD_AMOUNTS)
def test_an_amount_is_required_positive_and_in_cents_for_fund_and_forbidden_otherwise(
    board_ledger: PortfolioLedger, kind: DecisionKind, amount: Any
) -> None:
    portfolio_id = open_portfolio(board_ledger)
    project_id = propose(board_ledger, portfolio_id, "P-1")
    decide(board_ledger, portfolio_id, project_id, FUND, "100.00")
    log = event_types(board_ledger)

    with pytest.raises(InvalidInput) as invalid:
        board_ledger.decide(
            portfolio_id, project_id, kind, amount=amount, rationale="Review", actor=BOARD
        )

    assert invalid.value.field == "amount"
    assert event_types(board_ledger) == log


def test_a_decision_dated_in_the_future_is_invalid(board_ledger: PortfolioLedger) -> None:
    portfolio_id = open_portfolio(board_ledger)
    project_id = propose(board_ledger, portfolio_id, "P-1")

    with pytest.raises(InvalidInput) as invalid:
        decide(board_ledger, portfolio_id, project_id, FUND, "10.00",
               decided_on=TODAY + timedelta(days=1))

    assert invalid.value.field == "decided_on"
    assert ledger_status(board_ledger, project_id) is Status.PROPOSED


def test_a_decision_may_be_dated_today_or_in_the_past_and_defaults_to_today(
    board_ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(board_ledger)
    project_id = propose(board_ledger, portfolio_id, "P-1", proposed_on=date(2024, 12, 1))

    funded = decide(board_ledger, portfolio_id, project_id, FUND, "10.00",
                    decided_on=date(2024, 12, 31))
    paused = decide(board_ledger, portfolio_id, project_id, PAUSE, decided_on=TODAY)
    resumed = decide(board_ledger, portfolio_id, project_id, RESUME)

    assert [d.decided_on for d in (funded, paused, resumed)] == [date(2024, 12, 31), TODAY, TODAY]
    stored = [e for e in board_ledger.events.get(portfolio_id) if isinstance(e, Portfolio.Decision)]
    assert [e.decided_on for e in stored] == [date(2024, 12, 31), TODAY, TODAY]
    assert all(type(e.decided_on) is date for e in stored)


def test_a_decision_dated_before_the_projects_latest_decision_records_nothing(
    board_ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(board_ledger)
    project_id = propose(board_ledger, portfolio_id, "P-1", proposed_on=date(2024, 12, 1))
    decide(board_ledger, portfolio_id, project_id, FUND, "10.00", decided_on=date(2025, 3, 31))
    head = board_ledger.recorder.max_notification_id()

    with pytest.raises(BusinessDateOutOfOrder) as refused:
        decide(board_ledger, portfolio_id, project_id, PAUSE, decided_on=date(2025, 3, 30))

    assert refused.value.latest == date(2025, 3, 31)
    assert board_ledger.recorder.max_notification_id() == head
    assert ledger_status(board_ledger, project_id) is Status.ACTIVE


def test_funding_beyond_the_envelope_through_the_service_records_nothing(
    board_ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(board_ledger, "1000.00")
    project_id = propose(board_ledger, portfolio_id, "P-1")
    decide(board_ledger, portfolio_id, project_id, FUND, "999.99")
    log = event_types(board_ledger)

    with pytest.raises(BudgetExceeded) as refused:
        decide(board_ledger, portfolio_id, project_id, FUND, "0.02")

    assert refused.value.available == Decimal("0.01")
    assert event_types(board_ledger) == log
    assert board_ledger.project(project_id).funded == Decimal("999.99")
    decide(board_ledger, portfolio_id, project_id, FUND, "0.01")
    assert board_ledger.portfolio(portfolio_id).available == Decimal("0.00")


def test_a_refused_transition_through_the_service_records_nothing(
    board_ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(board_ledger)
    project_id = propose(board_ledger, portfolio_id, "P-1")
    decide(board_ledger, portfolio_id, project_id, DISCONTINUE)
    log = event_types(board_ledger)

    with pytest.raises(TransitionNotAllowed) as refused:
        decide(board_ledger, portfolio_id, project_id, PAUSE)

    assert (refused.value.status, refused.value.allowed) == ("discontinued", [])
    assert event_types(board_ledger) == log


def test_deciding_on_a_project_of_another_portfolio_is_invalid(
    board_ledger: PortfolioLedger,
) -> None:
    here = open_portfolio(board_ledger, name="Here")
    there = open_portfolio(board_ledger, name="There")
    project_id = propose(board_ledger, there, "P-1")

    with pytest.raises(InvalidInput) as invalid:
        decide(board_ledger, here, project_id, FUND, "10.00")

    assert invalid.value.field == "project_id"
    assert board_ledger.portfolio(here).allocations == {}


def test_status_reports_are_refused_for_projects_not_in_delivery_and_future_periods(
    board_ledger: PortfolioLedger,
) -> None:
    portfolio_id = open_portfolio(board_ledger)
    project_id = propose(board_ledger, portfolio_id, "P-1")

    with pytest.raises(TransitionNotAllowed):
        board_ledger.report_status(project_id, report(TODAY), actor=MANAGER)
    decide(board_ledger, portfolio_id, project_id, FUND, "10.00")
    with pytest.raises(InvalidInput) as invalid:
        board_ledger.report_status(project_id, report(TODAY + timedelta(days=1)), actor=MANAGER)
    assert invalid.value.field == "period_end"
    board_ledger.report_status(project_id, report(TODAY), actor=MANAGER)
    assert board_ledger.project(project_id).version == 3


# Money after a round trip through the store


def test_money_read_back_from_the_store_is_exact_decimal(ledger: PortfolioLedger) -> None:
    portfolio_id = open_portfolio(ledger, "0.30")
    project_id = propose(ledger, portfolio_id, "P-1", requested_budget="0.30")
    decide(ledger, portfolio_id, project_id, FUND, "0.10")
    decide(ledger, portfolio_id, project_id, FUND, "0.20")

    portfolio, project = ledger.portfolio(portfolio_id), ledger.project(project_id)

    assert portfolio.allocated == Decimal("0.30") and portfolio.available == Decimal("0.00")
    assert type(portfolio.budget) is Decimal and str(portfolio.budget) == "0.30"
    assert project.funded == Decimal("0.30") and type(project.funded) is Decimal
    assert [e.amount for e in ledger.events.get(portfolio_id) if hasattr(e, "amount")] == [
        Decimal("0.10"), Decimal("0.20"),
    ]
    funded = [
        n for n in ledger.recorder.select_notifications(start=1, limit=10000)
        if n.topic.endswith("Portfolio.ProjectFunded")
    ]
    assert [b'{"_type_":"decimal_str","_data_":"0.10"}' in n.state for n in funded] == [True, False]
    assert [b'{"_type_":"decimal_str","_data_":"0.20"}' in n.state for n in funded] == [False, True]


# Snapshots keep a long-lived portfolio fast

DECISIONS = 1000
LONG_LIVED = 4


def test_a_portfolio_with_a_thousand_decisions_loads_from_a_recent_snapshot(
    ledger: PortfolioLedger,
) -> None:
    # Given a portfolio, a few long-lived projects that are topped up, paused and resumed,
    # and a stream of short-lived projects that are funded and then discontinued, recorded
    # by one batch in one write
    portfolio_id = open_portfolio(ledger, "100000000.00")
    batch = ledger.batch(hold_projects=10_000)
    status: dict[UUID, Status] = {}
    decisions = 0

    def propose_in_bulk(code: str, name: str, requested: str) -> UUID:
        batch.apply([ProposeProject(portfolio_id=portfolio_id, name=name, code=code,
                                    requested_budget=Decimal(requested), actor=MANAGER)])
        return Project.create_id(portfolio_id, code)

    def decide_in_bulk(project_id: UUID, kind: DecisionKind, amount: Decimal | None) -> None:
        nonlocal decisions
        batch.apply([Decide(portfolio_id, project_id, kind, f"Bulk review: {kind}", BOARD,
                            amount=amount)])
        status[project_id] = status_after(kind, status.get(project_id, Status.PROPOSED))
        decisions += 1

    long_lived = [propose_in_bulk(f"L-{i}", f"Programme {i}", "1000000.00")
                  for i in range(LONG_LIVED)]
    for number, project_id in enumerate(long_lived):
        decide_in_bulk(project_id, FUND, Decimal("1000.00"))
        batch.apply([ReportStatus(project_id, report(
            TODAY - timedelta(days=number), Rating.AMBER,
            planned_value="1000.00", earned_value="850.00", actual_cost="900.00"), MANAGER)])
    short_lived: list[UUID] = []
    expected = {str(p): Decimal("1000.00") for p in long_lived}
    cycle = [PAUSE, RESUME, FUND]
    turn = long_turn = 0
    while decisions < DECISIONS:
        if turn % 4 == 3:
            project_id = propose_in_bulk(f"S-{turn}", f"Pilot {turn}", "50.00")
            short_lived.append(project_id)
            decide_in_bulk(project_id, FUND, Decimal("50.00"))
            if decisions < DECISIONS:
                decide_in_bulk(project_id, DISCONTINUE, None)
        else:
            project_id = long_lived[long_turn % LONG_LIVED]
            kind = cycle[(long_turn // LONG_LIVED) % len(cycle)]
            amount = Decimal("0.01") if kind is FUND else None
            decide_in_bulk(project_id, kind, amount)
            if amount:
                expected[str(project_id)] += amount
            long_turn += 1
        turn += 1
    for project_id in short_lived:
        if status[project_id] is not Status.DISCONTINUED:
            expected[str(project_id)] = Decimal("50.00")
    batch.write()
    allocated_in_bulk = dict(expected)

    # When the application loads it, and the board takes one more decision through the service
    loaded = ledger.portfolio(portfolio_id)
    extra = propose(ledger, portfolio_id, "EXTRA")
    decide(ledger, portfolio_id, extra, FUND, "1.00")
    expected[str(extra)] = Decimal("1.00")

    # Then the portfolio is whole, and snapshots every few versions cut the replay short
    assert loaded.version == 1 + DECISIONS
    assert loaded.allocations == allocated_in_bulk
    assert ledger.portfolio(portfolio_id).allocations == expected
    assert ledger.portfolio(portfolio_id).version == 2 + DECISIONS
    assert ledger.snapshots is not None
    # (one bulk save that passed snapshot versions snapshots the portfolio as it saved it)
    stored = ledger.snapshots.recorder.select_events(portfolio_id)
    interval = ledger.snapshotting_intervals[Portfolio]
    assert [s.originator_version for s in stored] == [1 + DECISIONS]
    [latest] = ledger.snapshots.get(portfolio_id, desc=True, limit=1)
    replayed_after_snapshot = list(ledger.events.get(portfolio_id, gt=latest.originator_version))
    assert len(replayed_after_snapshot) <= interval
    assert [e.originator_version for e in replayed_after_snapshot] == [2 + DECISIONS]

    # And the state from the snapshot equals a full replay of every event
    full_replay: Aggregate | None = None
    for event in ledger.events.get(portfolio_id):
        assert isinstance(event, Aggregate.Event)
        full_replay = event.mutate(full_replay)
    assert isinstance(full_replay, Portfolio)
    assert full_replay.allocations == ledger.portfolio(portfolio_id).allocations
    assert full_replay.version == ledger.portfolio(portfolio_id).version

    # Long-lived projects are snapshotted too, and read back the same
    for number, project_id in enumerate(long_lived):
        assert ledger.snapshots.recorder.select_events(project_id)
        read_back = ledger.project(project_id)
        assert read_back.version > 100
        assert read_back.status is status[project_id]
        assert read_back.funded == expected[str(project_id)]
        assert read_back.report is not None
        assert read_back.report.period_end == TODAY - timedelta(days=number)
