"""Decision support: the weights in force, each project's latest assessment and standing, and
the scenarios the board ran. A score is computed when read, from the weights row and the
assessment row in force at the point asked about (each one index probe), so a score under
weights that changed later reads as it stood."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any

from domain.lifecycle import Status
from domain.portfolio import Portfolio
from domain.project import Project
from domain.scenario import Scenario
from domain.scoring import initial_weights
from projections.framework import Pending, View, in_force
from projections.store.database import Row, Sql, instant

WEIGHT_COLUMNS = ("portfolio_id", "valid_from", "decided_on", "method", "weights",
                  "comparisons", "consistency_ratio", "rationale", "set_by", "set_at")
MEMBER_COLUMNS = ("project_id", "portfolio_id", "first_position", "proposed_on", "code", "name",
                  "requested_budget")
STATUS_COLUMNS = ("project_id", "valid_from", "status", "effective_on")
ASSESSMENT_COLUMNS = ("project_id", "valid_from", "assessed_on", "scores", "benefit",
                      "rationale", "assessed_by", "assessed_at")
SCENARIO_COLUMNS = ("scenario_id", "portfolio_id", "position", "recorded_at", "recorded_by",
                    "name", "inputs", "result", "solver")
BIGINT = ("valid_from", "first_position", "position")


def columns(names: Sequence[str]) -> str:
    return ", ".join(f"{c} {'BIGINT' if c in BIGINT else 'TEXT'}" for c in names)


def as_json(value: Any) -> str:
    return json.dumps(value, default=str)


def newest(table: str, key: str, outer: str) -> str:
    """SQL for the position of an id's newest row recorded by a log position (one `?`)."""
    return (f"(SELECT valid_from FROM {table} WHERE {key} = {outer} AND valid_from <= ?"
            " ORDER BY valid_from DESC LIMIT 1)")


class DecisionSupport(View):
    """Answers: what weights are in force, how does each candidate score, what did the board's
    scenarios advise?"""

    name = "scoring"
    tables = ("scoring_weights", "scoring_members", "scoring_status", "scoring_assessments",
              "scoring_scenarios")
    schema = (
        f"CREATE TABLE IF NOT EXISTS scoring_weights ({columns(WEIGHT_COLUMNS)},"
        " PRIMARY KEY (portfolio_id, valid_from))",
        "CREATE INDEX IF NOT EXISTS scoring_weights_in_force"
        " ON scoring_weights (portfolio_id, decided_on, valid_from)",
        f"CREATE TABLE IF NOT EXISTS scoring_members ({columns(MEMBER_COLUMNS)},"
        " PRIMARY KEY (project_id))",
        "CREATE INDEX IF NOT EXISTS scoring_members_by_portfolio"
        " ON scoring_members (portfolio_id, first_position)",
        f"CREATE TABLE IF NOT EXISTS scoring_status ({columns(STATUS_COLUMNS)},"
        " PRIMARY KEY (project_id, valid_from))",
        "CREATE INDEX IF NOT EXISTS scoring_status_in_force"
        " ON scoring_status (project_id, effective_on, valid_from)",
        f"CREATE TABLE IF NOT EXISTS scoring_assessments ({columns(ASSESSMENT_COLUMNS)},"
        " PRIMARY KEY (project_id, valid_from))",
        "CREATE INDEX IF NOT EXISTS scoring_assessments_in_force"
        " ON scoring_assessments (project_id, assessed_on, valid_from)",
        f"CREATE TABLE IF NOT EXISTS scoring_scenarios ({columns(SCENARIO_COLUMNS)},"
        " PRIMARY KEY (scenario_id))",
        "CREATE INDEX IF NOT EXISTS scoring_scenarios_by_portfolio"
        " ON scoring_scenarios (portfolio_id, position)",
    )

    def __init__(self) -> None:
        self.pending = Pending(
            scoring_weights=WEIGHT_COLUMNS,
            scoring_members=MEMBER_COLUMNS,
            scoring_status=STATUS_COLUMNS,
            scoring_assessments=ASSESSMENT_COLUMNS,
            scoring_scenarios=SCENARIO_COLUMNS,
        )

    def flush(self, sql: Sql) -> None:
        self.pending.write(sql)

    def forget(self) -> None:
        self.pending.clear()

    @singledispatchmethod
    def process_event(self, event: object, sql: Sql, position: int) -> None:
        """Other events leave decision support as it was."""

    @process_event.register
    def _(self, event: Portfolio.PortfolioCreated, sql: Sql, position: int) -> None:
        self.pending.add("scoring_weights", {
            "portfolio_id": str(event.originator_id),
            "valid_from": position,
            "decided_on": event.created_on.isoformat(),
            "method": "objectives",
            "weights": as_json(initial_weights(event.objectives)),
            "comparisons": "[]",
            "consistency_ratio": None,
            "rationale": None,
            "set_by": event.actor,
            "set_at": instant(event.timestamp),
        })

    @process_event.register
    def _(self, event: Portfolio.WeightsSet, sql: Sql, position: int) -> None:
        self.pending.add("scoring_weights", {
            "portfolio_id": str(event.originator_id),
            "valid_from": position,
            "decided_on": event.decided_on.isoformat(),
            "method": event.method,
            "weights": as_json(event.weights),
            "comparisons": as_json(event.comparisons),
            "consistency_ratio": (None if event.consistency_ratio is None
                                  else str(event.consistency_ratio)),
            "rationale": event.rationale,
            "set_by": event.actor,
            "set_at": instant(event.timestamp),
        })

    @process_event.register
    def _(self, event: Project.ProjectProposed, sql: Sql, position: int) -> None:
        project_id = str(event.originator_id)
        proposed_on = event.proposed_on.isoformat()
        self.pending.add("scoring_members", {
            "project_id": project_id,
            "portfolio_id": str(event.portfolio_id),
            "first_position": position,
            "proposed_on": proposed_on,
            "code": event.code,
            "name": event.name,
            "requested_budget": str(event.requested_budget),
        })
        self._status(project_id, position, Status.PROPOSED.value, proposed_on)

    @process_event.register
    def _(self, event: Project.DecisionApplied, sql: Sql, position: int) -> None:
        self._status(str(event.originator_id), position, event.status_after,
                     event.decided_on.isoformat())

    @process_event.register
    def _(self, event: Project.ProjectCompleted, sql: Sql, position: int) -> None:
        self._status(str(event.originator_id), position, Status.COMPLETED.value,
                     event.completed_on.isoformat())

    @process_event.register
    def _(self, event: Project.ProjectAssessed, sql: Sql, position: int) -> None:
        self.pending.add("scoring_assessments", {
            "project_id": str(event.originator_id),
            "valid_from": position,
            "assessed_on": event.assessed_on.isoformat(),
            "scores": as_json(event.scores),
            "benefit": None if event.benefit is None else str(event.benefit),
            "rationale": event.rationale,
            "assessed_by": event.actor,
            "assessed_at": instant(event.timestamp),
        })

    @process_event.register
    def _(self, event: Scenario.ScenarioRecorded, sql: Sql, position: int) -> None:
        self.pending.add("scoring_scenarios", {
            "scenario_id": str(event.originator_id),
            "portfolio_id": str(event.portfolio_id),
            "position": position,
            "recorded_at": instant(event.timestamp),
            "recorded_by": event.actor,
            "name": event.name,
            "inputs": as_json(event.inputs),
            "result": as_json(event.result),
            "solver": event.solver,
        })

    def _status(self, project_id: str, position: int, status: str, on: str) -> None:
        self.pending.add("scoring_status", {"project_id": project_id, "valid_from": position,
                                            "status": status, "effective_on": on})

    # Reads: as recorded by a log position and, given `on`, in force at the end of that day

    @staticmethod
    def weights(sql: Sql, portfolio_id: str, position: int, on: date | None) -> Row | None:
        """The weights in force for a portfolio."""
        table = "scoring_weights"
        if on is None:
            where, params = newest(table, "portfolio_id", "?"), [portfolio_id, position]
        else:
            where = in_force(sql, table, "portfolio_id", "?", "decided_on")
            params = [portfolio_id, position, portfolio_id, on.isoformat()]
        return sql.execute(
            f"SELECT * FROM {table} WHERE portfolio_id = ? AND valid_from = {where}",
            [portfolio_id, *params],
        ).one()

    @staticmethod
    def weights_of(
        sql: Sql, portfolio_ids: Sequence[str], position: int, on: date | None
    ) -> dict[str, dict[str, Decimal]]:
        """The weights in force for each of several portfolios."""
        found: dict[str, dict[str, Decimal]] = {}
        for ident in sorted(set(portfolio_ids)):
            row = DecisionSupport.weights(sql, ident, position, on)
            if row is not None:
                found[ident] = weights_in(row)
        return found

    @staticmethod
    def standings(
        sql: Sql, portfolio_id: str, position: int, on: date | None
    ) -> list[Row]:
        """Every project of a portfolio with its status and latest assessment in force."""
        status_row, assessment_row, params = in_force_rows(sql, on, position)
        since = "" if on is None else " AND m.proposed_on <= ?"
        return sql.execute(
            "SELECT m.*, s.status, a.scores, a.benefit, a.assessed_on, a.assessed_by,"
            " a.assessed_at FROM scoring_members m"
            f" JOIN scoring_status s ON s.project_id = m.project_id AND s.valid_from = {status_row}"
            " LEFT JOIN scoring_assessments a ON a.project_id = m.project_id"
            f" AND a.valid_from = {assessment_row}"
            f" WHERE m.portfolio_id = ? AND m.first_position <= ?{since}"
            " ORDER BY m.first_position",
            [*params, portfolio_id, position, *([] if on is None else [on.isoformat()])],
        ).all()

    @staticmethod
    def assessments(
        sql: Sql, project_ids: Sequence[str], position: int, on: date | None
    ) -> dict[str, Row]:
        """The latest assessment in force of each project (with its portfolio), if assessed."""
        _, assessment_row, params = in_force_rows(sql, on, position)
        wanted = sorted(set(project_ids))
        if not wanted:
            return {}
        # One statement whatever the number of ids: the ids go as one array (PostgreSQL) or
        # one JSON list (SQLite), so a page of twenty reads as a page of two does.
        listed: list[str] | str
        if sql.dialect == "postgresql":
            ids, listed = "SELECT unnest(?::text[])", wanted
        else:
            ids, listed = "SELECT value FROM json_each(?)", json.dumps(wanted)
        rows = sql.execute(
            "SELECT m.project_id, m.portfolio_id, a.scores, a.benefit, a.assessed_on,"
            " a.assessed_at FROM scoring_members m"
            " JOIN scoring_assessments a ON a.project_id = m.project_id"
            f" AND a.valid_from = {assessment_row}"
            f" WHERE m.project_id IN ({ids})",
            [*params[len(params) // 2:], listed],
        ).all()
        return {row["project_id"]: row for row in rows}

    @staticmethod
    def scenario(sql: Sql, scenario_id: str, position: int) -> Row | None:
        return sql.execute(
            "SELECT * FROM scoring_scenarios WHERE scenario_id = ? AND position <= ?",
            (scenario_id, position),
        ).one()

    @staticmethod
    def scenarios(
        sql: Sql, portfolio_id: str, position: int, *, after: int = 0, limit: int = 100
    ) -> list[Row]:
        """A portfolio's scenarios in the order recorded."""
        return sql.execute(
            "SELECT * FROM scoring_scenarios WHERE portfolio_id = ? AND position <= ?"
            " AND position > ? ORDER BY position LIMIT ?",
            (portfolio_id, position, after, limit),
        ).all()


def in_force_rows(sql: Sql, on: date | None, position: int) -> tuple[str, str, list[Any]]:
    """SQL for the status row and the assessment row in force, and their parameters (the
    status row's first, then the assessment row's, as many of each)."""
    if on is None:
        return (newest("scoring_status", "project_id", "m.project_id"),
                newest("scoring_assessments", "project_id", "m.project_id"),
                [position, position])
    day = on.isoformat()
    return (in_force(sql, "scoring_status", "project_id", "m.project_id", "effective_on"),
            in_force(sql, "scoring_assessments", "project_id", "m.project_id", "assessed_on"),
            [position, day, position, day])


def weights_in(row: Row) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in json.loads(row["weights"]).items()}
