"""The decision log: who decided what, when, why, and on what evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from domain.portfolio import Portfolio
from domain.project import Project
from projections.framework import IN_CHUNK, Pending, View, keep_recent, rows_in
from projections.store.database import Row, Sql, instant

COLUMNS = (
    "decision_id",
    "position",
    "portfolio_id",
    "project_id",
    "project_code",
    "project_name",
    "kind",
    "amount",
    "released",
    "rationale",
    "meeting",
    "decided_by",
    "decided_on",
    "recorded_at",
    "status_before",
    "status_after",
    "evidence",
    "rescinds",
    "budget_before",
    "budget_after",
    "policy_before",
    "policy_after",
    "motion_id",
    "proposed_by",
    "approved_by",
)
# A correction of a decision's words: who, when, why, and the words (rationale and meeting, as
# JSON) in force before it and after it; the decision's own row keeps the words it was recorded
# with, so a read as of an earlier instant shows those.
CORRECTION_COLUMNS = (
    "decision_id", "position", "recorded_at", "corrected_by", "reason", "before", "after",
)
LOGGED = (Portfolio.Decision, Portfolio.BudgetRevised, Portfolio.PolicyChanged)
KINDS = {
    Portfolio.ProjectFunded: "fund",
    Portfolio.ProjectPaused: "pause",
    Portfolio.ProjectResumed: "resume",
    Portfolio.ProjectDiscontinued: "discontinue",
    Portfolio.DecisionRescinded: "rescind",
}
Words = dict[str, Any]  # a decision's rationale and meeting


def plain(value: Any) -> Any:
    """Evidence as JSON: decimals and dates as strings, exactly as recorded."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def text(value: Any) -> str | None:
    return None if value is None else str(value)


NO_CHANGE = {"budget_before": None, "budget_after": None, "policy_before": None,
             "policy_after": None}


def carried(event: Any) -> Row:
    """The motion that carried a decision, its proposer and its approvals (none: recorded at
    once)."""
    return {
        "motion_id": str(event.motion_id) if event.motion_id else None,
        "proposed_by": event.proposed_by,
        "approved_by": json.dumps([plain(signature) for signature in event.approved_by]),
    }


class DecisionLog(View):
    """Answers: every decision, with its reasons and evidence, filterable and in order."""

    name = "decisions"
    version = 3  # rescissions and corrections; budget and policy decisions; motions
    reads_from = frozenset({"timeline"})  # `begin` reads when the log took each decision
    tables = ("decisions", "decision_projects", "decision_corrections")
    schema = (
        "CREATE TABLE IF NOT EXISTS decision_projects ("
        " project_id TEXT PRIMARY KEY, code TEXT, name TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS decisions ("
        + ", ".join(f"{c} {'BIGINT' if c == 'position' else 'TEXT'}" for c in COLUMNS)
        + ", PRIMARY KEY (decision_id))",
        "CREATE UNIQUE INDEX IF NOT EXISTS decisions_by_position ON decisions (position)",
        "CREATE INDEX IF NOT EXISTS decisions_by_portfolio ON decisions (portfolio_id, position)",
        "CREATE INDEX IF NOT EXISTS decisions_by_project ON decisions (project_id, position)",
        "CREATE INDEX IF NOT EXISTS decisions_by_actor ON decisions (decided_by, position)",
        "CREATE INDEX IF NOT EXISTS decisions_by_rescinded ON decisions (rescinds, position)",
        "CREATE TABLE IF NOT EXISTS decision_corrections ("
        + ", ".join(f"{c} {'BIGINT' if c == 'position' else 'TEXT'}" for c in CORRECTION_COLUMNS)
        + ", PRIMARY KEY (decision_id, position))",
    )

    def __init__(self) -> None:
        self.pending = Pending(decision_projects=("project_id", "code", "name"), decisions=COLUMNS,
                               decision_corrections=CORRECTION_COLUMNS)
        self.projects: dict[str, Row] = {}  # a project's code and name never change
        self.words: dict[str, Words] = {}  # the words in force of decisions seen lately

    def begin(self, sql: Sql, batch: Sequence[tuple[Any, int]]) -> None:
        decisions = [(e, position) for e, position in batch if isinstance(e, LOGGED)]
        corrections = [
            (e, position) for e, position in batch if isinstance(e, Portfolio.DecisionCorrected)
        ]
        unknown = {str(e.project_id) for e, _ in decisions
                   if isinstance(e, Portfolio.Decision)} - self.projects.keys()
        self.projects.update(
            (row["project_id"], row)
            for row in rows_in(sql, "SELECT * FROM decision_projects", "project_id", unknown)
        )
        self.recorded = {
            int(row["position"]): row["recorded_at"]
            for row in rows_in(
                sql,
                "SELECT position, recorded_at FROM timeline",
                "position",
                (position for _, position in decisions + corrections),
            )
        }
        self.load_words(sql, {str(e.decision_id) for e, _ in corrections} - self.words.keys())

    def load_words(self, sql: Sql, ids: set[str]) -> None:
        """The words in force of decisions a batch corrects: as recorded, or as last corrected."""
        for row in rows_in(sql, "SELECT decision_id, rationale, meeting FROM decisions",
                           "decision_id", ids):
            self.words[row["decision_id"]] = {"rationale": row["rationale"],
                                              "meeting": row["meeting"]}
        corrected = rows_in(sql, "SELECT decision_id, position, after FROM decision_corrections",
                            "decision_id", ids)
        for row in sorted(corrected, key=lambda row: int(row["position"])):
            self.words[row["decision_id"]] = json.loads(row["after"])

    def flush(self, sql: Sql) -> None:
        self.pending.write(sql)
        keep_recent(self.projects)
        keep_recent(self.words)

    def forget(self) -> None:
        self.pending.clear()
        self.projects.clear()
        self.words.clear()

    @singledispatchmethod
    def process_event(self, event: object, sql: Sql, position: int) -> None:
        """Other events are not decisions."""

    @process_event.register
    def _(self, event: Project.ProjectProposed, sql: Sql, position: int) -> None:
        project_id = str(event.originator_id)
        row = {"project_id": project_id, "code": event.code, "name": event.name}
        self.projects[project_id] = row
        self.pending.add("decision_projects", row)

    @process_event.register
    def _(self, event: Portfolio.Decision, sql: Sql, position: int) -> None:
        project = self.projects.get(str(event.project_id), {"code": None, "name": None})
        # When the log took it, as the timeline says: an as_of read at that instant includes it.
        recorded_at = self.recorded.get(position) or instant(event.timestamp)
        row = {
            "decision_id": str(event.decision_id),
            "position": position,
            "portfolio_id": str(event.originator_id),
            "project_id": str(event.project_id),
            "project_code": project["code"],
            "project_name": project["name"],
            "kind": KINDS[type(event)],
            "amount": text(getattr(event, "amount", None)),
            "released": text(getattr(event, "released", None)),
            "rationale": event.rationale,
            "meeting": event.meeting,
            "decided_by": event.actor,
            "decided_on": event.decided_on.isoformat(),
            "recorded_at": recorded_at,
            "status_before": event.status_before,
            "status_after": event.status_after,
            "evidence": json.dumps(plain(event.evidence)),
            "rescinds": text(getattr(event, "rescinds", None)),
            **NO_CHANGE,
            **carried(event),
        }
        self.words[row["decision_id"]] = {"rationale": event.rationale, "meeting": event.meeting}
        self.pending.add("decisions", row)

    @process_event.register
    def _(self, event: Portfolio.DecisionCorrected, sql: Sql, position: int) -> None:
        decision_id = str(event.decision_id)
        before = self.words.get(decision_id)
        if before is None:  # the domain corrects only decisions it recorded
            raise ValueError(f"a correction of decision {decision_id}, which the log never took")
        after = {**before, **event.corrected}
        self.words[decision_id] = after
        self.pending.add("decision_corrections", {
            "decision_id": decision_id,
            "position": position,
            "recorded_at": self.recorded.get(position) or instant(event.timestamp),
            "corrected_by": event.actor,
            "reason": event.reason,
            "before": json.dumps(before),
            "after": json.dumps(after),
        })

    @process_event.register
    def _(self, event: Portfolio.BudgetRevised, sql: Sql, position: int) -> None:
        self.words[str(event.decision_id)] = {"rationale": event.rationale,
                                               "meeting": event.meeting}
        self.pending.add("decisions", {
            **self.portfolio_decision(event, position, "budget"),
            "budget_before": str(event.budget_before),
            "budget_after": str(event.budget),
        })

    @process_event.register
    def _(self, event: Portfolio.PolicyChanged, sql: Sql, position: int) -> None:
        self.words[str(event.decision_id)] = {"rationale": event.rationale,
                                               "meeting": event.meeting}
        self.pending.add("decisions", {
            **self.portfolio_decision(event, position, "policy"),
            "policy_before": json.dumps(event.policy_before),
            "policy_after": json.dumps(event.policy),
        })

    def portfolio_decision(self, event: Any, position: int, kind: str) -> Row:
        """A decision on the portfolio itself: no project, no status."""
        return {
            "decision_id": str(event.decision_id),
            "position": position,
            "portfolio_id": str(event.originator_id),
            "project_id": None,
            "project_code": None,
            "project_name": None,
            "kind": kind,
            "amount": None,
            "released": None,
            "rationale": event.rationale,
            "meeting": event.meeting,
            "decided_by": event.actor,
            "decided_on": event.decided_on.isoformat(),
            "recorded_at": self.recorded.get(position) or instant(event.timestamp),
            "status_before": None,
            "status_after": None,
            "evidence": json.dumps(plain(event.evidence)),
            "rescinds": None,
            **NO_CHANGE,
            **carried(event),
        }

    # Reads

    @staticmethod
    def amendments(
        sql: Sql, ids: Sequence[str], position: int, on: date | None = None
    ) -> tuple[dict[str, list[Row]], dict[str, str]]:
        """For the decisions named, as recorded by a position: the corrections of each, oldest
        first, and the rescission of each rescinded (on a business date, one taken by then)."""
        corrections: dict[str, list[Row]] = {}
        rescinded_by: dict[str, str] = {}
        wanted = sorted(set(ids))
        taken = "" if on is None else " AND decided_on <= ?"
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in sql.execute(
                f"SELECT * FROM decision_corrections WHERE decision_id IN ({marks})"
                " AND position <= ? ORDER BY position", (*chunk, position)
            ).all():
                corrections.setdefault(row["decision_id"], []).append(row)
            for row in sql.execute(
                f"SELECT decision_id, rescinds FROM decisions WHERE rescinds IN ({marks})"
                f" AND position <= ?{taken}",
                (*chunk, position, *([] if on is None else [on.isoformat()])),
            ).all():
                rescinded_by[row["rescinds"]] = row["decision_id"]
        return corrections, rescinded_by

    @staticmethod
    def decision(
        sql: Sql, decision_id: str, position: int, on: date | None = None
    ) -> Row | None:
        """A decision recorded by a position (and, given a business date, taken by then)."""
        taken = "" if on is None else " AND decided_on <= ?"
        return sql.execute(
            f"SELECT * FROM decisions WHERE decision_id = ? AND position <= ?{taken}",
            (decision_id, position, *([] if on is None else [on.isoformat()])),
        ).one()

    @staticmethod
    def decisions(
        sql: Sql,
        position: int,
        *,
        after: int = 0,
        before: int | None = None,
        newest_first: bool = False,
        limit: int = 100,
        **filters: Any,
    ) -> list[Row]:
        """Decisions up to a position (and, given a business date `on`, taken by then), in
        the order recorded (or newest first), between the positions `after` and `before`.

        `since`/`until` given as dates bound `decided_on`; given as instants, `recorded_at`.
        """
        where, params = DecisionLog.matching(position, after, before, **filters)
        order = "DESC" if newest_first else ""
        params.append(limit)
        return sql.execute(
            f"SELECT * FROM decisions WHERE {' AND '.join(where)} ORDER BY position {order} "
            "LIMIT ?", params
        ).all()

    @staticmethod
    def count(sql: Sql, position: int, *, after: int = 0, **filters: Any) -> int:
        """How many decisions `decisions` would list after a position, on every page."""
        where, params = DecisionLog.matching(position, after, None, **filters)
        row = sql.execute(
            f"SELECT COUNT(*) AS n FROM decisions WHERE {' AND '.join(where)}", params).one()
        return int(row["n"]) if row else 0

    @staticmethod
    def matching(
        position: int,
        after: int,
        before: int | None,
        *,
        portfolio_id: str | None = None,
        project_id: str | None = None,
        kind: str | None = None,
        decided_by: str | None = None,
        decided_by_prefix: str | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        on: date | None = None,
    ) -> tuple[list[str], list[Any]]:
        """The WHERE terms and their values for a filtered list of decisions."""
        where = ["position <= ?", "position > ?"]
        params: list[Any] = [position, after]
        if before is not None:
            where.append("position < ?")
            params.append(before)
        if on is not None:
            where.append("decided_on <= ?")
            params.append(on.isoformat())
        for column, value in (
            ("portfolio_id", portfolio_id),
            ("project_id", project_id),
            ("kind", kind),
            ("decided_by", decided_by),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if decided_by_prefix:
            # Case-insensitive on both stores (PostgreSQL's LIKE is case-sensitive).
            escaped = (decided_by_prefix.lower().replace("\\", "\\\\").replace("%", "\\%")
                       .replace("_", "\\_"))
            where.append("LOWER(decided_by) LIKE ? ESCAPE '\\'")
            params.append(f"{escaped}%")
        for bound, operator in ((since, ">="), (until, "<=")):
            if isinstance(bound, datetime):
                where.append(f"recorded_at {operator} ?")
                params.append(instant(bound))
            elif isinstance(bound, date):
                where.append(f"decided_on {operator} ?")
                params.append(bound.isoformat())
        return where, params
