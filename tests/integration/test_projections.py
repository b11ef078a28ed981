"""Each view holds exactly the rows the commands call for; reads page, filter and keep up."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from projection_support import BOARD, DEPUTY, MANAGER, head, service_on

from api.settings import store_env
from domain.application import PortfolioLedger
from domain.errors import BudgetExceeded, TransitionNotAllowed
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind
from projections.models import DecisionAt
from projections.service import LedgerService

GREEN, AMBER, RED = Rating.GREEN, Rating.AMBER, Rating.RED
Step = tuple[Any, ...]


def status_report(service: LedgerService, schedule: Rating = GREEN, cost: Rating = GREEN,
                  scope: Rating = GREEN, *, later: int = 0, **figures: str) -> StatusReport:
    """A report for the period that ended ten days ago (`later` days after, for a next one)."""
    return StatusReport(
        period_end=service.app.today() - timedelta(days=10 - later), schedule=schedule, cost=cost,
        scope=scope, **{name: Decimal(value) for name, value in figures.items()},
    )


class Board:
    """A portfolio with projects A and B, and the board's commands on them, by letter."""

    def __init__(self, service: LedgerService, budget: str = "1000.00") -> None:
        self.service = service
        self.portfolio_id = service.create_portfolio(
            name="Digital", budget=Decimal(budget), actor=BOARD).id
        self.projects = {
            letter: service.propose_project(
                portfolio_id=self.portfolio_id, name=f"Project {letter}", code=letter,
                requested_budget=Decimal("900.00"), actor=MANAGER).id
            for letter in "AB"
        }
        self.reports = 0

    def run(self, steps: list[Step]) -> None:
        for step in steps:
            self.do(*step)

    def do(self, command: str, letter: str, *more: Any) -> None:
        project_id = self.projects[letter]
        if command == "report":  # each report a period after the one before
            self.reports += 1
            self.service.report_status(project_id, status_report(self.service, *more[:3],
                                                                 later=self.reports,
                                                                 **dict(more[3:])),
                                       actor=MANAGER)
        elif command == "complete":
            self.service.complete_project(project_id, "delivered", actor=MANAGER)
        elif command.startswith("refused "):
            with pytest.raises((TransitionNotAllowed, BudgetExceeded)):
                self.do(command.removeprefix("refused "), letter, *more)
        else:
            self.service.decide(
                self.portfolio_id, project_id, DecisionKind(command), actor=BOARD,
                rationale=f"{command} {letter}", amount=Decimal(more[0]) if more else None)


# Project health


HEALTH = [
    ("a-proposal", [], [(1, "proposed", "0.00", "unknown", None, None)]),
    ("funding-a-top-up-and-a-green-report",
        [("fund", "A", "300.00"), ("fund", "A", "200.50"), ("report", "A")],
        [(1, "proposed", "0.00", "unknown", None, None),
         (2, "active", "300.00", "unknown", None, None),
         (3, "active", "500.50", "unknown", None, None),
         (4, "active", "500.50", "green", None, None)]),
    ("the-worst-rating-then-an-index-below-0.8",
        [("fund", "A", "100.00"), ("report", "A", GREEN, AMBER, GREEN),
         ("report", "A", GREEN, GREEN, GREEN,
          ("planned_value", "1000"), ("earned_value", "750"), ("actual_cost", "800"))],
        [(1, "proposed", "0.00", "unknown", None, None),
         (2, "active", "100.00", "unknown", None, None),
         (3, "active", "100.00", "amber", None, None),
         (4, "active", "100.00", "red", "0.9375", "0.7500")]),
    ("pause-resume-complete-keep-the-last-report",
        [("fund", "A", "100.00"), ("report", "A", RED), ("pause", "A"), ("resume", "A"),
         ("complete", "A")],
        [(1, "proposed", "0.00", "unknown", None, None),
         (2, "active", "100.00", "unknown", None, None),
         (3, "active", "100.00", "red", None, None),
         (4, "paused", "100.00", "red", None, None),
         (5, "active", "100.00", "red", None, None),
         (6, "completed", "100.00", "red", None, None)]),
    ("refusals-record-nothing",
        [("fund", "A", "100.00"), ("refused resume", "A"), ("discontinue", "A"),
         ("refused fund", "A", "1.00"), ("refused report", "A")],
        [(1, "proposed", "0.00", "unknown", None, None),
         (2, "active", "100.00", "unknown", None, None),
         (3, "discontinued", "100.00", "unknown", None, None)]),
]


def test_health_history_holds_one_row_per_project_event(service: LedgerService) -> None:
    for case, steps, rows in HEALTH:
        board = Board(service)
        board.run(steps)
        history = service.database.read(
            "SELECT version, status, funded, overall, cpi, spi, valid_from FROM health_history"
            " WHERE project_id = ? ORDER BY valid_from", (str(board.projects["A"]),))
        assert [tuple(row.values())[:-1] for row in history] == rows, case
        positions = [row["valid_from"] for row in history]
        assert positions == sorted(set(positions)), case


# Portfolio composition


COMPOSITION = [
    ("funding-and-a-top-up",
        [("fund", "A", "300.00"), ("fund", "B", "250.25"), ("fund", "A", "100.00")],
        ["0.00", "300.00", "550.25", "650.25"],
        {"active": (2, "650.25")}, {"unknown": 2}),
    ("discontinuing-releases-the-funding",
        [("fund", "A", "300.00"), ("fund", "B", "200.00"), ("report", "B", AMBER),
         ("discontinue", "A")],
        ["0.00", "300.00", "500.00", "200.00"],
        {"active": (1, "200.00"), "discontinued": (1, "300.00")}, {"amber": 1}),
    ("pausing-and-resuming-keep-the-allocation",
        [("fund", "A", "300.00"), ("pause", "A"), ("report", "A", RED), ("resume", "A"),
         ("pause", "A")],
        ["0.00", "300.00", "300.00", "300.00", "300.00"],
        {"paused": (1, "300.00"), "proposed": (1, "0.00")}, {"red": 1}),
    ("the-envelope-refuses-a-cent-too-many",
        [("fund", "A", "900.00"), ("refused fund", "B", "100.01"), ("fund", "B", "100.00"),
         ("complete", "A")],
        ["0.00", "900.00", "1000.00"],
        {"active": (1, "100.00"), "completed": (1, "900.00")}, {"unknown": 1}),
    ("a-proposal-discontinued-releases-nothing",
        [("discontinue", "B")], ["0.00", "0.00"],
        {"proposed": (1, "0.00"), "discontinued": (1, "0.00")}, {}),
]


def test_composition_tracks_the_allocation_after_every_decision(service: LedgerService) -> None:
    for case, steps, allocated, by_status, by_health in COMPOSITION:
        board = Board(service)
        board.run(steps)
        history = service.database.read(
            "SELECT allocated FROM composition_portfolios WHERE portfolio_id = ?"
            " ORDER BY valid_from", (str(board.portfolio_id),))
        assert [row["allocated"] for row in history] == allocated, case

        composition = service.composition(board.portfolio_id)
        assert composition.allocated + composition.available == composition.budget
        assert composition.allocated == Decimal(allocated[-1]), case
        assert {status: (bucket.count, bucket.funded)
                for status, bucket in composition.by_status.items() if bucket.count} == {
            status: (count, Decimal(funded)) for status, (count, funded) in by_status.items()
        }, case
        assert {band: n for band, n in composition.by_health.items() if n} == by_health, case


# The decision log


DECISIONS = [
    ("funding-a-proposal",
        [("fund", "A", "300.00")],
        [("fund", "300.00", None, "proposed", "active", 1, "proposed", "unknown")]),
    ("every-kind-with-the-evidence-the-board-had",
        [("fund", "A", "300.00"), ("report", "A", RED), ("pause", "A"), ("resume", "A"),
         ("fund", "A", "50.00"), ("discontinue", "A")],
        [("fund", "300.00", None, "proposed", "active", 1, "proposed", "unknown"),
         ("pause", None, None, "active", "paused", 3, "active", "red"),
         ("resume", None, None, "paused", "active", 4, "paused", "red"),
         ("fund", "50.00", None, "active", "active", 5, "active", "red"),
         ("discontinue", None, "350.00", "active", "discontinued", 6, "active", "red")]),
    ("refusals-are-not-decisions",
        [("fund", "A", "300.00"), ("pause", "A"), ("refused pause", "A"),
         ("refused fund", "A", "10.00"), ("refused fund", "B", "700.01"),
         ("refused complete", "B")],
        [("fund", "300.00", None, "proposed", "active", 1, "proposed", "unknown"),
         ("pause", None, None, "active", "paused", 2, "active", "unknown")]),
]


def evidence_seen(row: dict[str, Any]) -> tuple[Any, ...]:
    evidence = json.loads(row["evidence"])
    return evidence["project_version"], evidence["status"], evidence["health"]["overall"]


def test_the_decision_log_records_each_decision_with_its_evidence(
    service: LedgerService,
) -> None:
    for case, steps, rows in DECISIONS:
        board = Board(service)
        board.run(steps)
        logged = service.database.read(
            "SELECT * FROM decisions WHERE portfolio_id = ? ORDER BY position",
            (str(board.portfolio_id),))
        assert [
            (row["kind"], row["amount"], row["released"], row["status_before"],
             row["status_after"], *evidence_seen(row))
            for row in logged
        ] == rows, case
        for row in logged:
            assert (row["project_code"], row["project_name"]) == ("A", "Project A")
            assert row["decided_by"] == BOARD and row["rationale"] == f"{row['kind']} A"
            assert row["project_id"] == str(board.projects["A"])
            assert row["decided_on"] == service.app.today().isoformat()


# Read your writes, and lag


def test_every_command_answers_from_views_that_already_include_it(
    service: LedgerService, store_url: str
) -> None:
    portfolio = service.create_portfolio(name="Digital", budget=Decimal("1000.00"), actor=BOARD)
    assert service.portfolio(portfolio.id).version == 1
    project = service.propose_project(portfolio_id=portfolio.id, name="Portal",
                                      requested_budget=Decimal("500.00"), actor=MANAGER)
    assert project.status == "proposed"
    project_id = project.id

    decision = service.decide(portfolio.id, project_id, DecisionKind.FUND, actor=BOARD,
                              amount=Decimal("400.00"), rationale="approved")
    assert decision.status_after == "active"
    assert service.project(project_id).funded == Decimal("400.00")
    assert service.composition(portfolio.id).available == Decimal("600.00")

    health = service.report_status(project_id, status_report(service, AMBER), actor=MANAGER)
    assert health.overall == "amber"
    assert service.complete_project(project_id, "done", actor=MANAGER).status == "completed"

    # ... and another process on the same database reads the same at once
    with service_on(store_url) as other:
        assert other.project(project_id).status == "completed"
        assert other.decision_log().items[0].id == decision.id
    assert service.lag() == dict.fromkeys(service.projector.views, 0)


def test_lag_counts_the_events_the_views_have_not_seen(
    service: LedgerService, store_url: str
) -> None:
    Board(service)
    assert service.lag() == dict.fromkeys(service.projector.views, 0)
    # When another process records events without projecting them
    other = PortfolioLedger(store_env(store_url))
    try:
        before = head(other)
        portfolio_id = other.create_portfolio(name="Estates", budget=Decimal("10.00"),
                                              actor=BOARD).id
        project_id = other.propose_project(portfolio_id=portfolio_id, name="Roof",
                                           requested_budget=Decimal("5.00"), actor=MANAGER).id
        other.decide(portfolio_id, project_id, DecisionKind.FUND, amount=Decimal("5.00"),
                     rationale="leaks", actor=BOARD)
        new = head(other) - before
    finally:
        other.close()
    # Then every view is behind by exactly those events, until it catches up
    assert new == 4
    assert service.lag() == dict.fromkeys(service.projector.views, new)
    service.catch_up()
    assert service.lag() == dict.fromkeys(service.projector.views, 0)


# Paging and filters


@pytest.fixture
def decided(service: LedgerService) -> list[DecisionAt]:
    """Ten decisions over ten days, by two board members, on five projects in two portfolios."""
    today = service.app.today()
    portfolios = [service.create_portfolio(name=name, budget=Decimal("10000.00"),
                                           actor=BOARD).id for name in ("Ops", "Web")]
    projects = {
        code: (portfolio_id, service.propose_project(
            portfolio_id=portfolio_id, name=code, code=code, requested_budget=Decimal("900.00"),
            actor=MANAGER, proposed_on=today - timedelta(days=10)).id)
        for code, portfolio_id in zip("abcde", [*portfolios[:1] * 3, *portfolios[1:] * 2],
                                      strict=True)
    }
    plan = [("a", "fund", "100.00", BOARD), ("b", "fund", "100.00", DEPUTY),
            ("d", "fund", "100.00", BOARD), ("a", "pause", None, DEPUTY),
            ("a", "resume", None, BOARD), ("c", "discontinue", None, BOARD),
            ("e", "fund", "50.00", DEPUTY), ("d", "pause", None, BOARD),
            ("a", "fund", "10.00", DEPUTY), ("b", "discontinue", None, BOARD)]
    return [
        service.decide(*projects[code], DecisionKind(kind), actor=actor, rationale=kind,
                       amount=None if amount is None else Decimal(amount),
                       decided_on=today - timedelta(days=10 - day))
        for day, (code, kind, amount, actor) in enumerate(plan)
    ]


def walk(service: LedgerService, limit: int, **filters: Any) -> list[str]:
    """Every decision id, page by page, following the cursor."""
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        page = service.decision_log(cursor=cursor, limit=limit, **filters)
        assert len(page.items) <= limit
        ids += [item.id for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("the cursor never ran out")


def test_paging_the_decision_log_returns_every_decision_once_oldest_first(
    service: LedgerService, decided: list[DecisionAt]
) -> None:
    for limit in (1, 3, 10, 1000):
        assert walk(service, limit) == [d.id for d in decided], f"limit={limit}"
    assert [d.position for d in decided] == sorted(d.position for d in decided)


def day(decision: DecisionAt) -> date:
    return decision.decided_on


FILTERS = {
    "portfolio": lambda d, first: {"portfolio_id": str(first.portfolio_id)},
    "project": lambda d, first: {"project_id": str(first.project_id)},
    "kind": lambda d, first: {"kind": "fund"},
    "actor": lambda d, first: {"decided_by": DEPUTY},
    "since-a-date": lambda d, first: {"since": day(first) + timedelta(days=4)},
    "until-a-date": lambda d, first: {"until": day(first) + timedelta(days=4)},
    "a-week-of-dates": lambda d, first: {"since": day(first) + timedelta(days=2),
                                         "until": day(first) + timedelta(days=8)},
    "since-an-instant": lambda d, first: {"since": d[6].recorded_at},
    "until-an-instant": lambda d, first: {"until": d[6].recorded_at},
    "a-kind-by-an-actor-in-one-portfolio": lambda d, first: {
        "kind": "fund", "decided_by": DEPUTY, "portfolio_id": str(first.portfolio_id)},
}


def matches(decision: DecisionAt, filters: dict[str, Any]) -> bool:
    """The filter's meaning, applied to a decision as the board recorded it."""
    for name, value in filters.items():
        if name in ("since", "until"):
            seen = decision.recorded_at if hasattr(value, "hour") else day(decision)
            if (seen < value) if name == "since" else (seen > value):
                return False
        elif str(getattr(decision, name)) != str(value):
            return False
    return True


def test_filtering_the_decision_log_returns_exactly_the_matching_decisions(
    service: LedgerService, decided: list[DecisionAt]
) -> None:
    for name, make in FILTERS.items():
        filters = make(decided, decided[0])
        expected = [d.id for d in decided if matches(d, filters)]
        assert 0 < len(expected) < len(decided), name
        assert walk(service, 2, **filters) == expected, name


def test_a_filtered_read_as_of_an_instant_sees_only_what_was_decided_by_then(
    service: LedgerService, decided: list[DecisionAt]
) -> None:
    as_of = decided[4].recorded_at
    page = service.decision_log(as_of=as_of, kind="fund")
    assert [d.id for d in page.items] == [d.id for d in decided[:5] if d.kind == "fund"]
    assert page.position == decided[4].position + 1


def test_paging_and_filtering_projects_returns_each_project_once_in_proposal_order(
    service: LedgerService, decided: list[DecisionAt]
) -> None:
    everything = service.projects(limit=1000).items
    assert [p.code for p in everything] == list("abcde")
    for limit in (1, 2, 5):
        codes: list[str] = []
        cursor = None
        while True:
            page = service.projects(limit=limit, cursor=cursor)
            codes += [p.code for p in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert codes == list("abcde")
    web = decided[2].portfolio_id
    assert [p.code for p in service.projects(portfolio_id=web).items] == ["d", "e"]
    assert [p.code for p in service.projects(status="discontinued", limit=1).items] == ["b"]
    assert [p.code for p in service.projects(status="active").items] == ["a", "e"]
    assert [p.code for p in service.projects(health="unknown", status="paused").items] == [
        "d"]
