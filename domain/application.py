"""The one application service: load aggregates, apply the board's commands, save atomically."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol, EventSourcingError
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    PersistenceError,
    Recording,
)
from eventsourcing.utils import Environment, TopicError

from domain.decisions import Terms, take_on_project
from domain.errors import (
    ConcurrentWrite,
    DuplicateCode,
    EventUnreadable,
    PortfolioNotFound,
    ProjectNotFound,
    StaleEvidence,
    StoreUnavailable,
)
from domain.health import StatusReport
from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio
from domain.project import Project
from domain.store import EachWrite, create_owner_only, with_recorder
from domain.transcodings import DateAsISO

log = logging.getLogger(__name__)
A = TypeVar("A", bound=Aggregate)
DECISION_RETRIES = 5
# What decoding or applying a stored event raises when the store holds what the ledger never
# wrote there (text for bytes, a topic that names no event, a version out of sequence).
UNREADABLE = (EventSourcingError, TopicError, ValueError, TypeError, KeyError, AttributeError)
FindUnreadable = Callable[[UUID], EventUnreadable | None]


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Recorded:
    """Where a write landed: the aggregate, its new version, the log position of its last event."""

    id: UUID
    version: int
    position: int
    recorded_at: datetime


@dataclass(frozen=True)
class RecordedDecision:
    """A board decision as recorded, with what the board knew when it took it."""

    id: UUID
    portfolio_id: UUID
    project_id: UUID
    kind: DecisionKind
    amount: Decimal | None
    rationale: str
    meeting: str | None
    decided_by: str
    decided_on: date
    recorded_at: datetime
    position: int
    status_before: Status
    status_after: Status
    evidence: dict[str, Any]


@contextmanager
def store_errors() -> Iterator[None]:
    """Translate the library's connection failures into the ledger's own error."""
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        detail = str(error).splitlines()[0] if str(error) else "no answer"
        raise StoreUnavailable(f"the event store is unreachable: {detail}") from None


class PortfolioLedger(Application[UUID]):
    """Records portfolios, projects, status reports and the board's decisions as events."""

    name = "PortfolioLedger"
    # Keep recently used aggregates; each read still fast-forwards them from the store, so
    # writes made by other processes are seen, and reads hand out copies.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "2000"}
    snapshotting_intervals = {Portfolio: 20, Project: 20}

    def __init__(
        self, env: dict[str, str] | None = None, today: Callable[[], date] = utc_today
    ) -> None:
        # Work to do in each write's own transaction, after its events (the views, say).
        self.each_write: EachWrite | None = None
        # Which of an aggregate's stored events cannot be read, when a load fails on one (the
        # ledger service knows the store's positions).
        self.find_unreadable: FindUnreadable | None = None
        with store_errors():
            # The store's tables are created under the ledger's schema lock (domain.store).
            super().__init__(with_recorder(env) if env is not None else None)
        self.today = today

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """The library's store, on a new SQLite file made owner-only before it is opened."""
        create_owner_only(env)
        return super().construct_factory(env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # Commands

    def create_portfolio(
        self,
        *,
        name: str,
        budget: Decimal,
        currency: str = "USD",
        reporting_cadence_days: int = 45,
        objectives: list[dict[str, Any]] | None = None,
        actor: str,
    ) -> Recorded:
        portfolio = Portfolio.open(
            name=name,
            budget=budget,
            currency=currency,
            reporting_cadence_days=reporting_cadence_days,
            objectives=objectives,
            actor=actor,
        )
        return self._recorded(portfolio, self._save(portfolio))

    def propose_project(
        self,
        *,
        portfolio_id: UUID,
        name: str,
        requested_budget: Decimal,
        code: str | None = None,
        sponsor: str | None = None,
        manager: str | None = None,
        planned_start: date | None = None,
        planned_finish: date | None = None,
        objectives: list[str] | None = None,
        actor: str,
    ) -> Recorded:
        portfolio = self.portfolio(portfolio_id)
        project = Project.propose(
            portfolio_id=portfolio_id,
            name=name,
            requested_budget=requested_budget,
            code=code,
            sponsor=sponsor,
            manager=manager,
            planned_start=planned_start,
            planned_finish=planned_finish,
            objectives=objectives,
            known_objectives=portfolio.objective_keys(),
            actor=actor,
        )
        try:
            return self._recorded(project, self._save(project))
        except ConcurrentWrite:
            raise DuplicateCode(project.code or "") from None

    def report_status(
        self,
        project_id: UUID,
        report: StatusReport,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> Recorded:
        project = self.project(project_id)
        check_version(project, expected_version)
        project.report_status(report, self.today(), actor)
        return self._recorded(project, self._save(project))

    def complete_project(
        self, project_id: UUID, summary: str, *, actor: str, expected_version: int | None = None
    ) -> Recorded:
        project = self.project(project_id)
        check_version(project, expected_version)
        project.complete(summary, actor)
        return self._recorded(project, self._save(project))

    def decide(
        self,
        portfolio_id: UUID,
        project_id: UUID,
        kind: DecisionKind,
        *,
        rationale: str,
        actor: str,
        amount: Decimal | None = None,
        decided_on: date | None = None,
        meeting: str | None = None,
        expected_version: int | None = None,
    ) -> RecordedDecision:
        """Record a board decision on the portfolio and the project in one atomic write."""
        terms = Terms.checked(
            kind,
            rationale=rationale,
            today=self.today(),
            amount=amount,
            decided_on=decided_on,
            meeting=meeting,
        )
        for _ in range(DECISION_RETRIES):
            portfolio = self.portfolio(portfolio_id)
            project = self.project(project_id)
            check_version(project, expected_version)
            seen_version = project.version
            taken = take_on_project(
                terms, portfolio, project, actor=actor, assessed_on=self.today()
            )
            taken.record(portfolio)
            try:
                recordings = self._save(portfolio, project)
            except ConcurrentWrite:
                # Lost a race on the portfolio alone: the project's evidence is unchanged,
                # so deciding again on fresh portfolio state is the same decision.
                if self.project(project_id).version != seen_version:
                    raise
                continue
            event = next(r for r in recordings if r.domain_event.originator_id == portfolio_id)
            return RecordedDecision(
                id=taken.id,
                portfolio_id=portfolio_id,
                project_id=project_id,
                kind=kind,
                amount=terms.amount,
                rationale=terms.rationale,
                meeting=terms.meeting,
                decided_by=actor,
                decided_on=terms.decided_on,
                recorded_at=recorded_at(event),
                position=event.notification.id,
                status_before=taken.status_before,
                status_after=taken.status_after,
                evidence=taken.evidence,
            )
        raise ConcurrentWrite

    # Reads of one aggregate

    def portfolio(self, portfolio_id: UUID, version: int | None = None) -> Portfolio:
        return self._get(Portfolio, portfolio_id, version, PortfolioNotFound)

    def project(self, project_id: UUID, version: int | None = None) -> Project:
        return self._get(Project, project_id, version, ProjectNotFound)

    def save_all(self, *items: Aggregate | DomainEventProtocol[UUID]) -> list[Recording[UUID]]:
        """Save many aggregates' pending events (and events given as they are) in one atomic
        write, in the order they happened, so each decision's two halves stand side by side."""
        aggregates = {item.id: item for item in items if isinstance(item, Aggregate)}
        given = [item for item in items if not isinstance(item, Aggregate)]
        events = list(
            heapq.merge(given, *(a.collect_events() for a in aggregates.values()), key=happened)
        )
        recordings = self._save(*events)
        due = {
            event.originator_id: aggregate
            for event in events
            if (aggregate := aggregates.get(event.originator_id)) is not None
            and (interval := self.snapshotting_intervals.get(type(aggregate)))
            and event.originator_version % interval == 0
        }
        if due and self.snapshots is not None:
            # A save that passed a snapshot version: the aggregates in hand are as recorded,
            # so snapshot them as they stand, in one write, instead of loading them again.
            try:
                self.snapshots.put([type(a).Snapshot.take(a) for a in due.values()])
            except PersistenceError:  # the write stands; a snapshot only makes loads faster
                log.warning("no snapshot this time", exc_info=True)
        return recordings

    def _get(
        self,
        cls: type[A],
        ident: UUID,
        version: int | None,
        missing: Callable[[UUID], Exception],
    ) -> A:
        try:
            with store_errors():
                aggregate: Aggregate = self.repository.get(
                    ident, version=version, projector_func=replay
                )
        except AggregateNotFoundError:
            raise missing(ident) from None
        except UNREADABLE:
            unreadable = self.find_unreadable(ident) if self.find_unreadable else None
            if unreadable is None:
                raise
            raise unreadable from None
        if not isinstance(aggregate, cls) or (version is not None and aggregate.version != version):
            raise missing(ident)
        return aggregate

    def _save(self, *aggregates: Aggregate | DomainEventProtocol[UUID]) -> list[Recording[UUID]]:
        try:
            with store_errors(), (self.each_write or no_hook)() as hook:
                if hook is None:
                    return self.save(*aggregates)
                return self.save(*aggregates, within_write=hook)
        except IntegrityError:
            raise ConcurrentWrite from None

    @staticmethod
    def _recorded(aggregate: Aggregate, recordings: list[Recording[UUID]]) -> Recorded:
        last = recordings[-1]
        return Recorded(
            id=aggregate.id,
            version=aggregate.version,
            position=last.notification.id,
            recorded_at=recorded_at(last),
        )


def no_hook() -> AbstractContextManager[None]:
    return nullcontext()


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply stored events to an aggregate in order: the library's own projector, without its
    runtime protocol check on every event (a third of a load on Python 3.11)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def recorded_at(recording: Recording[UUID]) -> datetime:
    """The instant the event was recorded (its timestamp, UTC)."""
    timestamp: datetime = recording.domain_event.timestamp  # type: ignore[attr-defined]
    return timestamp


def happened(event: Any) -> datetime:
    """When an event was made, to order events of several aggregates as they happened."""
    timestamp: datetime = event.timestamp
    return timestamp


def check_version(project: Project, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != project.version:
        raise StaleEvidence(expected_version, project.version)
