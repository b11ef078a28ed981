"""A scenario: the exact best selection of a portfolio's candidates under a budget, as the
board was advised it, recorded with its inputs, its result and the solver that proved it.

Its own aggregate, so the portfolio's stream stays small: a board may run many scenarios, each
recording every candidate it weighed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.lifecycle import Status
from domain.selection import Candidate, Requirement, Selection, select
from domain.values import NAME_LENGTH, actor_name, money, text

MAXIMIZED = ("score", "benefit")
DELIVERING = (Status.ACTIVE.value, Status.PAUSED.value)


@dataclass(frozen=True)
class Weighed:
    """A candidate as a scenario weighs it: its cost (requested budget), status and value."""

    project_id: UUID
    code: str | None
    status: str
    cost: Decimal
    value: Decimal

    def as_data(self) -> dict[str, Any]:
        return {"project_id": self.project_id, "code": self.code, "status": self.status,
                "cost": self.cost, "value": self.value}


@dataclass(frozen=True)
class Advice:
    """The inputs and the result of one scenario, as its event records them."""

    inputs: dict[str, Any]
    result: dict[str, Any]
    solver: str


def advise(
    candidates: Sequence[Weighed],
    *,
    budget: Decimal,
    maximize: str,
    include: Sequence[UUID] = (),
    exclude: Sequence[UUID] = (),
    requires: Sequence[Requirement] = (),
) -> Advice:
    """Solve the scenario exactly (domain/selection.py) and say what would change against the
    plan of record: proposals to start, active or paused projects to stop, the rest to keep."""
    if maximize not in MAXIMIZED:
        raise InvalidInput("maximize", f"must be one of {', '.join(MAXIMIZED)}")
    checked_budget = money(budget, "budget")
    selection: Selection = select(
        [Candidate(c.project_id, c.cost, c.value, c.code or "") for c in candidates],
        checked_budget,
        include=list(dict.fromkeys(include)),
        exclude=list(dict.fromkeys(exclude)),
        requires=list(requires),
    )
    chosen = set(selection.selected)
    start = [c.project_id for c in candidates
             if c.project_id in chosen and c.status == Status.PROPOSED.value]
    stop = [c.project_id for c in candidates
            if c.project_id not in chosen and c.status in DELIVERING]
    keep = [c.project_id for c in candidates
            if c.project_id in chosen and c.status != Status.PROPOSED.value]
    inputs = {
        "budget": checked_budget,
        "maximize": maximize,
        "include": list(dict.fromkeys(include)),
        "exclude": list(dict.fromkeys(exclude)),
        "requires": [{"project": r.project, "needs": r.needs} for r in requires],
        "candidates": [c.as_data() for c in candidates],
    }
    result = {
        "status": "optimal",
        "selected": list(selection.selected),
        "total_cost": selection.total_cost,
        "total_value": selection.total_value,
        "changes": {"start": start, "stop": stop, "keep": keep},
    }
    return Advice(inputs, result, selection.solver)


class Scenario(Aggregate):
    """One scenario the board ran on a portfolio: what it asked, and the proven optimum."""

    class ScenarioRecorded(Aggregate.Created):
        portfolio_id: UUID
        name: str
        inputs: dict[str, Any]
        result: dict[str, Any]
        solver: str
        actor: str

    @event(ScenarioRecorded)
    def __init__(
        self,
        portfolio_id: UUID,
        name: str,
        inputs: dict[str, Any],
        result: dict[str, Any],
        solver: str,
        actor: str,
    ) -> None:
        self.portfolio_id = portfolio_id
        self.name = name
        self.inputs = inputs
        self.result = result
        self.solver = solver
        self.recorded_by = actor

    @classmethod
    def record(
        cls, *, portfolio_id: UUID, name: str, advice: Advice, actor: str,
        scenario_id: UUID | None = None,
    ) -> Scenario:
        return cls._create(
            cls.ScenarioRecorded,
            id=scenario_id,
            portfolio_id=portfolio_id,
            name=text(name, "name", required=True, max_length=NAME_LENGTH) or "",
            inputs=advice.inputs,
            result=advice.result,
            solver=advice.solver,
            actor=actor_name(actor),
        )
