"""Project health: each project's status, funding and latest report, at every position."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any

from domain.health import is_stale
from domain.portfolio import Portfolio
from domain.project import Project
from projections.framework import History, Pending, View, in_force, row_at, rows_in
from projections.store.database import Row, Sql, instant

HISTORY_COLUMNS = (
    "project_id",
    "valid_from",
    "recorded_at",
    "version",
    "portfolio_id",
    "code",
    "name",
    "sponsor",
    "manager",
    "requested_budget",
    "planned_start",
    "planned_finish",
    "objectives",
    "status",
    "funded",
    "proposed_at",
    "proposed_by",
    "cadence_days",
    "overall",
    "schedule",
    "cost",
    "scope",
    "quality",
    "risk",
    "cpi",
    "spi",
    "percent_complete",
    "period_end",
    "planned_value",
    "earned_value",
    "actual_cost",
    "summary",
    "reported_at",
    "reported_by",
    "proposed_on",
    "effective_on",
)
INTEGER_COLUMNS = ("valid_from", "version", "cadence_days")
REPORT_COLUMNS = (
    "schedule",
    "cost",
    "scope",
    "quality",
    "risk",
    "percent_complete",
    "period_end",
    "planned_value",
    "earned_value",
    "actual_cost",
    "summary",
)
# What a row's last report says; the rest of a row is its project's status, funding and terms.
# On a business date the two are read from different rows: a report's period and a decision's
# date are each in order, but not one against the other (a decision recorded late may be dated
# before a period already reported).
REPORTED = ("overall", "cpi", "spi", *REPORT_COLUMNS, "reported_at", "reported_by")


def text(value: Any) -> str | None:
    return None if value is None else str(value)


class ProjectHealth(View):
    """Answers: how is each project doing, and how was it doing at any past instant?"""

    name = "health"
    version = 2  # business dates: each row's effective_on, each project's proposed_on
    tables = ("health_history", "health_projects", "health_portfolios")
    schema = (
        "CREATE TABLE IF NOT EXISTS health_portfolios ("
        " portfolio_id TEXT PRIMARY KEY, cadence_days INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS health_projects ("
        " project_id TEXT PRIMARY KEY, portfolio_id TEXT NOT NULL, first_position BIGINT NOT NULL,"
        " proposed_on TEXT)",
        "CREATE INDEX IF NOT EXISTS health_projects_by_portfolio"
        " ON health_projects (portfolio_id, first_position)",
        "CREATE INDEX IF NOT EXISTS health_projects_by_position"
        " ON health_projects (first_position)",
        "CREATE TABLE IF NOT EXISTS health_history ("
        + ", ".join(
            f"{column} {'BIGINT' if column in INTEGER_COLUMNS else 'TEXT'}"
            for column in HISTORY_COLUMNS
        )
        + ", PRIMARY KEY (project_id, valid_from))",
        # `effective_on`: when the row's status and funding took effect (a report's row keeps
        # its project's; the report itself took effect on `period_end`)
        "CREATE INDEX IF NOT EXISTS health_history_in_force"
        " ON health_history (project_id, effective_on, valid_from)",
        "CREATE INDEX IF NOT EXISTS health_history_by_period"
        " ON health_history (project_id, period_end, valid_from)",
    )

    def __init__(self) -> None:
        self.pending = Pending(
            health_portfolios=("portfolio_id", "cadence_days"),
            health_projects=("project_id", "portfolio_id", "first_position", "proposed_on"),
            health_history=HISTORY_COLUMNS,
        )
        self.history = History("health_history", "project_id", self.pending)
        self.cadence: dict[str, int] = {}  # a portfolio's cadence never changes

    def begin(self, sql: Sql, batch: Sequence[tuple[Any, int]]) -> None:
        events = [event for event, _ in batch]
        self.history.load(
            sql,
            (str(e.originator_id) for e in events if not isinstance(e, Portfolio.PortfolioCreated)),
        )
        unknown = {
            str(e.portfolio_id)
            for e in events
            if isinstance(e, Project.ProjectProposed) and str(e.portfolio_id) not in self.cadence
        }
        self.cadence.update(
            (row["portfolio_id"], int(row["cadence_days"]))
            for row in rows_in(sql, "SELECT * FROM health_portfolios", "portfolio_id", unknown)
        )

    def flush(self, sql: Sql) -> None:
        self.pending.write(sql)
        self.history.trim()

    def forget(self) -> None:
        self.pending.clear()
        self.history.forget()
        self.cadence.clear()

    @singledispatchmethod
    def process_event(self, event: object, sql: Sql, position: int) -> None:
        """Other events leave project health as it was."""

    @process_event.register
    def _(self, event: Portfolio.PortfolioCreated, sql: Sql, position: int) -> None:
        portfolio_id = str(event.originator_id)
        self.cadence[portfolio_id] = event.reporting_cadence_days
        self.pending.add(
            "health_portfolios",
            {
                "portfolio_id": portfolio_id,
                "cadence_days": event.reporting_cadence_days,
            },
        )

    @process_event.register
    def _(self, event: Project.ProjectProposed, sql: Sql, position: int) -> None:
        project_id = str(event.originator_id)
        portfolio_id = str(event.portfolio_id)
        proposed_on = event.proposed_on.isoformat()
        self.pending.add(
            "health_projects",
            {
                "project_id": project_id,
                "portfolio_id": portfolio_id,
                "first_position": position,
                "proposed_on": proposed_on,
            },
        )
        row: Row = dict.fromkeys(HISTORY_COLUMNS)
        row.update(
            project_id=project_id,
            portfolio_id=portfolio_id,
            code=event.code,
            name=event.name,
            sponsor=event.sponsor,
            manager=event.manager,
            requested_budget=text(event.requested_budget),
            planned_start=text(event.planned_start),
            planned_finish=text(event.planned_finish),
            objectives=json.dumps(event.objectives),
            status="proposed",
            funded="0.00",
            proposed_at=instant(event.timestamp),
            proposed_by=event.actor,
            cadence_days=self.cadence.get(portfolio_id, 45),
            overall="unknown",
            proposed_on=proposed_on,
            effective_on=proposed_on,
        )
        self._insert(row, event, position)

    @process_event.register
    def _(self, event: Project.StatusReported, sql: Sql, position: int) -> None:
        row = self._latest(event)
        health = event.health()
        row.update({column: text(getattr(event, column)) for column in REPORT_COLUMNS})
        row.update(
            overall=str(health.overall),
            cpi=text(health.cpi),
            spi=text(health.spi),
            summary=event.summary,
            reported_at=instant(event.timestamp),
            reported_by=event.actor,
        )
        self._insert(row, event, position)

    @process_event.register
    def _(self, event: Project.DecisionApplied, sql: Sql, position: int) -> None:
        row = self._latest(event)
        row["status"] = event.status_after
        row["effective_on"] = event.decided_on.isoformat()
        if event.amount is not None:
            row["funded"] = str(Decimal(row["funded"]) + event.amount)
        self._insert(row, event, position)

    @process_event.register
    def _(self, event: Project.ProjectCompleted, sql: Sql, position: int) -> None:
        row = self._latest(event)
        row["status"] = "completed"
        row["effective_on"] = event.completed_on.isoformat()
        self._insert(row, event, position)

    def _latest(self, event: Any) -> Row:
        return self.history.following(str(event.originator_id))

    def _insert(self, row: Row, event: Any, position: int) -> None:
        self.history.record_event(row, event, position)

    # Reads

    @staticmethod
    def project(sql: Sql, project_id: str, position: int) -> Row | None:
        """The project's row as it stood at this position, or None if it did not exist yet."""
        return row_at(sql, "health_history", "project_id", project_id, position)

    @staticmethod
    def projects(
        sql: Sql,
        position: int,
        *,
        portfolio_id: str | None = None,
        status: str | None = None,
        overall: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Row]:
        """Projects as they stood at a position, in the order they were proposed."""
        where = ["p.first_position <= ?", "p.first_position > ?"]
        params: list[Any] = [position, position, after]
        if portfolio_id is not None:
            where.append("p.portfolio_id = ?")
            params.append(portfolio_id)
        if status is not None:
            where.append("h.status = ?")
            params.append(status)
        if overall is not None:
            where.append("h.overall = ?")
            params.append(overall)
        params.append(limit)
        return sql.execute(
            "SELECT h.*, p.first_position FROM health_projects p JOIN health_history h"
            " ON h.project_id = p.project_id AND h.valid_from = ("
            "  SELECT MAX(valid_from) FROM health_history"
            "  WHERE project_id = p.project_id AND valid_from <= ?)"
            f" WHERE {' AND '.join(where)} ORDER BY p.first_position LIMIT ?",
            params,
        ).all()

    @staticmethod
    def reports(
        sql: Sql, project_id: str, position: int, on: date | None = None
    ) -> list[Row]:
        """Every report the project filed up to a position (and, on a business date, whose
        period had ended by then), oldest first (the health trend)."""
        period = "" if on is None else " AND period_end <= ?"
        return sql.execute(
            "SELECT * FROM health_history WHERE project_id = ? AND valid_from <= ?"
            f"{period} AND reported_at IS NOT NULL AND valid_from IN ("
            "  SELECT MIN(valid_from) FROM health_history WHERE project_id = ?"
            "  GROUP BY reported_at)"
            " ORDER BY valid_from",
            (project_id, position, *([] if on is None else [on.isoformat()]), project_id),
        ).all()

    # Reads on a business date: the state in force at the end of `on`, as recorded by `position`

    @staticmethod
    def project_on(sql: Sql, project_id: str, position: int, on: date) -> Row | None:
        """The project as it stood on a business date, or None if not proposed by then."""
        rows = ProjectHealth.projects_on(sql, position, on, project_id=project_id, limit=1)
        return rows[0] if rows else None

    @staticmethod
    def projects_on(
        sql: Sql,
        position: int,
        on: date,
        *,
        project_id: str | None = None,
        portfolio_id: str | None = None,
        status: str | None = None,
        overall: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Row]:
        """Projects as they stood on a business date, in the order they were proposed: each
        its status and funding in force then, and its last report whose period had ended."""
        day = on.isoformat()
        status_row = in_force(sql, "health_history", "project_id", "p.project_id", "effective_on")
        report_row = in_force(sql, "health_history", "project_id", "p.project_id", "period_end")
        kept = [c for c in HISTORY_COLUMNS if c not in REPORTED and c != "version"]
        columns = ", ".join(
            [f"s.{c}" for c in kept]
            + [f"r.{c}" for c in REPORTED if c != "overall"]
            + ["COALESCE(r.overall, 'unknown') AS overall",
               "CASE WHEN r.version > s.version THEN r.version ELSE s.version END AS version",
               "p.first_position"]
        )
        where = ["p.first_position <= ?", "p.first_position > ?", "p.proposed_on <= ?"]
        params: list[Any] = [position, day, position, day, position, after, day]
        for condition, value in (
            ("p.project_id = ?", project_id),
            ("p.portfolio_id = ?", portfolio_id),
            ("s.status = ?", status),
            ("COALESCE(r.overall, 'unknown') = ?", overall),
        ):
            if value is not None:
                where.append(condition)
                params.append(value)
        params.append(limit)
        return sql.execute(
            f"SELECT {columns} FROM health_projects p"
            f" JOIN health_history s ON s.project_id = p.project_id AND s.valid_from = {status_row}"
            " LEFT JOIN health_history r ON r.project_id = p.project_id"
            f" AND r.valid_from = {report_row}"
            f" WHERE {' AND '.join(where)} ORDER BY p.first_position LIMIT ?",
            params,
        ).all()


def stale(row: Row, today: date) -> bool:
    """Whether the row's last report is older than its portfolio's cadence on `today`."""
    if row.get("period_end") is None:
        return False
    return is_stale(date.fromisoformat(row["period_end"]), int(row["cadence_days"]), today)
