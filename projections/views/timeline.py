"""When each event was recorded: turns an `as_of` instant into a position in the log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.portfolio import Portfolio
from domain.project import Project
from projections.framework import View, with_subclasses
from projections.models import Moment
from projections.store.database import Sql, instant, parse_instant


class Timeline(View):
    """Every event's recording time, never decreasing along the log.

    A decision writes its portfolio's event and its project's event together; both get the
    same instant, so no `as_of` ever falls between the two halves of one decision.
    """

    name = "timeline"
    reads_all = True
    tables = ("timeline",)
    schema = (
        "CREATE TABLE IF NOT EXISTS timeline ("
        " position BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS timeline_by_instant ON timeline (recorded_at, position)",
    )

    paired = frozenset(get_topic(cls) for cls in with_subclasses(Portfolio.Decision)) | {
        get_topic(Project.DecisionApplied)
    }

    def __init__(self) -> None:
        self.last: str | None = None  # the newest instant in the table, once read
        self.known = False

    def begin(self, sql: Sql, batch: Sequence[tuple[Any, int]]) -> None:
        if not self.known:
            self.last = sql.execute(
                "SELECT recorded_at FROM timeline ORDER BY position DESC LIMIT 1"
            ).scalar()
            self.known = True
        self.pending: list[tuple[int, str]] = []
        self.open_decision: UUID | None = None

    def forget(self) -> None:
        self.known = False

    @singledispatchmethod
    def process_event(self, event: object, sql: Sql, position: int) -> None:
        own = instant(event.timestamp)  # type: ignore[attr-defined]
        if self.last is not None and self.last > own:
            own = self.last
        decision = (
            event.decision_id
            if isinstance(event, Portfolio.Decision | Project.DecisionApplied)
            else None
        )
        if decision is not None and decision == self.open_decision:
            # The decision's other half is the row just before: both take the later instant.
            self.pending[-1] = (self.pending[-1][0], own)
            decision = None
        self.open_decision = decision
        self.last = own
        self.pending.append((position, own))

    def flush(self, sql: Sql) -> None:
        sql.append("timeline", ("position", "recorded_at"), self.pending)

    @staticmethod
    def moment(
        sql: Sql, as_of: datetime | None, reached: int, effective_on: date | None = None
    ) -> Moment:
        """Resolve an instant (None: now) to the last position recorded by then; the business
        date asked about goes with it."""
        if as_of is None:
            return Moment(as_of=datetime.now(UTC), position=reached, effective_on=effective_on)
        position = sql.execute(
            "SELECT position FROM timeline WHERE recorded_at <= ?"
            " ORDER BY recorded_at DESC, position DESC LIMIT 1",
            (instant(as_of),),
        ).scalar()
        return Moment(as_of=as_of.astimezone(UTC), position=min(position or 0, reached),
                      effective_on=effective_on)

    @staticmethod
    def recorded_at(sql: Sql, position: int) -> datetime | None:
        text = sql.execute(
            "SELECT recorded_at FROM timeline WHERE position = ?", (position,)
        ).scalar()
        return None if text is None else parse_instant(text)
