"""The limits of what the ledger stands on: the bare `eventsourcing` library, same payloads.

A minimal application with no snapshots, no loading, no checks and no projections: aggregates
stay in memory and only their new events are written, so its rates are the ceiling the
ledger's own figures are divided by.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder

from domain.transcodings import DateAsISO


class RawProject(Aggregate):
    """A bare aggregate whose events carry what a project's report or decision carries."""

    class Started(Aggregate.Created):
        pass

    class Reported(Aggregate.Event):
        period_end: date
        schedule: str
        cost: str
        scope: str
        quality: str | None
        risk: str | None
        percent_complete: Decimal | None
        planned_value: Decimal | None
        earned_value: Decimal | None
        actual_cost: Decimal | None
        summary: str | None
        actor: str

    class Applied(Aggregate.Event):
        decision_id: UUID
        kind: str
        amount: Decimal | None
        status_before: str
        status_after: str
        actor: str

    class Decided(Aggregate.Event):
        decision_id: UUID
        project_id: UUID
        rationale: str
        decided_on: date
        meeting: str | None
        actor: str
        status_before: str
        status_after: str
        evidence: dict[str, Any]
        amount: Decimal | None


class RawLedger(Application[UUID]):
    """The library with nothing of the ledger's own on top."""

    name = "RawLedger"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


REPORT = {
    "period_end": date(2014, 3, 31), "schedule": "green", "cost": "amber", "scope": "green",
    "quality": None, "risk": "green", "percent_complete": Decimal("42.5"),
    "planned_value": Decimal("1250000.00"), "earned_value": Decimal("1187500.00"),
    "actual_cost": Decimal("1302000.00"),
    "summary": "Vendor delivery slipped two weeks; recovery plan agreed with the sponsor.",
    "actor": "manager:Department of Agriculture",
}
EVIDENCE = {
    "project_version": 14, "status": "active",
    "health": {"overall": "amber", "schedule": "green", "cost": "amber", "scope": "green",
               "quality": None, "risk": "green", "cpi": Decimal("0.9121"),
               "spi": Decimal("0.9500"), "percent_complete": Decimal("42.5"),
               "period_end": date(2014, 3, 31), "stale": False},
}


class RawWriter:
    """Saves report-shaped events one a save, decision-shaped pairs two a save, or batches."""

    def __init__(self, app: RawLedger, aggregates: int = 10) -> None:
        self.app = app
        self.projects = [RawProject() for _ in range(aggregates)]
        self.portfolio = RawProject()
        app.save(self.portfolio, *self.projects)
        self._turn = 0

    def _next(self) -> RawProject:
        self._turn = (self._turn + 1) % len(self.projects)
        return self.projects[self._turn]

    def report(self) -> None:
        project = self._next()
        project.trigger_event(RawProject.Reported, **REPORT)
        self.app.save(project)

    def decision(self) -> None:
        project = self._next()
        decision_id = uuid4()
        project.trigger_event(RawProject.Applied, decision_id=decision_id, kind="pause",
                              amount=None, status_before="active", status_after="paused",
                              actor="board:chair")
        self.portfolio.trigger_event(
            RawProject.Decided, decision_id=decision_id, project_id=project.id,
            rationale="Quarterly review 2014-04-10: paused until the recovery plan is approved.",
            decided_on=date(2014, 4, 10), meeting="Investment review board, 2014-04-10",
            actor="board:chair", status_before="active", status_after="paused",
            evidence=EVIDENCE, amount=None)
        self.app.save(self.portfolio, project)

    def batch(self, events: int) -> None:
        """`events` report-shaped events over the aggregates, in one save."""
        touched: dict[UUID, RawProject] = {}
        for _ in range(events):
            project = self._next()
            project.trigger_event(RawProject.Reported, **REPORT)
            touched[project.id] = project
        self.app.save(*touched.values())


def read_log(app: Application[Any], page: int = 1000) -> int:
    """Read the whole log in pages and deserialise every event; returns how many."""
    count = 0
    for notification in notifications(app, page):
        app.mapper.to_domain_event(notification)
        count += 1
    return count


def notifications(app: Application[Any], page: int = 1000) -> Iterator[Any]:
    start = 0
    while True:
        batch = app.recorder.select_notifications(start=start, limit=page,
                                                  inclusive_of_start=False)
        if not batch:
            return
        yield from batch
        start = batch[-1].id


def hash_bytes(blobs: list[bytes]) -> int:
    """SHA-256 over each blob, the floor of any hash chain or Merkle tree over them."""
    sha256 = hashlib.sha256
    for blob in blobs:
        sha256(blob).digest()
    return len(blobs)
