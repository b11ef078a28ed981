"""Reads on a business date (`effective_on`), with and without `as_of`, equal an independent
model: the recorded events replayed in the order of their business dates, written here.

The seeded story runs three years of board meetings over three portfolios and twenty projects;
a third of its decisions are recorded late, dated back to the meeting that took them, after
status reports whose periods end later still.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap import open_ledger
from api.settings import Settings
from domain.errors import DecisionNotFound, PortfolioNotFound, ProjectNotFound
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind, Status
from projections.service import LedgerService

SEED = 20220131
BOARD = "board:chair"
MANAGER = "manager:ana"
START, END = date(2022, 1, 1), date(2024, 12, 31)
CADENCE = 45
RATINGS = ("green", "amber", "red")
STATUSES = [status.value for status in Status]
DECISIONS = {"ProjectFunded", "ProjectPaused", "ProjectResumed", "ProjectDiscontinued"}


def month_ends(first: date, last: date) -> list[date]:
    ends, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


# The story: what the board and the managers do, some decisions recorded weeks late


@dataclass
class Late:
    """A decision taken at a meeting, to be recorded later with the meeting's date."""

    kind: DecisionKind
    amount: Decimal | None
    decided_on: date
    recorded_on: date


@dataclass
class Story:
    service: LedgerService
    rng: random.Random
    portfolios: list[UUID] = field(default_factory=list)
    status: dict[UUID, Status] = field(default_factory=dict)  # as recorded so far
    portfolio_of: dict[UUID, UUID] = field(default_factory=dict)
    late: dict[UUID, Late] = field(default_factory=dict)
    late_recorded: list[UUID] = field(default_factory=list)  # decision ids

    def run(self) -> None:
        opening = [START, START + timedelta(days=40), date(2022, 7, 15)]
        day = START
        while day <= END:
            while opening and opening[0] <= day:
                self.open_portfolio(opening.pop(0))
            if len(self.status) < 20 and self.rng.random() < 0.35:
                self.propose(day)
            self.record_late(day)
            projects = list(self.status)
            for project in self.rng.sample(projects, min(3, len(projects))):
                self.act(project, day)
            day += timedelta(days=self.rng.randint(4, 11))
        for project, late in list(self.late.items()):  # the last minutes, recorded at last
            self.decide(project, late.kind, late.amount, late.decided_on, late=True)

    def open_portfolio(self, on: date) -> None:
        opened = self.service.create_portfolio(
            actor=BOARD, name=f"Portfolio {len(self.portfolios) + 1}",
            budget=Decimal("50000000.00"), reporting_cadence_days=CADENCE, created_on=on)
        self.portfolios.append(opened.id)

    def propose(self, on: date) -> None:
        portfolio = self.rng.choice(self.portfolios)
        proposed = self.service.propose_project(
            actor=MANAGER, portfolio_id=portfolio, name=f"Project {len(self.status) + 1}",
            code=f"P{len(self.status) + 1:02d}", requested_budget=Decimal("900000.00"),
            proposed_on=on)
        self.status[proposed.id] = Status.PROPOSED
        self.portfolio_of[proposed.id] = portfolio

    def record_late(self, day: date) -> None:
        for project, late in list(self.late.items()):
            if late.recorded_on <= day:
                self.decide(project, late.kind, late.amount, late.decided_on, late=True)

    def act(self, project: UUID, day: date) -> None:
        status, roll = self.status[project], self.rng.random()
        if status.is_delivering and roll < 0.45:
            self.report(project, day)
            return
        if project in self.late or status.is_final:
            return
        kind: DecisionKind | None = None
        if status is Status.PROPOSED:
            kind = DecisionKind.FUND if roll < 0.6 else (
                DecisionKind.DISCONTINUE if roll > 0.95 else None)
        elif status is Status.ACTIVE:
            if roll < 0.55:
                kind = DecisionKind.FUND
            elif roll < 0.7:
                kind = DecisionKind.PAUSE
            elif roll < 0.74:
                kind = DecisionKind.DISCONTINUE
            elif roll < 0.8:
                self.service.complete_project(project, "delivered", actor=MANAGER,
                                              completed_on=day)
                self.status[project] = Status.COMPLETED
        elif status is Status.PAUSED:
            kind = DecisionKind.RESUME if roll < 0.75 else DecisionKind.DISCONTINUE
        if kind is None:
            return
        amount = (Decimal(self.rng.randint(10, 300)) * 1000 if kind is DecisionKind.FUND
                  else None)
        if self.rng.random() < 0.35:
            self.late[project] = Late(kind, amount, day,
                                      day + timedelta(days=self.rng.randint(15, 75)))
            # Until the minutes are recorded the project stands as recorded: reports go on.
            self.status[project] = status
        else:
            self.decide(project, kind, amount, day)

    def decide(self, project: UUID, kind: DecisionKind, amount: Decimal | None, on: date,
               *, late: bool = False) -> None:
        taken = self.service.decide(
            self.portfolio_of[project], project, kind, actor=BOARD, amount=amount,
            rationale=f"{kind.value} at the meeting of {on.isoformat()}", decided_on=on)
        self.status[project] = taken.status_after
        if late:
            del self.late[project]
            self.late_recorded.append(taken.id)

    def report(self, project: UUID, day: date) -> None:
        ratings = [Rating(self.rng.choice(RATINGS)) for _ in range(3)]
        self.service.report_status(
            project, StatusReport(period_end=day, schedule=ratings[0], cost=ratings[1],
                                  scope=ratings[2]), actor=MANAGER)


# The independent model: the log's events, replayed by business date


@dataclass(frozen=True)
class Recorded:
    position: int
    type: str
    originator: str
    recorded_at: datetime
    data: dict[str, Any]

    @property
    def on(self) -> date:
        """The business date the event took effect."""
        for name in ("decided_on", "completed_on", "period_end", "proposed_on", "created_on"):
            if name in self.data:
                return date.fromisoformat(self.data[name])
        raise AssertionError(f"{self.type} carries no business date")


def the_log(service: LedgerService) -> list[Recorded]:
    events: list[Recorded] = []
    while True:
        page = service.events(after=events[-1].position if events else 0, limit=1000)
        events += [Recorded(e.position, e.type, str(e.originator_id), e.recorded_at, e.data)
                   for e in page.items if e.recorded_at is not None]
        if page.next_cursor is None:
            return events


WORST = {"green": 0, "amber": 1, "red": 2}


@dataclass
class ProjectThen:
    id: str
    portfolio: str
    status: str = "proposed"
    funded: Decimal = Decimal("0.00")
    allocated: Decimal = Decimal("0.00")
    period_end: date | None = None
    overall: str = "unknown"
    schedule: str | None = None

    def stale(self, on: date) -> bool:
        return self.period_end is not None and (on - self.period_end).days > CADENCE


@dataclass
class LedgerThen:
    portfolios: dict[str, Decimal]  # budget, by id, in the order created
    projects: dict[str, ProjectThen]  # in the order proposed
    decisions: list[tuple[str, date]]  # (id, decided_on), in the order recorded


def replay(log: list[Recorded], position: int, on: date) -> LedgerThen:
    """The ledger in force at the end of `on`, as recorded up to `position`: every event
    recorded by then and dated on or before `on`, applied in the order of its date."""
    known = sorted((e for e in log if e.position <= position and e.on <= on),
                   key=lambda e: (e.on, e.position))
    portfolios: dict[str, Decimal] = {}
    projects: dict[str, ProjectThen] = {}
    for event in sorted(known, key=lambda e: e.position):  # existence, in recording order
        if event.type == "PortfolioCreated":
            portfolios[event.originator] = Decimal(event.data["budget"])
        elif event.type == "ProjectProposed":
            projects[event.originator] = ProjectThen(event.originator,
                                                     event.data["portfolio_id"])
    for event in known:
        project = projects.get(event.originator)
        if event.type == "DecisionApplied" and project is not None:
            project.status = event.data["status_after"]
            if event.data["amount"] is not None:
                project.funded += Decimal(event.data["amount"])
                project.allocated += Decimal(event.data["amount"])
            if project.status == "discontinued":
                project.allocated = Decimal("0.00")
        elif event.type == "ProjectCompleted" and project is not None:
            project.status = "completed"
        elif event.type == "StatusReported" and project is not None:
            ratings = [event.data[k] for k in ("schedule", "cost", "scope")]
            project.period_end = event.on
            project.overall = max(ratings, key=WORST.__getitem__)
            project.schedule = event.data["schedule"]
    decisions = [(e.data["decision_id"], e.on) for e in sorted(known, key=lambda e: e.position)
                 if e.type in DECISIONS]
    return LedgerThen(portfolios, projects, decisions)


# What the views say, compared with the model


def composition_expected(then: LedgerThen, portfolio: str) -> dict[str, Any]:
    members = [p for p in then.projects.values() if p.portfolio == portfolio]
    allocated = sum((p.allocated for p in members), Decimal("0.00"))
    by_health = dict.fromkeys(("green", "amber", "red", "unknown"), 0)
    for member in members:
        if Status(member.status).is_delivering:
            by_health[member.overall] += 1
    return {
        "allocated": allocated,
        "available": then.portfolios[portfolio] - allocated,
        "by_status": {s: (sum(1 for p in members if p.status == s),
                          sum((p.funded for p in members if p.status == s), Decimal(0)))
                      for s in STATUSES},
        "by_health": by_health,
        "projects": [(p.id, p.status, p.funded, p.overall) for p in members],
    }


def composition_seen(service: LedgerService, portfolio: str, on: date,
                     as_of: datetime | None) -> tuple[int, dict[str, Any]]:
    seen = service.composition(UUID(portfolio), as_of=as_of, effective_on=on)
    assert seen.effective_on == on
    return seen.position, {
        "allocated": seen.allocated,
        "available": seen.available,
        "by_status": {str(s): (t.count, t.funded) for s, t in seen.by_status.items()},
        "by_health": dict(seen.by_health),
        "projects": [(str(p.id), str(p.status), p.funded, p.health) for p in seen.projects],
    }


def assert_views_equal_the_model(service: LedgerService, log: list[Recorded], on: date,
                                 as_of: datetime | None = None) -> int:
    """Every read on `on` (as of `as_of`) equals the replay; returns the position read."""
    position = service.portfolios(as_of=as_of, effective_on=on).position
    then = replay(log, position, on)
    where = f"on {on}, at position {position}"

    portfolios = service.portfolios(as_of=as_of, effective_on=on, limit=1000)
    assert [str(p.id) for p in portfolios.items] == list(then.portfolios), where
    assert portfolios.effective_on == on
    for portfolio in {e.originator for e in log if e.type == "PortfolioCreated"}:
        if portfolio not in then.portfolios:
            with pytest.raises(PortfolioNotFound):
                service.composition(UUID(portfolio), as_of=as_of, effective_on=on)
            continue
        read_at, seen = composition_seen(service, portfolio, on, as_of)
        assert read_at == position
        assert seen == composition_expected(then, portfolio), f"{portfolio} {where}"
        listed = next(p for p in portfolios.items if str(p.id) == portfolio)
        assert listed.allocated == seen["allocated"], where

    listed = list(service.every(service.projects, as_of=as_of, effective_on=on))
    assert [(str(p.id), p.status, p.funded, p.health, p.stale, p.last_period_end)
            for p in listed] == [
        (p.id, p.status, p.funded, p.overall, p.stale(on), p.period_end)
        for p in then.projects.values()], where
    for project in {e.originator for e in log if e.type == "ProjectProposed"}:
        if project not in then.projects:
            with pytest.raises(ProjectNotFound):
                service.project_health(UUID(project), as_of=as_of, effective_on=on)
            continue
        health = service.project_health(UUID(project), as_of=as_of, effective_on=on)
        expected = then.projects[project]
        assert (health.overall, health.period_end, health.stale, health.schedule) == (
            expected.overall, expected.period_end, expected.stale(on), expected.schedule), where
        assert health.effective_on == on

    decisions = list(service.every(service.decision_log, as_of=as_of, effective_on=on))
    assert [(str(d.id), d.decided_on) for d in decisions] == then.decisions, where
    assert all(d.recorded_at is not None for d in decisions)
    return position


@pytest.fixture
def story(service: LedgerService) -> tuple[Story, list[Recorded]]:
    told = Story(service, random.Random(SEED))
    told.run()
    return told, the_log(service)


@pytest.mark.slow
def test_reads_on_every_month_end_equal_the_events_replayed_by_business_date(
    service: LedgerService, story: tuple[Story, list[Recorded]]
) -> None:
    told, log = story
    # Given three years recorded with some minutes late, after reports of later periods
    assert len(told.status) == 20 and len(told.portfolios) == 3
    assert len(told.late_recorded) >= 10
    assert reported_before_a_decision_dated_earlier(log)
    # Then every month-end read on its own business date equals the replay
    for on in [date(2021, 12, 31), *month_ends(START, END)]:
        assert_views_equal_the_model(service, log, on)


def reported_before_a_decision_dated_earlier(log: list[Recorded]) -> bool:
    """Whether some decision was recorded after a report of its project whose period ends
    after the decision's date: the case where the two kinds of dates disagree in order."""
    reported: dict[str, date] = {}
    for event in log:
        latest = reported.get(event.originator, event.on)
        if event.type == "StatusReported":
            reported[event.originator] = event.on
        elif event.type == "DecisionApplied" and latest > event.on:
            return True
    return False


@pytest.mark.slow
def test_as_of_before_and_after_a_late_decision_equals_the_replay_up_to_then(
    service: LedgerService, story: tuple[Story, list[Recorded]]
) -> None:
    told, log = story
    # Given a decision recorded weeks after its meeting
    decision = told.late_recorded[len(told.late_recorded) // 2]
    halves = [e for e in log if e.data.get("decision_id") == str(decision)]
    first = min(e.position for e in halves)
    decided_on = halves[0].on
    before = next(e.recorded_at for e in log if e.position == first - 1)
    after = next(e.recorded_at for e in log if e.position == first)
    meeting_month = next(on for on in month_ends(START, END) if on >= decided_on)
    # Then as of just before it was recorded the ledger does not know it, even on its date,
    # and as of just after it does; every month-end equals the replay up to each instant
    with pytest.raises(DecisionNotFound):
        service.decision(decision, as_of=before, effective_on=meeting_month)
    known = service.decision(decision, as_of=after, effective_on=meeting_month)
    assert (known.decided_on, known.effective_on) == (decided_on, meeting_month)
    with pytest.raises(DecisionNotFound):
        service.decision(decision, as_of=after, effective_on=decided_on - timedelta(days=1))
    assert replay(log, first - 1, meeting_month) != replay(log, first + 1, meeting_month)
    for as_of in (before, after):
        for on in month_ends(START, END):
            position = assert_views_equal_the_model(service, log, on, as_of)
            assert (position < first) if as_of == before else (position > first)


def test_since_and_until_still_bound_decided_on_beside_effective_on(service: LedgerService) -> None:
    # Given decisions on one project over three meetings
    portfolio = service.create_portfolio(actor=BOARD, name="Digital", budget=Decimal("1000000"),
                                         created_on=date(2024, 1, 2)).id
    project = service.propose_project(actor=MANAGER, portfolio_id=portfolio, name="Portal",
                                      requested_budget=Decimal("100"),
                                      proposed_on=date(2024, 1, 3)).id
    for kind, on in ((DecisionKind.FUND, date(2024, 2, 1)), (DecisionKind.PAUSE, date(2024, 3, 1)),
                     (DecisionKind.RESUME, date(2024, 4, 1))):
        service.decide(portfolio, project, kind, actor=BOARD, rationale="minuted",
                       amount=Decimal("100") if kind is DecisionKind.FUND else None,
                       decided_on=on)

    # When the log is read on 15 March, from 15 February
    seen = service.decision_log(effective_on=date(2024, 3, 15), since=date(2024, 2, 15))

    # Then it holds the pause alone, with both its dates
    assert [(d.kind, d.decided_on) for d in seen.items] == [("pause", date(2024, 3, 1))]
    assert seen.items[0].recorded_at.date() == service.today()
    assert seen.effective_on == date(2024, 3, 15)


def test_staleness_is_judged_on_the_business_date_asked(service: LedgerService) -> None:
    # Given a project that reported for January 2023 and never again
    portfolio = service.create_portfolio(actor=BOARD, name="Digital", budget=Decimal("1000000"),
                                         reporting_cadence_days=45,
                                         created_on=date(2022, 12, 1)).id
    project = service.propose_project(actor=MANAGER, portfolio_id=portfolio, name="Portal",
                                      requested_budget=Decimal("100"),
                                      proposed_on=date(2022, 12, 2)).id
    service.decide(portfolio, project, DecisionKind.FUND, actor=BOARD, rationale="approved",
                   amount=Decimal("100"), decided_on=date(2022, 12, 5))
    service.report_status(project, StatusReport(period_end=date(2023, 1, 31),
                                                schedule=Rating.GREEN, cost=Rating.GREEN,
                                                scope=Rating.GREEN), actor=MANAGER)

    # Then on 28 February it was fresh, on 31 March stale (59 days), and today long stale
    fresh = service.project_health(project, effective_on=date(2023, 2, 28))
    late = service.project_health(project, effective_on=date(2023, 3, 31))
    now = service.project_health(project)
    assert (fresh.stale, late.stale, now.stale) == (False, True, True)
    listed = service.projects(effective_on=date(2023, 3, 16)).items
    assert [(p.stale, p.overdue) for p in listed] == [(False, False)]  # 44 days: not yet
    # And before its period ended it had no report at all
    assert service.project_health(project, effective_on=date(2023, 1, 30)).overall == "unknown"
    assert service.project_reports(project, effective_on=date(2023, 1, 30)).items == []
    assert len(service.project_reports(project, effective_on=date(2023, 1, 31)).items) == 1


def test_a_store_whose_views_have_the_old_shape_rebuilds_them_when_the_ledger_opens(
    store_url: str,
) -> None:
    # Given a ledger with a decision, whose health and composition views have the shape they
    # had before business dates (no version recorded, no effective_on)
    ledger = open_ledger(Settings(db=store_url)).service
    try:
        portfolio = ledger.create_portfolio(actor=BOARD, name="Digital",
                                            budget=Decimal("1000"), created_on=date(2024, 1, 2))
        project = ledger.propose_project(actor=MANAGER, portfolio_id=portfolio.id, name="Portal",
                                         requested_budget=Decimal("100"),
                                         proposed_on=date(2024, 1, 3))
        ledger.decide(portfolio.id, project.id, DecisionKind.FUND, actor=BOARD,
                      rationale="approved", amount=Decimal("100"), decided_on=date(2024, 2, 1))
        head = ledger.head()
        with ledger.database.transaction() as sql:
            sql.execute("DELETE FROM projection_versions")
            for view in ("health", "composition"):
                for table in ledger.projector.views[view].tables:
                    sql.ddl(f"DROP TABLE {table}")
                    sql.ddl(f"CREATE TABLE {table} (project_id TEXT, valid_from BIGINT)")
    finally:
        ledger.close()

    # When the ledger opens again
    reopened = open_ledger(Settings(db=store_url)).service
    try:
        # Then those views were rebuilt from the log in their new shape, the others kept
        assert reopened.positions() == dict.fromkeys(reopened.views(), head)
        on = date(2024, 1, 31)
        assert reopened.composition(portfolio.id, effective_on=on).allocated == Decimal(0)
        assert reopened.project(project.id, effective_on=on).status == "proposed"
        assert reopened.project(project.id).status == "active"
        versions = reopened.database.read("SELECT projection, version FROM projection_versions")
        assert {row["projection"]: row["version"] for row in versions} == {
            "timeline": 1, "health": 2, "composition": 3, "decisions": 3, "motions": 1,
            "scoring": 1, "seal": 1}
    finally:
        reopened.close()
