"""The export bundle: the events as stored, one NDJSON line each, then the manifest.

Each event line carries the stored bytes (``state``, base64) so its leaf can be recomputed
offline (`projections.audit.offline`), and the decoded data for the reader. A bundle of a subset
carries each event's inclusion proof against the manifest's tree.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.motion import Motion
from domain.project import Project
from domain.scenario import Scenario
from projections.audit import merkle
from projections.audit.heads import ALGORITHM, HeadSigner, head_and_position
from projections.audit.seal import READ_BATCH, SealedTree, event_leaf, stored_events
from projections.store.database import Database, instant
from projections.views.timeline import Timeline

NDJSON = "application/x-ndjson"  # the media type of an audit bundle
BUNDLE_FORMAT = "portfolio-ledger-bundle:v1"
# The events that make an aggregate one of a portfolio's (they name the portfolio): its
# projects, its motions and its scenarios.
MEMBERS_CREATED = (Project.ProjectProposed.__name__, Motion.Proposed.__name__,
                   Scenario.ScenarioRecorded.__name__)

# A stored event as the ledger lists it (`projections.service.event_item`).
Describe = Callable[[Notification], dict[str, Any]]


# The fields that date a fact in the organisation, in the order an event is looked for them;
# an event with none of them took effect on the day it was recorded.
BUSINESS_DATES = ("created_on", "proposed_on", "decided_on", "period_end", "completed_on",
                  "assessed_on")


@dataclass(frozen=True)
class Filters:
    """Which events a bundle holds: one portfolio's (and its projects'), recorded within
    instants, and in force by the end of a business date (`effective_on`)."""

    portfolio_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    effective_on: date | None = None

    @property
    def subset(self) -> bool:
        return any(value is not None
                   for value in (self.portfolio_id, self.since, self.until, self.effective_on))

    def public(self) -> dict[str, str | None]:
        return {
            "portfolio_id": str(self.portfolio_id) if self.portfolio_id else None,
            "since": instant(self.since) if self.since else None,
            "until": instant(self.until) if self.until else None,
            "effective_on": self.effective_on.isoformat() if self.effective_on else None,
        }


def business_date(record: dict[str, Any], recorded: datetime) -> date:
    """The day an event's fact took effect: its own business date, else the day recorded."""
    data = record["data"]
    for field in BUSINESS_DATES:
        value = data.get(field)
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                break
    return recorded.date()


def bundle_lines(
    database: Database,
    describe: Describe,
    filters: Filters = Filters(),
    signer: HeadSigner | None = None,
) -> Iterator[str]:
    """The audit bundle as NDJSON lines: the events, then the manifest.

    ``since`` and ``until`` bound the timeline's recording instant, as ``as_of`` reads do, so
    the two halves of one decision are never split. Events are read in batches (constant
    memory).
    """
    head, last_position = head_and_position(database, signer, None)
    members: set[UUID | str] = set()
    count = 0
    batch: list[Notification] = []
    for notification in stored_events(database, last_position):
        batch.append(notification)
        if len(batch) == READ_BATCH:
            chosen = _choose(database, describe, batch, filters, members)
            count += len(chosen)
            yield from _lines(database, chosen, head.tree_size, filters.subset)
            batch = []
    chosen = _choose(database, describe, batch, filters, members)
    count += len(chosen)
    yield from _lines(database, chosen, head.tree_size, filters.subset)
    manifest: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "count": count,
        **head.public(),
        "subset": filters.subset,
        "filters": filters.public(),
    }
    if signer is not None:
        manifest.update(public_key=signer.published().public_key, algorithm=ALGORITHM)
    yield json.dumps({"manifest": manifest}, separators=(",", ":")) + "\n"


def _choose(
    database: Database,
    describe: Describe,
    batch: list[Notification],
    filters: Filters,
    members: set[UUID | str],
) -> list[dict[str, Any]]:
    """The batch's events the filters select, as bundle lines."""
    instants: dict[int, datetime | None] = {}
    if filters.since is not None or filters.until is not None:
        with database.transaction(commit=False) as sql:
            instants = {n.id: Timeline.recorded_at(sql, n.id) for n in batch}
    chosen = []
    for notification in batch:
        record = describe(notification)
        recorded = instants.get(notification.id) or record["recorded_at"]
        if _selected(notification.originator_id, record, recorded, filters, members):
            chosen.append(_event_line(notification, record))
    return chosen


def _selected(
    originator_id: UUID | str,
    record: dict[str, Any],
    recorded: datetime | None,
    filters: Filters,
    members: set[UUID | str],
) -> bool:
    """Whether the filters keep an event; one that cannot be read, and so cannot be dated,
    is kept by any bounds in time."""
    if filters.portfolio_id is not None:
        if record["type"] in MEMBERS_CREATED and (
            record["data"].get("portfolio_id") == str(filters.portfolio_id)
        ):
            members.add(originator_id)
        if originator_id != filters.portfolio_id and originator_id not in members:
            return False
    if recorded is None:
        return True
    if filters.since is not None and recorded < filters.since:
        return False
    if filters.until is not None and recorded > filters.until:
        return False
    return filters.effective_on is None or business_date(record, recorded) <= filters.effective_on


def _event_line(notification: Notification, record: dict[str, Any]) -> dict[str, Any]:
    """One event of the bundle. One that cannot be read is there too, as `Unreadable`, with
    its true leaf, its values where they have the types the ledger writes (null where not),
    and why it cannot be read (``data.reason``); an offline check then fails at its line."""
    return {
        "position": notification.id,
        "originator_id": record["originator_id"],
        "version": record["version"],
        "topic": notification.topic if type(notification.topic) is str else None,
        "type": record["type"],
        "recorded_at": instant(record["recorded_at"]) if record["recorded_at"] else None,
        "actor": record["actor"],
        "data": record["data"],
        "state": base64.b64encode(notification.state).decode()
        if type(notification.state) is bytes
        else None,
        "leaf_hash": event_leaf(notification).hex(),
    }


def _lines(
    database: Database, events: list[dict[str, Any]], size: int, subset: bool
) -> Iterator[str]:
    if not events:
        return
    with database.transaction(commit=False) as sql:
        tree = SealedTree(sql)
        get_node = lru_cache(maxsize=4096)(tree.get_node)
        sealed = tree.leaves_at(e["position"] for e in events)
        for event in events:
            index = sealed[event["position"]][0] if event["position"] in sealed else None
            event["index"] = index
            if subset and index is not None:
                path = merkle.inclusion_proof(index, size, get_node)
                event["proof"] = [node.hex() for node in path]
    for event in events:
        yield json.dumps(event, separators=(",", ":")) + "\n"
