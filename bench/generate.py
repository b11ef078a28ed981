"""A seeded board history shaped like the real dataset, written fast in save_all batches.

Each dataset project is proposed into its agency's portfolio, funded (or not) at the first
board meeting, then files a status report every month while it is delivered; the board meets
quarterly and pauses red projects, resumes, tops up, discontinues and completes a few. Scaling
to a million events copies the dataset (agency "#2", "#3", ...) over five years of months, so
the shape stays the same: ~94% status reports, a few percent decisions.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from bench.dataset import DatasetProject, load
from domain.application import PortfolioLedger
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio
from domain.project import Project

START = date(2013, 1, 31)
BOARD = ("board:chair", "board:cfo", "board:cio")
CENT = Decimal("0.01")
MIN_FUNDING = Decimal("10000.00")
OBJECTIVES = [
    {"key": "mission", "title": "Mission delivery", "weight": Decimal("0.6")},
    {"key": "efficiency", "title": "Cost to serve", "weight": Decimal("0.4")},
]
STEPS = (Rating.GREEN, Rating.AMBER, Rating.RED)
SUMMARIES = (
    "On track against the baseline; no new risks this period.",
    "Vendor delivery slipped two weeks; recovery plan agreed with the sponsor.",
    "Integration testing found defects in the interface to the legacy system.",
    "Scope change request under review by the investment review board.",
    "Cost overrun from contractor rates; mitigation in the next release.",
    "Milestone reached: release deployed to production for the pilot users.",
)
REASONS = {
    DecisionKind.FUND: "funded against the approved business case",
    DecisionKind.PAUSE: "paused until the recovery plan is approved",
    DecisionKind.RESUME: "resumed: the recovery plan is in place",
    DecisionKind.DISCONTINUE: "discontinued: benefits no longer justify the cost",
}


def month_end(month: int) -> date:
    """The last day of the month `month` months after January 2013."""
    year, index = divmod(START.month - 1 + month + 1, 12)
    return date(START.year + year, index + 1, 1) - timedelta(days=1)


def rating_of(share: float) -> Rating:
    """The dataset's own rule: within 10% green, 10-30% amber, 30% or more red."""
    return Rating.GREEN if share < 0.1 else Rating.AMBER if share < 0.3 else Rating.RED


@dataclass
class Delivery:
    """What the generator remembers of a project between months."""

    project: Project
    portfolio: Portfolio
    row: DatasetProject
    schedule: Rating
    cost: Rating
    cpi: float
    spi: float
    months: int = 0


@dataclass
class Built:
    """What a generated log holds."""

    events: int
    months: int
    portfolios: list[UUID] = field(default_factory=list)
    projects: dict[UUID, tuple[UUID, Status]] = field(default_factory=dict)
    last_period_end: date = START


class Generator:
    """Writes a realistic history through the domain's own methods, `batch` events a save."""

    def __init__(self, ledger: PortfolioLedger, seed: int = 2013, batch: int = 1000) -> None:
        self.ledger = ledger
        self.rng = random.Random(seed)
        self.batch = batch
        self.pending: list[Any] = []
        self.touched: dict[UUID, Aggregate] = {}
        self.saved = 0

    @property
    def recorded(self) -> int:
        return self.saved + len(self.pending)

    def build(self, events: int, *, months: int | None = None, projects: int | None = None,
              portfolio: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> Built:
        """Record about `events` events (exactly, unless the plan runs out first)."""
        months = months or (12 if events <= 20_000 else 60)
        projects = projects or max(1, events // (months + 4))
        deliveries = self._propose(self._rows(projects), portfolio, events)
        month = 0
        while self.recorded < events and month < 10 * months:
            period_end = month_end(month)
            meeting = period_end + timedelta(days=10)
            for delivery in deliveries:
                if self.recorded >= events:
                    break
                if delivery.project.status.is_delivering and self.rng.random() < 0.97:
                    self._report(delivery, period_end, meeting)
            if month % 3 == 0:
                self._board_meeting(deliveries, meeting, events, first=month == 0)
            month += 1
            if progress is not None:
                progress(self.recorded, events)
        self.flush()
        built = Built(events=self.saved, months=month, last_period_end=month_end(month - 1))
        built.portfolios = list(dict.fromkeys(d.portfolio.id for d in deliveries))
        built.projects = {d.project.id: (d.portfolio.id, d.project.status) for d in deliveries}
        return built

    # The plan

    def _rows(self, count: int) -> list[tuple[DatasetProject, int]]:
        """`count` dataset rows in a seeded order, with the copy each belongs to."""
        rows = list(load())
        self.rng.shuffle(rows)
        return [(rows[i % len(rows)], i // len(rows)) for i in range(count)]

    def _propose(self, rows: list[tuple[DatasetProject, int]], name: str | None,
                 limit: int) -> list[Delivery]:
        budgets: dict[str, Decimal] = {}
        for row, copy in rows:
            key = name or (row.agency if copy == 0 else f"{row.agency} #{copy + 1}")
            budgets[key] = budgets.get(key, Decimal(0)) + 2 * max(row.planned_cost, MIN_FUNDING)
        portfolios: dict[str, Portfolio] = {}
        for key, budget in budgets.items():
            portfolios[key] = Portfolio.open(
                name=key, budget=(budget + 1_000_000).quantize(CENT), reporting_cadence_days=45,
                objectives=OBJECTIVES, actor=BOARD[0])
            self.record(portfolios[key])
        deliveries = []
        for row, copy in rows:
            if self.recorded >= limit:
                break
            key = name or (row.agency if copy == 0 else f"{row.agency} #{copy + 1}")
            owner = portfolios[key]
            code = row.code if copy == 0 and name is None else f"{row.code}-{copy + 1}"
            project = Project.propose(
                portfolio_id=owner.id, name=row.name, requested_budget=row.planned_cost,
                code=code, sponsor=row.investment[:200], manager=f"manager:{row.agency[:40]}",
                planned_start=row.start,
                planned_finish=row.start + timedelta(days=row.duration_days),
                objectives=["mission"], known_objectives=owner.objective_keys(),
                actor=f"manager:{row.agency[:40]}")
            self.record(project)
            deliveries.append(Delivery(
                project, owner, row, rating_of(row.delay_share), rating_of(row.cost_variance_share),
                cpi=1 - row.cost_variance_share / 3, spi=1 - row.delay_share / 3))
        return deliveries

    def _report(self, delivery: Delivery, period_end: date, today: date) -> None:
        rng = self.rng
        delivery.months += 1
        if rng.random() < 0.15:
            delivery.schedule = self._drift(delivery.schedule)
        if rng.random() < 0.15:
            delivery.cost = self._drift(delivery.cost)
        delivery.cpi = min(1.3, max(0.5, delivery.cpi + rng.gauss(0, 0.03)))
        delivery.spi = min(1.3, max(0.5, delivery.spi + rng.gauss(0, 0.03)))
        planned = delivery.row.planned_cost
        done = min(1.0, delivery.months * 30 / delivery.row.duration_days)
        planned_value = (planned * Decimal(done)).quantize(CENT)
        earned = (planned_value * Decimal(delivery.spi)).quantize(CENT)
        report = StatusReport(
            period_end=period_end, schedule=delivery.schedule, cost=delivery.cost,
            scope=Rating.GREEN if rng.random() < 0.9 else Rating.AMBER,
            risk=rng.choice(STEPS[:2]),
            percent_complete=min(Decimal(str(round(done * delivery.spi * 100, 1))), Decimal(100)),
            planned_value=planned_value, earned_value=earned,
            actual_cost=(earned / Decimal(delivery.cpi)).quantize(CENT),
            summary=rng.choice(SUMMARIES))
        delivery.project.report_status(report, today, delivery.project.proposed_by)
        self.record(delivery.project)

    def _drift(self, rating: Rating) -> Rating:
        step = STEPS.index(rating) + self.rng.choice((-1, 1))
        return STEPS[min(2, max(0, step))]

    def _board_meeting(self, deliveries: list[Delivery], day: date, limit: int, *,
                       first: bool) -> None:
        rng = self.rng
        for delivery in deliveries:
            if self.recorded >= limit:
                return
            project = delivery.project
            status = project.status
            chance = rng.random()
            health = project.health(portfolio_cadence(delivery), day).overall
            if status is Status.PROPOSED:
                if chance < (0.9 if first else 0.3):
                    self._decide(delivery, DecisionKind.FUND, self._funding(delivery), day)
                elif chance > (0.98 if first else 0.95):
                    self._decide(delivery, DecisionKind.DISCONTINUE, None, day)
            elif status is Status.ACTIVE:
                if health == Rating.RED and chance < 0.25:
                    self._decide(delivery, DecisionKind.PAUSE, None, day)
                elif chance < 0.01:
                    amount = (self._funding(delivery) / 10).quantize(CENT)
                    self._decide(delivery, DecisionKind.FUND, max(amount, MIN_FUNDING), day)
                elif chance > 0.99 and delivery.months * 30 > delivery.row.duration_days:
                    project.complete("Delivered and handed over to operations.", BOARD[0])
                    self.record(project)
            elif status is Status.PAUSED:
                if chance < 0.4:
                    self._decide(delivery, DecisionKind.RESUME, None, day)
                elif chance > 0.9:
                    self._decide(delivery, DecisionKind.DISCONTINUE, None, day)

    @staticmethod
    def _funding(delivery: Delivery) -> Decimal:
        return max(delivery.row.planned_cost, MIN_FUNDING)

    def _decide(self, delivery: Delivery, kind: DecisionKind, amount: Decimal | None,
                day: date) -> None:
        """Mirror PortfolioLedger.decide: the same events, with the same evidence."""
        portfolio, project = delivery.portfolio, delivery.project
        if amount is not None and amount > portfolio.available:
            return
        actor = self.rng.choice(BOARD)
        decision_id = UUID(int=self.rng.getrandbits(128), version=4)
        status_before = project.status
        evidence = {
            "project_version": project.version,
            "status": status_before.value,
            "health": project.health(portfolio.reporting_cadence_days, day).as_evidence(),
        }
        status_after = project.apply_decision(kind, amount, decision_id, actor)
        portfolio.record_decision(
            kind, amount, decision_id=decision_id, project_id=project.id,
            rationale=f"Quarterly review {day.isoformat()}: {REASONS[kind]}.",
            decided_on=day, meeting=f"Investment review board, {day.isoformat()}",
            actor=actor, status_before=status_before.value, status_after=status_after.value,
            evidence=evidence)
        self.record(portfolio, project)

    # Writing

    def record(self, *aggregates: Aggregate) -> None:
        """Queue the aggregates' new events in the order they happened."""
        for aggregate in aggregates:
            self.pending.extend(aggregate.collect_events())
            self.touched[aggregate.id] = aggregate
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """One atomic write of the queued events; the aggregates ride along for snapshots."""
        if self.pending:
            self.ledger.save_all(*self.pending, *self.touched.values())
            self.saved += len(self.pending)
        self.pending.clear()
        self.touched.clear()


def portfolio_cadence(delivery: Delivery) -> int:
    return int(delivery.portfolio.reporting_cadence_days)


def generate(ledger: PortfolioLedger, events: int, seed: int = 2013, **plan: Any) -> Built:
    """A generated log of about `events` events in `ledger`'s store."""
    return Generator(ledger, seed).build(events, **plan)


IMPORT_COLUMNS = ("Portfolio", "Code", "Name", "Requested", "Start", "Duration", "Period_End",
                  "Schedule", "Cost", "Scope", "Risk", "Percent_Complete", "Planned_Value",
                  "Earned_Value", "Actual_Cost", "Summary", "Status", "Funded")
IMPORT_MAPPING = """\
# A monthly portfolio export generated from the US federal IT dataset (bench/generate.py).
[columns]
portfolio = "Portfolio"
code = "Code"
name = "Name"
requested_budget = "Requested"
planned_start = "Start"
planned_duration_days = "Duration"
period_end = "Period_End"
schedule = "Schedule"
cost = "Cost"
scope = "Scope"
risk = "Risk"
percent_complete = "Percent_Complete"
planned_value = "Planned_Value"
earned_value = "Earned_Value"
actual_cost = "Actual_Cost"
summary = "Summary"
status = "Status"
funded = "Funded"

[portfolio]
reporting_cadence_days = 45
"""


def write_import_file(folder: Path, events: int, seed: int = 2013) -> tuple[Path, Path]:
    """A CSV export of about `events` events (monthly rows, one per delivering project and
    month, month by month), and its mapping; returns (csv path, mapping path)."""
    rng = random.Random(seed)
    months = 12 if events <= 20_000 else 60
    count = max(1, events // (months + 3))
    rows = list(load())
    rng.shuffle(rows)
    chosen = [(rows[i % len(rows)], i // len(rows)) for i in range(count)]
    final = {index: rng.choices(("active", "paused", "discontinued", "completed"),
                                (90, 4, 3, 3))[0] for index in range(count)}
    ratings = {index: [rating_of(row.delay_share), rating_of(row.cost_variance_share)]
               for index, (row, _) in enumerate(chosen)}
    path, mapping = Path(folder) / f"export-{events}.csv", Path(folder) / "export-mapping.toml"
    mapping.write_text(IMPORT_MAPPING)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(IMPORT_COLUMNS)
        for month in range(months):
            period_end = month_end(month)
            for index, (row, copy) in enumerate(chosen):
                pair = ratings[index]
                for place in (0, 1):
                    if rng.random() < 0.15:
                        step = STEPS.index(pair[place]) + rng.choice((-1, 1))
                        pair[place] = STEPS[min(2, max(0, step))]
                done = min(1.0, (month + 1) * 30 / row.duration_days)
                planned_value = (row.planned_cost * Decimal(done)).quantize(CENT)
                earned = (planned_value * Decimal(rng.uniform(0.8, 1.1))).quantize(CENT)
                out.writerow((
                    row.agency if copy == 0 else f"{row.agency} #{copy + 1}",
                    row.code, row.name, f"{row.planned_cost:.2f}", row.start.isoformat(),
                    row.duration_days, period_end.isoformat(), pair[0].value, pair[1].value,
                    "green" if rng.random() < 0.9 else "amber", rng.choice(("green", "amber")),
                    f"{done * 100:.1f}", planned_value, earned,
                    (earned * Decimal(rng.uniform(0.9, 1.25))).quantize(CENT),
                    rng.choice(SUMMARIES),
                    final[index] if month == months - 1 else "", f"{row.planned_cost:.2f}"))
    return path, mapping
