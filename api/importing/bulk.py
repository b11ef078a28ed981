"""Bulk writes: aggregates built in memory with the domain's own methods, saved in chunks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.application import PortfolioLedger
from domain.errors import InvalidInput
from domain.lifecycle import DecisionKind
from domain.portfolio import Portfolio
from domain.project import Project
from domain.values import money, not_in_future, text

CHUNK_EVENTS = 300


@dataclass(frozen=True)
class DraftDecision:
    """A board decision already applied to its project, still to be recorded on its portfolio."""

    kind: DecisionKind
    amount: Decimal | None
    terms: dict[str, Any]

    def record(self, portfolio: Portfolio) -> None:
        portfolio.record_decision(self.kind, self.amount, **self.terms)


def draft_decision(
    portfolio: Portfolio,
    project: Project,
    kind: DecisionKind,
    *,
    rationale: str,
    actor: str,
    decided_on: date,
    today: date,
    amount: Decimal | None = None,
    meeting: str | None = None,
) -> DraftDecision:
    """Check a decision as PortfolioLedger.decide does and apply the project's side in memory.

    The evidence is the project's version and its health on `decided_on`, the board's date.
    """
    checked_rationale = text(rationale, "rationale", required=True, max_length=4000) or ""
    checked_meeting = text(meeting, "meeting", max_length=200)
    if kind is DecisionKind.FUND:
        if amount is None:
            raise InvalidInput("amount", "is required to fund a project")
        amount = money(amount, "amount", positive=True)
        portfolio.check_budget(amount)
    elif amount is not None:
        raise InvalidInput("amount", f"applies only to fund, not to {kind.value}")
    day = not_in_future(decided_on, today, "decided_on")
    if project.portfolio_id != portfolio.id:
        raise InvalidInput("project_id", f"project {project.id} is not in portfolio {portfolio.id}")
    status_before = project.status
    evidence = {
        "project_version": project.version,
        "status": status_before.value,
        "health": project.health(portfolio.reporting_cadence_days, day).as_evidence(),
    }
    decision_id = uuid4()
    status_after = project.apply_decision(kind, amount, decision_id, actor)
    return DraftDecision(kind, amount, {
        "decision_id": decision_id,
        "project_id": project.id,
        "rationale": checked_rationale,
        "decided_on": day,
        "meeting": checked_meeting,
        "actor": actor,
        "status_before": status_before.value,
        "status_after": status_after.value,
        "evidence": evidence,
    })


class Batch:
    """Saves pending events in chunks of about `chunk_events`.

    Each save holds projects first, then their portfolios: a project is proposed before its
    portfolio decides on it, and both halves of a decision land in the same atomic write.
    Without an application it is a dry run: it counts the events it would save.
    """

    def __init__(self, app: PortfolioLedger | None, chunk_events: int = CHUNK_EVENTS) -> None:
        self.app = app
        self.chunk_events = chunk_events
        self.events = 0
        self._projects: dict[UUID, Project] = {}
        self._portfolios: dict[UUID, Portfolio] = {}
        self._counted: dict[UUID, int] = {}
        self._pending = 0

    def open(self, portfolio: Portfolio) -> None:
        """Save a new portfolio at once, so its projects' views find it."""
        self.flush()
        self.add(portfolio)
        self.flush()

    def add(self, *aggregates: Portfolio | Project) -> None:
        """Note aggregates with new pending events; save when a chunk is full."""
        for aggregate in aggregates:
            if isinstance(aggregate, Portfolio):
                self._portfolios[aggregate.id] = aggregate
            else:
                self._projects[aggregate.id] = aggregate
            pending = len(aggregate.pending_events)
            self._pending += pending - self._counted.get(aggregate.id, 0)
            self._counted[aggregate.id] = pending
        if self._pending >= self.chunk_events:
            self.flush()

    def flush(self) -> None:
        aggregates = [*self._projects.values(), *self._portfolios.values()]
        if self.app is None:
            for aggregate in aggregates:
                aggregate.collect_events()
            self.events += self._pending
        elif aggregates:
            self.events += len(self.app.save_all(*aggregates))
        self._projects.clear()
        self._portfolios.clear()
        self._counted.clear()
        self._pending = 0
