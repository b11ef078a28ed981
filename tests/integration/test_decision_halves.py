"""No read, at any instant, shows half of a decision: the portfolio's half and the project's
half of one decision stand side by side in the log and share one instant."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.lifecycle import DecisionKind
from domain.portfolio import Portfolio
from domain.project import Project
from projections.database import parse_instant
from projections.service import LedgerService


def fund_in_bulk(service: LedgerService, count: int) -> Portfolio:
    """As an import does: many projects funded, saved together in one atomic write."""
    portfolio = Portfolio.open(name="Bulk", budget=Decimal("1000"), actor="import")
    service.app.save_all(portfolio)
    projects = [
        Project.propose(
            portfolio_id=portfolio.id,
            name=f"P{i}",
            code=f"P{i}",
            requested_budget=Decimal("10"),
            actor="import",
        )
        for i in range(count)
    ]
    for project in projects:
        decision_id = uuid4()
        project.apply_decision(DecisionKind.FUND, Decimal("10.00"), decision_id, "import")
        portfolio.record_decision(
            DecisionKind.FUND,
            Decimal("10.00"),
            decision_id=decision_id,
            project_id=project.id,
            rationale="imported",
            decided_on=date.today(),
            meeting=None,
            actor="import",
            status_before="proposed",
            status_after="active",
            evidence={},
        )
    service.app.save_all(*projects, portfolio)
    return portfolio


def test_a_bulk_save_puts_each_decisions_halves_side_by_side(service: LedgerService) -> None:
    fund_in_bulk(service, 4)

    types = [item["type"] for item in service.events(limit=100)["items"]]

    assert types[5:] == ["DecisionApplied", "ProjectFunded"] * 4


@pytest.mark.parametrize("batch_size", [2, 3, 1000])
def test_no_instant_shows_half_of_a_decision_whatever_the_batches(
    service: LedgerService, batch_size: int
) -> None:
    # Given decisions saved in bulk, projected in batches that could split a pair
    portfolio = fund_in_bulk(service, 5)
    service.projector.batch_size = batch_size
    service.catch_up()

    # When the composition is read as of every instant the log records
    with service.database.transaction(commit=False) as sql:
        instants = [
            row["recorded_at"]
            for row in sql.execute("SELECT recorded_at FROM timeline ORDER BY position").all()
        ]
    for text in instants:
        seen = service.composition(portfolio.id, as_of=parse_instant(text))

        # Then what the portfolio allocated is what its projects were funded, every time
        funded = sum((p["funded"] for p in seen["projects"]), Decimal("0.00"))
        assert seen["allocated"] == funded, text
