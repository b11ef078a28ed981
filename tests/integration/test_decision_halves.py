"""No read, at any instant, shows half of a decision: the portfolio's half and the project's
half of one decision stand side by side in the log and share one instant."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from domain.commands import Decide, OpenPortfolio, ProposeProject
from domain.lifecycle import DecisionKind
from domain.project import Project
from projections.service import LedgerService
from projections.store.database import parse_instant


def fund_in_bulk(service: LedgerService, count: int) -> UUID:
    """As an import does: many projects funded, recorded by one batch in one atomic write."""
    opening = OpenPortfolio(name="Bulk", budget=Decimal("1000"), actor="import")
    service.app.record([opening])
    portfolio_id = opening.portfolio_id
    codes = [f"P{i}" for i in range(count)]
    service.app.record([
        *(ProposeProject(portfolio_id=portfolio_id, name=code, code=code,
                         requested_budget=Decimal("10"), actor="import") for code in codes),
        *(Decide(portfolio_id, Project.create_id(portfolio_id, code), DecisionKind.FUND,
                 "imported", "import", amount=Decimal("10.00")) for code in codes),
    ])
    return portfolio_id


def test_a_bulk_save_puts_each_decisions_halves_side_by_side(service: LedgerService) -> None:
    fund_in_bulk(service, 4)

    types = [item.type for item in service.events(limit=100).items]

    assert types[5:] == ["DecisionApplied", "ProjectFunded"] * 4


@pytest.mark.parametrize("batch_size", [2, 3, 1000])
def test_no_instant_shows_half_of_a_decision_whatever_the_batches(
    service: LedgerService, batch_size: int
) -> None:
    # Given decisions saved in bulk, projected in batches that could split a pair
    portfolio_id = fund_in_bulk(service, 5)
    service.projector.batch_size = batch_size
    service.catch_up()

    # When the composition is read as of every instant the log records
    with service.database.transaction(commit=False) as sql:
        instants = [
            row["recorded_at"]
            for row in sql.execute("SELECT recorded_at FROM timeline ORDER BY position").all()
        ]
    for text in instants:
        seen = service.composition(portfolio_id, as_of=parse_instant(text))

        # Then what the portfolio allocated is what its projects were funded, every time
        funded = sum((p.funded for p in seen.projects), Decimal("0.00"))
        assert seen.allocated == funded, text
