"""The writes a board and its project managers make: mostly monthly reports, some decisions."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from bench.generate import Built, month_end
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind, Status

DECISION_SHARE = 0.15
MANAGER = "manager:bench"
BOARD = "board:bench"


@dataclass(frozen=True)
class Write:
    """One write: a status report on a project, or a decision on it."""

    project_id: UUID
    portfolio_id: UUID
    report: StatusReport | None = None
    kind: DecisionKind | None = None
    amount: Decimal | None = None

    @property
    def is_decision(self) -> bool:
        return self.kind is not None

    def body(self) -> dict[str, Any]:
        """The write as the HTTP API takes it."""
        if self.report is not None:
            return {key: str(value) if value is not None else None
                    for key, value in self.report.as_event_data().items()
                    if value is not None}
        assert self.kind is not None
        body: dict[str, Any] = {"project_id": str(self.project_id), "kind": self.kind.value,
                                "rationale": f"Benchmark review: {self.kind.value}"}
        if self.amount is not None:
            body["amount"] = str(self.amount)
        return body


class Workload:
    """An endless, valid sequence of writes against a generated log's delivering projects.

    Reports move each project's period forward a month; decisions alternate a project between
    active and paused (with the odd top-up), so every write is allowed when it is made, as
    long as writes to one project are made in the order they were planned.
    """

    def __init__(self, built: Built, seed: int = 7, projects: list[UUID] | None = None) -> None:
        self.rng = random.Random(seed)
        chosen = projects or [pid for pid, (_, status) in built.projects.items()
                              if status.is_delivering]
        self.portfolio_of = {pid: built.projects[pid][0] for pid in chosen}
        self.status = {pid: built.projects[pid][1] for pid in chosen}
        self.month = dict.fromkeys(chosen, built.months)
        self.last_period: dict[UUID, date] = {}
        self.projects = chosen

    def kinds(self, count: int) -> list[bool]:
        """Whether each of `count` writes is a decision, in the workload's proportions."""
        return [self.rng.random() < DECISION_SHARE for _ in range(count)]

    def next(self, decision: bool, project_id: UUID | None = None) -> Write:
        project = project_id or self.rng.choice(self.projects)
        portfolio = self.portfolio_of[project]
        if not decision:
            return Write(project, portfolio, report=self._report(project))
        if self.status[project] is Status.ACTIVE:
            if self.rng.random() < 0.2:
                return Write(project, portfolio, kind=DecisionKind.FUND, amount=Decimal("25000.00"))
            self.status[project] = Status.PAUSED
            return Write(project, portfolio, kind=DecisionKind.PAUSE)
        self.status[project] = Status.ACTIVE
        return Write(project, portfolio, kind=DecisionKind.RESUME)

    def _report(self, project: UUID) -> StatusReport:
        # A month on; once that would reach today, a day on: each report after the last.
        self.month[project] += 1
        period_end = month_end(self.month[project])
        previous = self.last_period.get(project)
        yesterday = date.today() - timedelta(days=1)
        if period_end > yesterday:
            period_end = yesterday if previous is None else previous + timedelta(days=1)
        if period_end > yesterday:
            raise ValueError("the workload has no past period left to report for a project")
        self.last_period[project] = period_end
        rng = self.rng
        planned = Decimal(rng.randrange(100_000, 5_000_000)).quantize(Decimal("0.01"))
        earned = (planned * Decimal(rng.randrange(80, 110)) / 100).quantize(Decimal("0.01"))
        return StatusReport(
            period_end=period_end,
            schedule=rng.choice((Rating.GREEN, Rating.GREEN, Rating.AMBER)),
            cost=rng.choice((Rating.GREEN, Rating.AMBER, Rating.RED)),
            scope=Rating.GREEN, risk=Rating.GREEN,
            percent_complete=Decimal(rng.randrange(0, 100)),
            planned_value=planned, earned_value=earned,
            actual_cost=(earned * Decimal(rng.randrange(90, 120)) / 100).quantize(Decimal("0.01")),
            summary="Vendor delivery slipped two weeks; recovery plan agreed with the sponsor.")
