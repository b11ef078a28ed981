"""Bulk writes: aggregates built in memory with the domain's own methods, saved in chunks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.application import PortfolioLedger
from domain.decisions import Taken, Terms, take_on_project
from domain.lifecycle import DecisionKind
from domain.portfolio import Portfolio
from domain.project import Project

CHUNK_EVENTS = 300


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
) -> Taken:
    """Check a decision by the domain's own rules and apply the project's side in memory.

    The evidence is the project's health on `decided_on`, the board's date: an import or the
    demo records past meetings, and the board then had that day's reports in front of it.
    """
    terms = Terms.checked(
        kind,
        rationale=rationale,
        today=today,
        amount=amount,
        decided_on=decided_on,
        meeting=meeting,
    )
    return take_on_project(terms, portfolio, project, actor=actor, assessed_on=terms.decided_on)


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
        """Note a new portfolio: it is saved in the chunk it joins, in the same atomic write as
        its first projects, and ahead of them, since a save holds events in the order they
        happened. A commit of its own for each portfolio bought no guarantee."""
        self._note(portfolio)

    def add(self, *aggregates: Portfolio | Project) -> None:
        """Note aggregates with new pending events; save when a chunk is full."""
        for aggregate in aggregates:
            self._note(aggregate)
        if self._pending >= self.chunk_events:
            self.flush()

    def _note(self, aggregate: Portfolio | Project) -> None:
        if isinstance(aggregate, Portfolio):
            self._portfolios[aggregate.id] = aggregate
        else:
            self._projects[aggregate.id] = aggregate
        pending = len(aggregate.pending_events)
        self._pending += pending - self._counted.get(aggregate.id, 0)
        self._counted[aggregate.id] = pending

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
