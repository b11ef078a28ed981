"""A seeded board history shaped like the real dataset, recorded as the board's commands in
batches of the ledger's own (`PortfolioLedger.batch`), 1000 events a write.

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

from bench.dataset import DatasetProject, load
from domain.application import PortfolioLedger
from domain.commands import (
    Command,
    CompleteProject,
    Decide,
    OpenPortfolio,
    ProposeProject,
    ReportStatus,
)
from domain.health import Rating, StatusReport, assess_health
from domain.lifecycle import TRANSITIONS, DecisionKind, Status
from domain.project import Project

START = date(2013, 1, 31)
BOARD = ("board:chair", "board:cfo", "board:cio")
CENT = Decimal("0.01")
MIN_FUNDING = Decimal("10000.00")
CADENCE = 45  # every generated portfolio's reporting cadence, in days
OBJECTIVES = (
    {"key": "mission", "title": "Mission delivery", "weight": Decimal("0.6")},
    {"key": "efficiency", "title": "Cost to serve", "weight": Decimal("0.4")},
)
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

    project_id: UUID
    portfolio_id: UUID
    manager: str
    row: DatasetProject
    schedule: Rating
    cost: Rating
    cpi: float
    spi: float
    months: int = 0
    status: Status = Status.PROPOSED
    funded: Decimal = Decimal("0.00")
    report: StatusReport | None = None


@dataclass
class Built:
    """What a generated log holds."""

    events: int
    months: int
    portfolios: list[UUID] = field(default_factory=list)
    projects: dict[UUID, tuple[UUID, Status]] = field(default_factory=dict)
    last_period_end: date = START


class Generator:
    """Records a realistic history as the board's commands, `batch` events a write."""

    def __init__(self, ledger: PortfolioLedger, seed: int = 2013, batch: int = 1000,
                 hold_projects: int = 100_000) -> None:
        self.rng = random.Random(seed)
        self.batch = ledger.batch(write_every=batch, hold_projects=hold_projects)
        self.available: dict[UUID, Decimal] = {}

    @property
    def recorded(self) -> int:
        return self.batch.events + self.batch.pending

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
                if delivery.status.is_delivering and self.rng.random() < 0.97:
                    self._report(delivery, period_end)
            if month % 3 == 0:
                self._board_meeting(deliveries, meeting, events, first=month == 0)
            month += 1
            if progress is not None:
                progress(self.recorded, events)
        self.flush()
        built = Built(events=self.batch.events, months=month,
                      last_period_end=month_end(month - 1))
        built.portfolios = list(dict.fromkeys(d.portfolio_id for d in deliveries))
        built.projects = {d.project_id: (d.portfolio_id, d.status) for d in deliveries}
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
        portfolios: dict[str, UUID] = {}
        for key, budget in budgets.items():
            opening = OpenPortfolio(
                name=key, budget=(budget + 1_000_000).quantize(CENT),
                reporting_cadence_days=CADENCE, objectives=OBJECTIVES, actor=BOARD[0],
                created_on=START)
            self.record(opening)
            portfolios[key] = opening.portfolio_id
            self.available[opening.portfolio_id] = opening.budget
        deliveries = []
        for row, copy in rows:
            if self.recorded >= limit:
                break
            key = name or (row.agency if copy == 0 else f"{row.agency} #{copy + 1}")
            owner = portfolios[key]
            code = row.code if copy == 0 and name is None else f"{row.code}-{copy + 1}"
            manager = f"manager:{row.agency[:40]}"
            self.record(ProposeProject(
                portfolio_id=owner, name=row.name, requested_budget=row.planned_cost,
                code=code, sponsor=row.investment[:200], manager=manager,
                planned_start=row.start,
                planned_finish=row.start + timedelta(days=row.duration_days),
                objectives=("mission",), actor=manager, proposed_on=START))
            deliveries.append(Delivery(
                Project.create_id(owner, code), owner, manager, row,
                rating_of(row.delay_share), rating_of(row.cost_variance_share),
                cpi=1 - row.cost_variance_share / 3, spi=1 - row.delay_share / 3))
        return deliveries

    def _report(self, delivery: Delivery, period_end: date) -> None:
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
        delivery.report = StatusReport(
            period_end=period_end, schedule=delivery.schedule, cost=delivery.cost,
            scope=Rating.GREEN if rng.random() < 0.9 else Rating.AMBER,
            risk=rng.choice(STEPS[:2]),
            percent_complete=min(Decimal(str(round(done * delivery.spi * 100, 1))), Decimal(100)),
            planned_value=planned_value, earned_value=earned,
            actual_cost=(earned / Decimal(delivery.cpi)).quantize(CENT),
            summary=rng.choice(SUMMARIES))
        self.record(ReportStatus(delivery.project_id, delivery.report, delivery.manager))

    def _drift(self, rating: Rating) -> Rating:
        step = STEPS.index(rating) + self.rng.choice((-1, 1))
        return STEPS[min(2, max(0, step))]

    def _board_meeting(self, deliveries: list[Delivery], day: date, limit: int, *,
                       first: bool) -> None:
        rng = self.rng
        for delivery in deliveries:
            if self.recorded >= limit:
                return
            status = delivery.status
            chance = rng.random()
            health = assess_health(delivery.report, CADENCE, day).overall
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
                    self.record(CompleteProject(
                        delivery.project_id, "Delivered and handed over to operations.",
                        BOARD[0], completed_on=day))
                    delivery.status = Status.COMPLETED
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
        """A decision of the quarterly board, with the evidence it had on the day."""
        if amount is not None and amount > self.available[delivery.portfolio_id]:
            return
        self.record(Decide(
            delivery.portfolio_id, delivery.project_id, kind,
            f"Quarterly review {day.isoformat()}: {REASONS[kind]}.", self.rng.choice(BOARD),
            amount=amount, decided_on=day, meeting=f"Investment review board, {day.isoformat()}",
            evidence_on=day))
        delivery.status = TRANSITIONS[kind][1]
        if kind is DecisionKind.DISCONTINUE:
            self.available[delivery.portfolio_id] += delivery.funded
            delivery.funded = Decimal("0.00")
        elif amount is not None:
            self.available[delivery.portfolio_id] -= amount
            delivery.funded += amount

    # Writing

    def record(self, command: Command) -> None:
        """Apply one command; the batch writes every `batch` events, in the order they happened."""
        self.batch.apply([command])

    def flush(self) -> None:
        """One atomic write of what is pending."""
        self.batch.write()


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
