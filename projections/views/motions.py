"""Motions: what the board has been asked to decide, the votes on it, and where it stands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import singledispatchmethod
from typing import Any

from domain.motion import EVIDENCE_CHANGED, Motion, MotionStatus
from domain.project import Project
from projections.framework import History, Pending, View, row_at, rows_in
from projections.store.database import Row, Sql, instant
from projections.views.decisions import plain

COLUMNS = (
    "motion_id",
    "valid_from",
    "portfolio_id",
    "project_id",
    "kind",
    "terms",
    "proposed_by",
    "proposed_role",
    "proposed_at",
    "evidence",
    "required",
    "expires_at",
    "status",
    "reason",
    "votes",
    "decision_id",
    "withdrawn_by",
    "withdrawal_reason",
)
REGISTRY = ("motion_id", "portfolio_id", "project_id", "first_position")
PROJECT_EVENTS = (Project.StatusReported, Project.DecisionApplied, Project.ProjectCompleted)
MOTION_EVENTS = (Motion.Proposed, Motion.Voted, Motion.Carried, Motion.Withdrawn)


class MotionBook(View):
    """Answers: which motions are before the board, with their votes, as of any instant.

    Each motion's rows are valid from a log position. A motion on a project lapses at the
    first event of that project after it was proposed (a new row, status `lapsed`); expiry is
    judged when read, against the instant asked about.
    """

    name = "motions"
    tables = ("motion_registry", "motion_history")
    schema = (
        "CREATE TABLE IF NOT EXISTS motion_registry (motion_id TEXT PRIMARY KEY,"
        " portfolio_id TEXT NOT NULL, project_id TEXT, first_position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS motion_registry_by_portfolio"
        " ON motion_registry (portfolio_id, first_position)",
        "CREATE INDEX IF NOT EXISTS motion_registry_by_project ON motion_registry (project_id)",
        "CREATE INDEX IF NOT EXISTS motion_registry_by_position"
        " ON motion_registry (first_position)",
        "CREATE TABLE IF NOT EXISTS motion_history ("
        + ", ".join(
            f"{c} {'BIGINT' if c in ('valid_from', 'required') else 'TEXT'}" for c in COLUMNS
        )
        + ", PRIMARY KEY (motion_id, valid_from))",
    )

    def __init__(self) -> None:
        self.pending = Pending(motion_registry=REGISTRY, motion_history=COLUMNS)
        self.history = History("motion_history", "motion_id", self.pending)
        self.of_project: dict[str, set[str]] = {}  # the motions on each project in hand

    def begin(self, sql: Sql, batch: Sequence[tuple[Any, int]]) -> None:
        motions = {str(e.originator_id) for e, _ in batch if isinstance(e, MOTION_EVENTS)}
        projects = {str(e.originator_id) for e, _ in batch if isinstance(e, PROJECT_EVENTS)}
        self.of_project = {}
        for row in rows_in(sql, "SELECT motion_id, project_id FROM motion_registry",
                           "project_id", projects):
            self.of_project.setdefault(row["project_id"], set()).add(row["motion_id"])
            motions.add(row["motion_id"])
        self.history.load(sql, motions)

    def flush(self, sql: Sql) -> None:
        self.pending.write(sql)
        self.history.trim()

    def forget(self) -> None:
        self.pending.clear()
        self.history.forget()
        self.of_project = {}

    @singledispatchmethod
    def process_event(self, event: object, sql: Sql, position: int) -> None:
        """Other events leave the motions as they were."""

    @process_event.register
    def _(self, event: Motion.Proposed, sql: Sql, position: int) -> None:
        motion_id = str(event.originator_id)
        project_id = str(event.project_id) if event.project_id else None
        self.pending.add("motion_registry", {
            "motion_id": motion_id, "portfolio_id": str(event.portfolio_id),
            "project_id": project_id, "first_position": position,
        })
        if project_id is not None:
            self.of_project.setdefault(project_id, set()).add(motion_id)
        self.history.record({
            "motion_id": motion_id,
            "portfolio_id": str(event.portfolio_id),
            "project_id": project_id,
            "kind": event.kind,
            "terms": json.dumps(plain(event.terms)),
            "proposed_by": event.actor,
            "proposed_role": event.role,
            "proposed_at": instant(event.timestamp),
            "evidence": json.dumps(plain(event.evidence)),
            "required": event.required,
            "expires_at": instant(event.expires_at),
            "status": MotionStatus.OPEN.value,
            "reason": None,
            "votes": "[]",
            "decision_id": None,
            "withdrawn_by": None,
            "withdrawal_reason": None,
        }, position)

    @process_event.register
    def _(self, event: Motion.Voted, sql: Sql, position: int) -> None:
        row = self.history.following(str(event.originator_id))
        votes = json.loads(row["votes"])
        votes.append({"name": event.actor, "role": event.role, "vote": event.vote,
                      "recorded_at": instant(event.timestamp), "meaning": event.meaning,
                      "comment": event.comment})
        row["votes"] = json.dumps(votes)
        if event.vote == "reject":
            row["status"] = MotionStatus.REJECTED.value
        self.history.record(row, position)

    @process_event.register
    def _(self, event: Motion.Carried, sql: Sql, position: int) -> None:
        row = self.history.following(str(event.originator_id))
        row["status"] = MotionStatus.CARRIED.value
        row["decision_id"] = str(event.decision_id)
        self.history.record(row, position)

    @process_event.register
    def _(self, event: Motion.Withdrawn, sql: Sql, position: int) -> None:
        row = self.history.following(str(event.originator_id))
        row["status"] = MotionStatus.WITHDRAWN.value
        row["withdrawn_by"] = event.actor
        row["withdrawal_reason"] = event.reason
        self.history.record(row, position)

    @process_event.register
    def _(self, event: Project.StatusReported, sql: Sql, position: int) -> None:
        self.lapse(event, position)

    @process_event.register
    def _(self, event: Project.DecisionApplied, sql: Sql, position: int) -> None:
        self.lapse(event, position)

    @process_event.register
    def _(self, event: Project.ProjectCompleted, sql: Sql, position: int) -> None:
        self.lapse(event, position)

    def lapse(self, event: Any, position: int) -> None:
        """A project that changes lapses every open motion on it: the evidence moved."""
        for motion_id in sorted(self.of_project.get(str(event.originator_id), ())):
            if self.history.newest.get(motion_id, {}).get("status") != MotionStatus.OPEN.value:
                continue
            row = self.history.following(motion_id)
            row["status"] = MotionStatus.LAPSED.value
            row["reason"] = EVIDENCE_CHANGED
            self.history.record(row, position)

    # Reads

    @staticmethod
    def motion(sql: Sql, motion_id: str, position: int) -> Row | None:
        return row_at(sql, "motion_history", "motion_id", motion_id, position)

    @staticmethod
    def motions(
        sql: Sql,
        position: int,
        at: datetime,
        *,
        portfolio_id: str | None = None,
        status: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Row]:
        """Motions as they stood at a position (expiry judged at the instant `at`), in the
        order proposed."""
        where = ["r.first_position <= ?", "r.first_position > ?"]
        params: list[Any] = [position, position, after]
        if portfolio_id is not None:
            where.append("r.portfolio_id = ?")
            params.append(portfolio_id)
        if status == MotionStatus.OPEN.value:
            where.append("h.status = 'open' AND h.expires_at > ?")
            params.append(instant(at))
        elif status == MotionStatus.EXPIRED.value:
            where.append("h.status = 'open' AND h.expires_at <= ?")
            params.append(instant(at))
        elif status is not None:
            where.append("h.status = ?")
            params.append(status)
        params.append(limit)
        return sql.execute(
            "SELECT h.*, r.first_position FROM motion_registry r"
            " JOIN motion_history h ON h.motion_id = r.motion_id AND h.valid_from = ("
            "  SELECT MAX(valid_from) FROM motion_history"
            "  WHERE motion_id = r.motion_id AND valid_from <= ?)"
            f" WHERE {' AND '.join(where)} ORDER BY r.first_position LIMIT ?",
            params,
        ).all()
