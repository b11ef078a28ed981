"""The one application service: load aggregates, apply the board's commands, save atomically."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol, EventSourcingError
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    PersistenceError,
    Recording,
)
from eventsourcing.utils import TopicError

from domain.batch import Batch
from domain.commands import (
    AssessProject,
    CastVote,
    ChangePolicy,
    Command,
    CompleteProject,
    CorrectDecision,
    Decide,
    OpenPortfolio,
    ProposeMotion,
    ProposeProject,
    RecordScenario,
    ReportStatus,
    Rescind,
    ReviseBudget,
    SetWeights,
    WithdrawMotion,
)
from domain.decisions import Taken
from domain.errors import (
    ConcurrentWrite,
    DuplicateCode,
    EventUnreadable,
    MotionClosed,
    MotionNotFound,
    PortfolioNotFound,
    ProjectNotFound,
    ScenarioNotFound,
    StoreUnavailable,
)
from domain.health import StatusReport
from domain.hooks import EachWrite
from domain.lifecycle import DecisionKind, Status
from domain.motion import Motion
from domain.portfolio import Portfolio
from domain.project import Project
from domain.scenario import Scenario
from domain.transcodings import DateAsISO
from domain.values import utc_today as utc_today  # the default clock, named here too
from domain.work import Work

log = logging.getLogger(__name__)
A = TypeVar("A", bound=Aggregate)
DECISION_RETRIES = 5
# A write that lost a race is tried again on fresh state, every rule checked again: ten board
# members approving one motion at once each find, in turn, the motion as the others left it.
GOVERNANCE_RETRIES = 30
# What decoding or applying a stored event raises when the store holds what the ledger never
# wrote there (text for bytes, a topic that names no event, a version out of sequence).
UNREADABLE = (EventSourcingError, TopicError, ValueError, TypeError, KeyError, AttributeError)
FindUnreadable = Callable[[UUID], EventUnreadable | None]


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
    rescinds: UUID | None = None


@contextmanager
def store_errors() -> Iterator[None]:
    """Translate the library's connection failures into the ledger's own error."""
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        raise StoreUnavailable.because(error) from None


class PortfolioLedger(Application[UUID]):
    """Records portfolios, projects, status reports and the board's decisions as events."""

    name = "PortfolioLedger"
    # Keep recently used aggregates; each read still fast-forwards them from the store, so
    # writes made by other processes are seen, and reads hand out copies.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "2000"}
    snapshotting_intervals = {Portfolio: 20, Project: 20, Motion: 20}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        today: Callable[[], date] = utc_today,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        # Work to do in each write's own transaction, after its events (the views, say).
        self.each_write: EachWrite | None = None
        # Which of an aggregate's stored events cannot be read, when a load fails on one (the
        # ledger service knows the store's positions).
        self.find_unreadable: FindUnreadable | None = None
        with store_errors():
            # The library builds the store `PERSISTENCE_MODULE` names: for SQLite and
            # PostgreSQL, the ledger's own recorders (projections/store/persistence.py).
            super().__init__(env)
        self.today = today
        self.now = now or utc_now

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # Commands: each one step of domain/work.py, the path a batch's commands take too. Each
    # takes its business date (created_on, proposed_on, the report's period_end, decided_on,
    # completed_on): today by default, never in the future, per project never going backwards.

    def create_portfolio(
        self,
        *,
        name: str,
        budget: Decimal,
        currency: str = "USD",
        reporting_cadence_days: int = 45,
        objectives: list[dict[str, Any]] | None = None,
        actor: str,
        created_on: date | None = None,
        policy: dict[str, Any] | None = None,
    ) -> Recorded:
        portfolio = self._work().open_portfolio(
            OpenPortfolio(
                name=name,
                budget=budget,
                currency=currency,
                reporting_cadence_days=reporting_cadence_days,
                objectives=tuple(objectives or ()),
                actor=actor,
                created_on=created_on,
                policy=policy,
            )
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
        proposed_on: date | None = None,
    ) -> Recorded:
        project = self._work().propose_project(
            ProposeProject(
                portfolio_id=portfolio_id,
                name=name,
                requested_budget=requested_budget,
                code=code,
                sponsor=sponsor,
                manager=manager,
                planned_start=planned_start,
                planned_finish=planned_finish,
                objectives=tuple(objectives or ()),
                actor=actor,
                proposed_on=proposed_on,
            )
        )
        try:
            return self._recorded(project, self._save(project))
        except ConcurrentWrite:  # the same code proposed a moment before
            raise DuplicateCode(project.code or "") from None

    def report_status(
        self,
        project_id: UUID,
        report: StatusReport,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> Recorded:
        project = self._work().report_status(
            ReportStatus(project_id, report, actor, expected_version=expected_version)
        )
        return self._recorded(project, self._save(project))

    def complete_project(
        self,
        project_id: UUID,
        summary: str,
        *,
        actor: str,
        expected_version: int | None = None,
        completed_on: date | None = None,
    ) -> Recorded:
        project = self._work().complete_project(
            CompleteProject(
                project_id, summary, actor, expected_version=expected_version,
                completed_on=completed_on,
            )
        )
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
        scenario_id: UUID | None = None,
    ) -> RecordedDecision:
        """Record a board decision on the portfolio and the project in one atomic write (citing
        the scenario that advised it, if one did)."""
        command = Decide(
            portfolio_id,
            project_id,
            kind,
            rationale,
            actor,
            amount=amount,
            decided_on=decided_on,
            meeting=meeting,
            expected_version=expected_version,
            scenario_id=scenario_id,
        )
        return self._take(command, lambda work: work.decide(command))

    def rescind(self, command: Rescind) -> RecordedDecision:
        """Record a rescission of a project's latest decision, a decision of kind `rescind`, on
        the portfolio and the project in one atomic write (a motion of kind `rescind`, once
        carried, records the same command)."""
        return self._take(command, lambda work: work.rescind(command))

    def correct_decision(self, command: CorrectDecision) -> Recorded:
        """Record a correction of a decision's words on its portfolio; the decision's own event
        is never changed."""
        for _ in range(DECISION_RETRIES):
            portfolio = self._work().correct_decision(command)
            try:
                return self._recorded(portfolio, self._save(portfolio))
            except ConcurrentWrite:  # another write to the portfolio: the words are the same
                continue
        raise ConcurrentWrite

    def _take(
        self, command: Decide | Rescind, take: Callable[[Work], Taken]
    ) -> RecordedDecision:
        """Take a decision (or a rescission) and save both its halves, again on fresh portfolio
        state if only the portfolio changed meanwhile."""
        portfolio_id, project_id = command.portfolio_id, command.project_id
        for _ in range(DECISION_RETRIES):
            work = self._work()
            taken = take(work)
            try:
                recordings = self._save(work.portfolio(portfolio_id), work.project(project_id))
            except ConcurrentWrite:
                # Lost a race on the portfolio alone: the project's evidence is unchanged,
                # so deciding again on fresh portfolio state is the same decision.
                if self.project(project_id).version != taken.evidence["project_version"]:
                    raise
                continue
            event = next(r for r in recordings if r.domain_event.originator_id == portfolio_id)
            terms = taken.terms
            return RecordedDecision(
                id=taken.id,
                portfolio_id=portfolio_id,
                project_id=project_id,
                kind=terms.kind,
                amount=terms.amount,
                rationale=terms.rationale,
                meeting=terms.meeting,
                decided_by=taken.actor,
                decided_on=terms.decided_on,
                recorded_at=recorded_at(event),
                position=event.notification.id,
                status_before=taken.status_before,
                status_after=taken.status_after,
                evidence=taken.evidence,
                rescinds=command.decision_id if isinstance(command, Rescind) else None,
            )
        raise ConcurrentWrite

    # Governance: the portfolio's own decisions, and motions carried by approvals. Each is
    # tried again on fresh state when it loses a race, every rule checked again.

    def revise_budget(self, command: ReviseBudget) -> Recorded:
        """Revise a portfolio's budget (a decision of kind `budget`); `id` is the decision's."""
        return self._govern(command, command.decision_id)

    def change_policy(self, command: ChangePolicy) -> Recorded:
        """Change a portfolio's policy (a decision of kind `policy`); `id` is the decision's."""
        return self._govern(command, command.decision_id)

    def propose_motion(self, command: ProposeMotion) -> Recorded:
        return self._govern(command, command.motion_id)

    def vote(self, command: CastVote) -> Recorded:
        """A vote on a motion; the carrying approval records its decision in the same write."""
        return self._govern(command, command.motion_id)

    def withdraw_motion(self, command: WithdrawMotion) -> Recorded:
        return self._govern(command, command.motion_id)

    def _govern(self, command: Command, ident: UUID) -> Recorded:
        lapsed_once = False
        for _ in range(GOVERNANCE_RETRIES):
            work = self._work()
            try:
                work.apply(command)
            except MotionClosed as closed:
                # A motion read just before a rival's carry, its project just after, looks
                # lapsed: read both again once, so a carried motion is refused as carried.
                if closed.status != "lapsed" or lapsed_once:
                    raise
                lapsed_once = True
                continue
            changed = sorted((a for a in work.held.values() if a.pending_events),
                             key=lambda a: SAVE_ORDER[type(a)])
            try:
                recordings = self._save(*changed)
            except ConcurrentWrite:
                continue
            last = recordings[-1]
            held = work.held[ident] if ident in work.held else changed[0]
            return Recorded(id=ident, version=held.version, position=last.notification.id,
                            recorded_at=recorded_at(last))
        raise ConcurrentWrite

    # Decision support: the objectives' weights, assessments, scenarios

    def set_weights(self, command: SetWeights) -> Recorded:
        portfolio = self._work().set_weights(command)
        return self._recorded(portfolio, self._save(portfolio))

    def assess_project(self, command: AssessProject) -> Recorded:
        project = self._work().assess_project(command)
        return self._recorded(project, self._save(project))

    def record_scenario(self, command: RecordScenario) -> Recorded:
        scenario = self._work().record_scenario(command)
        return self._recorded(scenario, self._save(scenario))

    # Batches of commands: an import, the demo

    def record(self, commands: Sequence[Command]) -> int:
        """Apply the commands in order, by the same steps as the commands above, and record
        them in one atomic write; how many events. If one is refused (CommandRefused says
        which, and why), none is recorded."""
        batch = self.batch()
        batch.apply(commands)
        batch.write()
        return batch.events

    def batch(
        self, *, write_every: int | None = None, hold_projects: int = 0, dry_run: bool = False
    ) -> Batch:
        """A batch for bulk work: groups of commands applied all or nothing, recorded in chunks,
        each one atomic write (every `write_every` events, or when asked): domain/batch.py."""
        return Batch(
            self._work(),
            lambda aggregates: len(self._save_all(*aggregates)),
            write_every=write_every,
            hold_projects=hold_projects,
            dry_run=dry_run,
        )

    def _work(self) -> Work:
        return Work(self, self.today(), self.now())

    # Reads of one aggregate

    def portfolio(self, portfolio_id: UUID, version: int | None = None) -> Portfolio:
        return self._get(Portfolio, portfolio_id, version, PortfolioNotFound)

    def project(self, project_id: UUID, version: int | None = None) -> Project:
        return self._get(Project, project_id, version, ProjectNotFound)

    def motion(self, motion_id: UUID, version: int | None = None) -> Motion:
        return self._get(Motion, motion_id, version, MotionNotFound)

    def scenario(self, scenario_id: UUID) -> Scenario:
        return self._get(Scenario, scenario_id, None, ScenarioNotFound)

    def is_recorded(self, ident: UUID) -> bool:
        """Whether any event is recorded under this id."""
        with store_errors():
            return bool(self.recorder.select_events(ident, limit=1))

    def _save_all(self, *aggregates: Aggregate) -> list[Recording[UUID]]:
        """Save many aggregates' pending events in one atomic write, in the order they
        happened, so each decision's two halves stand side by side."""
        events = list(heapq.merge(*(a.collect_events() for a in aggregates), key=happened))
        recordings = self._save(*events)
        by_id = {aggregate.id: aggregate for aggregate in aggregates}
        due = {
            event.originator_id: aggregate
            for event in events
            if (aggregate := by_id.get(event.originator_id)) is not None
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
        if isinstance(aggregate, Project) and aggregate.decisions is None:
            # From a snapshot that did not keep its decisions: read it from its events alone.
            with store_errors():
                events = self.repository.event_store.get(ident, lte=version)
                replayed: A = replay(None, events)
            return replayed
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


# A vote's write: the motion, then the decision's two halves side by side.
SAVE_ORDER: dict[type, int] = {Motion: 0, Portfolio: 1, Project: 2}


def utc_now() -> datetime:
    return datetime.now(UTC)


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
