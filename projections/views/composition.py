"""Portfolio composition: budget, allocation and the projects in each status and health."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any

from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio
from domain.project import Project
from projections.framework import IN_CHUNK, History, Pending, View, in_force, row_at
from projections.store.database import Row, Sql, instant

PORTFOLIO_COLUMNS = (
    "portfolio_id",
    "valid_from",
    "recorded_at",
    "version",
    "name",
    "currency",
    "budget",
    "cadence_days",
    "objectives",
    "created_at",
    "created_by",
    "allocated",
    "created_on",
    "policy",
    "budgets",
    "policies",
)
# `policy` is the policy in force as recorded; `budgets` and `policies` every envelope and
# policy with the business date each took effect (`[[date, value], ...]`), for a read on a date.
# `effective_on`: the business date the row's status and funding took effect (a report's row
# keeps it; its report took effect on `period_end`). `allocated`: what the project holds of its
# portfolio's budget (its funding, none once discontinued).
MEMBER_COLUMNS = (
    "project_id",
    "valid_from",
    "portfolio_id",
    "code",
    "name",
    "status",
    "funded",
    "overall",
    "effective_on",
    "period_end",
    "allocated",
)
MEMBER_FIELDS = ("project_id", "portfolio_id", "code", "name", "status", "funded", "allocated")
HEALTH_BANDS = ("green", "amber", "red", "unknown")
PORTFOLIO_EVENTS = (Portfolio.PortfolioCreated, Portfolio.Decision, Portfolio.BudgetRevised,
                    Portfolio.PolicyChanged)


class PortfolioComposition(View):
    """Answers: what is in the portfolio, what is it funded with, how healthy is it?"""

    name = "composition"
    version = 3  # 2: business dates (created_on, effective_on); 3: budgets revised, policies
    tables = (
        "composition_portfolios",
        "composition_registry",
        "composition_members",
        "composition_member_history",
    )
    schema = (
        "CREATE TABLE IF NOT EXISTS composition_registry ("
        " portfolio_id TEXT PRIMARY KEY, first_position BIGINT NOT NULL, created_on TEXT)",
        "CREATE INDEX IF NOT EXISTS composition_registry_by_position"
        " ON composition_registry (first_position)",
        "CREATE TABLE IF NOT EXISTS composition_portfolios ("
        + ", ".join(
            f"{c} {'BIGINT' if c in ('valid_from', 'version', 'cadence_days') else 'TEXT'}"
            for c in PORTFOLIO_COLUMNS
        )
        + ", PRIMARY KEY (portfolio_id, valid_from))",
        "CREATE TABLE IF NOT EXISTS composition_members ("
        " project_id TEXT PRIMARY KEY, portfolio_id TEXT NOT NULL, first_position BIGINT NOT NULL,"
        " proposed_on TEXT)",
        "CREATE INDEX IF NOT EXISTS composition_members_by_portfolio"
        " ON composition_members (portfolio_id, first_position)",
        "CREATE TABLE IF NOT EXISTS composition_member_history ("
        + ", ".join(f"{c} {'BIGINT' if c == 'valid_from' else 'TEXT'}" for c in MEMBER_COLUMNS)
        + ", PRIMARY KEY (project_id, valid_from))",
        "CREATE INDEX IF NOT EXISTS composition_member_history_in_force"
        " ON composition_member_history (project_id, effective_on, valid_from)",
        "CREATE INDEX IF NOT EXISTS composition_member_history_by_period"
        " ON composition_member_history (project_id, period_end, valid_from)",
    )

    def __init__(self) -> None:
        self.pending = Pending(
            composition_registry=("portfolio_id", "first_position", "created_on"),
            composition_portfolios=PORTFOLIO_COLUMNS,
            composition_members=("project_id", "portfolio_id", "first_position", "proposed_on"),
            composition_member_history=MEMBER_COLUMNS,
        )
        self.portfolio_history = History("composition_portfolios", "portfolio_id", self.pending)
        self.member_history = History("composition_member_history", "project_id", self.pending)

    def begin(self, sql: Sql, batch: Sequence[tuple[Any, int]]) -> None:
        portfolios: set[str] = set()
        members: set[str] = set()
        for event, _ in batch:
            (portfolios if isinstance(event, PORTFOLIO_EVENTS) else members).add(
                str(event.originator_id)
            )
        self.portfolio_history.load(sql, portfolios)
        self.member_history.load(sql, members)

    def flush(self, sql: Sql) -> None:
        self.pending.write(sql)
        self.portfolio_history.trim()
        self.member_history.trim()

    def forget(self) -> None:
        self.pending.clear()
        self.portfolio_history.forget()
        self.member_history.forget()

    @singledispatchmethod
    def process_event(self, event: object, sql: Sql, position: int) -> None:
        """Other events leave the composition as it was."""

    @process_event.register
    def _(self, event: Portfolio.PortfolioCreated, sql: Sql, position: int) -> None:
        portfolio_id = str(event.originator_id)
        created_on = event.created_on.isoformat()
        self.pending.add(
            "composition_registry",
            {"portfolio_id": portfolio_id, "first_position": position, "created_on": created_on},
        )
        objectives = [{**o, "weight": str(o["weight"])} for o in event.objectives]
        row = {
            "portfolio_id": portfolio_id,
            "name": event.name,
            "currency": event.currency,
            "budget": str(event.budget),
            "cadence_days": event.reporting_cadence_days,
            "objectives": json.dumps(objectives),
            "created_at": instant(event.timestamp),
            "created_by": event.actor,
            "allocated": "0.00",
            "created_on": created_on,
            "policy": json.dumps(event.policy),
            "budgets": json.dumps([[created_on, str(event.budget)]]),
            "policies": json.dumps([[created_on, event.policy]]),
        }
        self._portfolio_row(row, event, position)

    @process_event.register
    def _(self, event: Portfolio.BudgetRevised, sql: Sql, position: int) -> None:
        row = self.portfolio_history.following(str(event.originator_id))
        row["budget"] = str(event.budget)
        budgets = json.loads(row["budgets"])
        row["budgets"] = json.dumps([*budgets, [event.decided_on.isoformat(), str(event.budget)]])
        self._portfolio_row(row, event, position)

    @process_event.register
    def _(self, event: Portfolio.PolicyChanged, sql: Sql, position: int) -> None:
        row = self.portfolio_history.following(str(event.originator_id))
        row["policy"] = json.dumps(event.policy)
        policies = json.loads(row["policies"])
        row["policies"] = json.dumps([*policies, [event.decided_on.isoformat(), event.policy]])
        self._portfolio_row(row, event, position)

    @process_event.register
    def _(self, event: Portfolio.Decision, sql: Sql, position: int) -> None:
        row = self.portfolio_history.following(str(event.originator_id))
        # A fund allocates its amount, a discontinue gives back what it released; a rescission
        # either gives back (a fund rescinded) or allocates again (a discontinue rescinded).
        allocated = Decimal(row["allocated"])
        allocated += getattr(event, "amount", None) or 0
        allocated -= getattr(event, "released", None) or 0
        row["allocated"] = str(allocated)
        self._portfolio_row(row, event, position)

    @process_event.register
    def _(self, event: Project.ProjectProposed, sql: Sql, position: int) -> None:
        project_id = str(event.originator_id)
        proposed_on = event.proposed_on.isoformat()
        self.pending.add(
            "composition_members",
            {
                "project_id": project_id,
                "portfolio_id": str(event.portfolio_id),
                "first_position": position,
                "proposed_on": proposed_on,
            },
        )
        row = {
            "project_id": project_id,
            "portfolio_id": str(event.portfolio_id),
            "code": event.code,
            "name": event.name,
            "status": Status.PROPOSED.value,
            "funded": "0.00",
            "overall": "unknown",
            "effective_on": proposed_on,
            "period_end": None,
            "allocated": "0.00",
        }
        self.member_history.record(row, position)

    @process_event.register
    def _(self, event: Project.StatusReported, sql: Sql, position: int) -> None:
        row = self._member(event)
        row["overall"] = str(event.health().overall)
        row["period_end"] = event.period_end.isoformat()
        self.member_history.record(row, position)

    @process_event.register
    def _(self, event: Project.DecisionApplied, sql: Sql, position: int) -> None:
        row = self._member(event)
        row["status"] = event.status_after
        row["effective_on"] = event.decided_on.isoformat()
        if event.amount is not None:
            row["funded"] = str(Decimal(row["funded"]) + event.amount)
            row["allocated"] = str(Decimal(row["allocated"]) + event.amount)
        if event.status_after == Status.DISCONTINUED.value:
            row["allocated"] = "0.00"  # the portfolio takes its funding back
        elif event.kind == DecisionKind.RESCIND.value:
            row["allocated"] = row["funded"]  # what it held before the decision rescinded
        self.member_history.record(row, position)

    @process_event.register
    def _(self, event: Project.ProjectCompleted, sql: Sql, position: int) -> None:
        row = self._member(event)
        row["status"] = Status.COMPLETED.value
        row["effective_on"] = event.completed_on.isoformat()
        self.member_history.record(row, position)

    def _member(self, event: Any) -> Row:
        return self.member_history.following(str(event.originator_id))

    def _portfolio_row(self, row: Row, event: Any, position: int) -> None:
        self.portfolio_history.record_event(row, event, position)

    # Reads

    @staticmethod
    def portfolio(sql: Sql, portfolio_id: str, position: int) -> Row | None:
        return row_at(sql, "composition_portfolios", "portfolio_id", portfolio_id, position)

    @staticmethod
    def portfolios(sql: Sql, position: int, *, after: int = 0, limit: int = 100) -> list[Row]:
        """Portfolios as they stood at a position, oldest first."""
        return sql.execute(
            "SELECT h.*, r.first_position FROM composition_registry r"
            " JOIN composition_portfolios h ON h.portfolio_id = r.portfolio_id AND h.valid_from = ("
            "  SELECT MAX(valid_from) FROM composition_portfolios"
            "  WHERE portfolio_id = r.portfolio_id AND valid_from <= ?)"
            " WHERE r.first_position <= ? AND r.first_position > ?"
            " ORDER BY r.first_position LIMIT ?",
            (position, position, after, limit),
        ).all()

    @staticmethod
    def members(sql: Sql, portfolio_id: str, position: int) -> list[Row]:
        """The portfolio's projects as they stood at a position, in the order proposed."""
        return sql.execute(
            "SELECT h.* FROM composition_members m"
            " JOIN composition_member_history h ON h.project_id = m.project_id AND h.valid_from = ("
            "  SELECT MAX(valid_from) FROM composition_member_history"
            "  WHERE project_id = m.project_id AND valid_from <= ?)"
            " WHERE m.portfolio_id = ? AND m.first_position <= ?"
            " ORDER BY m.first_position",
            (position, portfolio_id, position),
        ).all()


    # Reads on a business date: the state in force at the end of `on`, as recorded by `position`

    @staticmethod
    def portfolio_on(sql: Sql, portfolio_id: str, position: int, on: date) -> Row | None:
        """The portfolio as it stood on a business date: its own row as recorded by the
        position, if it was opened by then, allocating what its members held on that date."""
        found = PortfolioComposition.composition_on(sql, portfolio_id, position, on)
        return None if found is None else found[0]

    @staticmethod
    def composition_on(
        sql: Sql, portfolio_id: str, position: int, on: date
    ) -> tuple[Row, list[Row]] | None:
        """The portfolio as it stood on a business date (`portfolio_on`) and its members then,
        read once for both."""
        row = row_at(sql, "composition_portfolios", "portfolio_id", portfolio_id, position)
        if row is None or row["created_on"] > on.isoformat():
            return None
        members = PortfolioComposition.members_on(sql, [portfolio_id], position, on)
        return stood_on([row], members, on)[0], members

    @staticmethod
    def portfolios_on(
        sql: Sql, position: int, on: date, *, after: int = 0, limit: int = 100
    ) -> list[Row]:
        """Portfolios as they stood on a business date, oldest first."""
        rows = sql.execute(
            "SELECT h.*, r.first_position FROM composition_registry r"
            " JOIN composition_portfolios h ON h.portfolio_id = r.portfolio_id AND h.valid_from = ("
            "  SELECT MAX(valid_from) FROM composition_portfolios"
            "  WHERE portfolio_id = r.portfolio_id AND valid_from <= ?)"
            " WHERE r.first_position <= ? AND r.first_position > ? AND r.created_on <= ?"
            " ORDER BY r.first_position LIMIT ?",
            (position, position, after, on.isoformat(), limit),
        ).all()
        return allocated_on(sql, rows, position, on)

    @staticmethod
    def members_on(
        sql: Sql, portfolio_ids: Sequence[str], position: int, on: date
    ) -> list[Row]:
        """The portfolios' projects as they stood on a business date, in the order proposed:
        each its status and funding in force then, and the health of its last report whose
        period had ended by then."""
        members: list[Row] = []
        wanted = sorted(set(portfolio_ids))
        table = "composition_member_history"
        status_row = in_force(sql, table, "project_id", "m.project_id", "effective_on")
        report_row = in_force(sql, table, "project_id", "m.project_id", "period_end")
        fields = ", ".join(f"s.{field}" for field in MEMBER_FIELDS)
        day = on.isoformat()
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            members += sql.execute(
                f"SELECT {fields}, COALESCE(r.overall, 'unknown') AS overall"
                " FROM composition_members m"
                f" JOIN {table} s ON s.project_id = m.project_id AND s.valid_from = {status_row}"
                f" LEFT JOIN {table} r ON r.project_id = m.project_id"
                f" AND r.valid_from = {report_row}"
                f" WHERE m.portfolio_id IN ({', '.join('?' * len(chunk))})"
                " AND m.first_position <= ? AND m.proposed_on <= ?"
                " ORDER BY m.first_position",
                (position, day, position, day, *chunk, position, day),
            ).all()
        return members


def allocated_on(sql: Sql, rows: list[Row], position: int, on: date) -> list[Row]:
    """Portfolio rows allocating what their members held on a business date: decisions on
    different projects are not ordered by date, so a portfolio's own rows cannot say."""
    members = PortfolioComposition.members_on(sql, [row["portfolio_id"] for row in rows],
                                              position, on)
    return stood_on(rows, members, on)


def stood_on(rows: list[Row], members: list[Row], on: date) -> list[Row]:
    """Portfolio rows as they stood on a business date, given their members then: the members'
    allocations summed, and the budget and policy in force."""
    held: dict[str, Decimal] = {row["portfolio_id"]: Decimal("0.00") for row in rows}
    for member in members:
        held[member["portfolio_id"]] += Decimal(member["allocated"])
    return [{**row, "allocated": str(held[row["portfolio_id"]]),
             "budget": in_force_on(row["budgets"], on, row["budget"]),
             "policy": json.dumps(in_force_on(row["policies"], on, json.loads(row["policy"])))}
            for row in rows]


def in_force_on(dated: str, on: date, latest: Any) -> Any:
    """Of `[[date, value], ...]` (in the order recorded), the value in force at the end of a
    business date: the latest dated on or before it (of two on one date, the later recorded);
    before any of them, the first."""
    entries = json.loads(dated)
    day = on.isoformat()
    chosen = max(((when, index) for index, (when, _) in enumerate(entries) if when <= day),
                 default=None)
    return latest if not entries else entries[chosen[1] if chosen else 0][1]


def summarise(portfolio: Row, members: list[Row]) -> dict[str, Any]:
    """Budget, allocation and the counts the board reads first."""
    budget = Decimal(portfolio["budget"])
    allocated = Decimal(portfolio["allocated"])
    counts = dict.fromkeys((status.value for status in Status), 0)
    funded = dict.fromkeys((status.value for status in Status), Decimal("0.00"))
    by_health = dict.fromkeys(HEALTH_BANDS, 0)
    for member in members:
        counts[member["status"]] += 1
        funded[member["status"]] += Decimal(member["funded"])
        if Status(member["status"]).is_delivering:
            by_health[member["overall"]] += 1
    return {
        "budget": budget,
        "allocated": allocated,
        "available": budget - allocated,
        "by_status": {
            status: {"count": counts[status], "funded": funded[status]} for status in counts
        },
        "by_health": by_health,
    }
