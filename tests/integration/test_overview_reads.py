"""The board pack's overview reads each view table a fixed number of times, however many
projects the portfolio holds (no read per project)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from projection_support import BOARD, MANAGER

from api.web import reads
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind
from projections.service import LedgerService
from projections.store.database import Sql


def portfolio_with(service: LedgerService, projects: int) -> UUID:
    """A portfolio whose projects are all funded and have reported once."""
    portfolio_id = service.create_portfolio(
        name=f"{projects} projects", budget=Decimal("1000000"), actor=BOARD).id
    for number in range(projects):
        project_id = service.propose_project(
            portfolio_id=portfolio_id, name=f"P{number}", code=f"P{number}",
            requested_budget=Decimal("100"), actor=MANAGER).id
        service.decide(portfolio_id, project_id, DecisionKind.FUND, amount=Decimal("100"),
                       rationale="go", actor=BOARD)
        service.report_status(project_id, StatusReport(
            period_end=date.today() - timedelta(days=1), schedule=Rating.GREEN,
            cost=Rating.AMBER, scope=Rating.GREEN, planned_value=Decimal("100"),
            earned_value=Decimal("90"), actual_cost=Decimal("100")), actor=MANAGER)
    return portfolio_id


def statements_of(monkeypatch: pytest.MonkeyPatch, read: Any) -> tuple[Any, list[str]]:
    """What `read()` answers, and every statement it sent to the store."""
    sent: list[str] = []
    execute = Sql.execute

    def counted(self: Sql, statement: str, params: Sequence[Any] = ()) -> Sql:
        sent.append(statement)
        return execute(self, statement, params)

    with monkeypatch.context() as patch:
        patch.setattr(Sql, "execute", counted)
        answer = read()
    return answer, sent


def test_the_overview_makes_the_same_reads_for_two_projects_as_for_twenty(
    service: LedgerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    small, large = portfolio_with(service, 2), portfolio_with(service, 20)

    few, for_few = statements_of(monkeypatch, lambda: reads.overview(service, small, None))
    many, for_many = statements_of(monkeypatch, lambda: reads.overview(service, large, None))

    assert len(few.projects) == 2 and len(many.projects) == 20
    assert for_many == for_few
    assert sum("health_history" in statement for statement in for_many) == 1
    assert {p.cpi for p in many.projects} == {Decimal("0.9")}
