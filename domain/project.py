"""The Project aggregate: what was proposed, how it is going, and where it stands."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import (
    BusinessDateOutOfOrder,
    DecisionNotFound,
    InvalidInput,
    NotLatest,
    RescissionNotRescindable,
    TransitionNotAllowed,
)
from domain.health import Health, StatusReport, assess_health
from domain.lifecycle import DecisionKind, Status, allowed_kinds, status_after
from domain.values import (
    CODE_LENGTH,
    MAX_OBJECTIVES,
    NAME_LENGTH,
    PROSE_LENGTH,
    actor_name,
    money,
    number,
    recorded_on,
    text,
    utc_today,
)

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ProjectDecision:
    """A decision as its project keeps it: which, of what kind, the funding it added (a
    rescission of a fund: the negative of what it took back), the status before and after."""

    id: UUID
    kind: DecisionKind
    amount: Decimal | None
    status_before: Status
    status_after: Status

    @classmethod
    def of(cls, kept: dict[str, Any]) -> ProjectDecision:
        return cls(kept["id"], DecisionKind(kept["kind"]), kept["amount"],
                   Status(kept["status_before"]), Status(kept["status_after"]))


class Project(Aggregate):
    """A project the board may fund, pause, resume or discontinue.

    It keeps its business dates, which never go backwards: when it was proposed, its latest
    decision's date, its last report's period (in `last_report`) and when it was completed.
    """

    # Version 2 keeps the business dates; a snapshot taken before has none of them. Version 3
    # keeps its decisions (which, and what each changed), for a rescission and a correction,
    # and the date of its latest assessment.
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A version 1 snapshot: the project was proposed on the day it was recorded, and
        decided (if at all) no later than its last change was recorded, the date a later
        decision must not precede (its decisions' own dates are the portfolio's)."""
        status = state["_status"]
        state["proposed_on"] = recorded_on(state, "_created_on")
        changed_on = recorded_on(state, "_modified_on")
        state["last_decided_on"] = None if status == Status.PROPOSED.value else changed_on
        state["completed_on"] = changed_on if status == Status.COMPLETED.value else None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """A version 2 snapshot does not say which decisions the project had: none if it was
        never decided on, else unknown (None), and the ledger reads it from its events. It
        was never assessed."""
        state["decisions"] = [] if state["last_decided_on"] is None else None
        state["last_assessed_on"] = None

    class ProjectProposed(Aggregate.Created):
        portfolio_id: UUID
        code: str | None
        name: str
        sponsor: str | None
        manager: str | None
        requested_budget: Decimal
        planned_start: date | None
        planned_finish: date | None
        objectives: list[str]
        actor: str
        proposed_on: date

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Proposals recorded before business dates: proposed on the day recorded."""
            state["proposed_on"] = recorded_on(state)

    class StatusReported(Aggregate.Event):
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

        def apply(self, aggregate: Any) -> None:
            aggregate.last_report = {
                key: value
                for key, value in self.__dict__.items()
                if key in StatusReport.__dataclass_fields__
            }

        def health(self) -> Health:
            """The health this report shows on its own period end (assessed once per event,
            however many views read it)."""
            return reported_health(self)

    class DecisionApplied(Aggregate.Event):
        """The project's side of a board decision recorded on its portfolio."""

        decision_id: UUID
        kind: str
        amount: Decimal | None
        status_before: str
        status_after: str
        actor: str
        decided_on: date

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Recorded before the project kept its decisions' dates: the day it was recorded,
            the latest its date (the portfolio's half holds it) can be."""
            state["decided_on"] = recorded_on(state)

        def apply(self, aggregate: Any) -> None:
            aggregate._status = self.status_after
            aggregate.last_decided_on = self.decided_on
            if self.amount is not None:
                aggregate.funded += self.amount
            if aggregate.decisions is not None:
                aggregate.decisions.append({
                    "id": self.decision_id, "kind": self.kind, "amount": self.amount,
                    "status_before": self.status_before, "status_after": self.status_after,
                })

    class ProjectAssessed(Aggregate.Event):
        """A board member or manager scored the project 0-5 against the portfolio's objectives
        (and, optionally, its monetary benefit); the latest assessment counts."""

        scores: dict[str, int]
        benefit: Decimal | None
        rationale: str
        assessed_on: date
        actor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.last_assessed_on = self.assessed_on

    class ProjectCompleted(Aggregate.Event):
        summary: str
        actor: str
        completed_on: date

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Completions recorded before business dates: completed on the day recorded."""
            state["completed_on"] = recorded_on(state)

        def apply(self, aggregate: Any) -> None:
            aggregate._status = Status.COMPLETED.value
            aggregate.completed_on = self.completed_on

    @staticmethod
    def create_id(portfolio_id: UUID, code: str | None) -> UUID:
        """A coded project's id follows from its code, so a code is proposed only once."""
        return uuid5(portfolio_id, code) if code else uuid4()

    @event(ProjectProposed)
    def __init__(
        self,
        portfolio_id: UUID,
        code: str | None,
        name: str,
        sponsor: str | None,
        manager: str | None,
        requested_budget: Decimal,
        planned_start: date | None,
        planned_finish: date | None,
        objectives: list[str],
        actor: str,
        proposed_on: date,
    ) -> None:
        self.portfolio_id = portfolio_id
        self.code = code
        self.name = name
        self.sponsor = sponsor
        self.manager = manager
        self.requested_budget = requested_budget
        self.planned_start = planned_start
        self.planned_finish = planned_finish
        self.objectives = objectives
        self.proposed_by = actor
        self._status = Status.PROPOSED.value
        self.funded = Decimal("0.00")
        self.last_report: dict[str, Any] | None = None
        self.proposed_on = proposed_on
        self.last_decided_on: date | None = None
        self.completed_on: date | None = None
        # Its decisions, oldest first, as plain values (a snapshot keeps them): ProjectDecision
        # reads one. None only when loaded from a snapshot that did not keep them (the ledger
        # then reads the project from its events).
        self.decisions: list[dict[str, Any]] | None = []
        self.last_assessed_on: date | None = None

    @classmethod
    def propose(
        cls,
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
        known_objectives: set[str] | None = None,
        actor: str,
        proposed_on: date | None = None,
    ) -> Project:
        """Check a proposal, then record it; a project starts as proposed (on `proposed_on`,
        by default the day it is recorded)."""
        if planned_start and planned_finish and planned_finish < planned_start:
            raise InvalidInput("planned_finish", "is before planned_start")
        keys = served_objectives(objectives or [], known_objectives)
        return cls(
            portfolio_id=portfolio_id,
            code=text(code, "code", max_length=CODE_LENGTH),
            name=text(name, "name", required=True, max_length=NAME_LENGTH) or "",
            sponsor=text(sponsor, "sponsor", max_length=NAME_LENGTH),
            manager=text(manager, "manager", max_length=NAME_LENGTH),
            requested_budget=money(requested_budget, "requested_budget"),
            planned_start=planned_start,
            planned_finish=planned_finish,
            objectives=keys,
            actor=actor_name(actor),
            proposed_on=proposed_on or utc_today(),
        )

    @property
    def status(self) -> Status:
        return Status(self._status)

    @property
    def report(self) -> StatusReport | None:
        return None if self.last_report is None else StatusReport.from_event_data(self.last_report)

    @property
    def last_period_end(self) -> date | None:
        return None if self.last_report is None else cast(date, self.last_report["period_end"])

    @property
    def latest_date(self) -> date:
        """The date a decision or completion must not precede: the latest decision's, or the
        proposal's."""
        return max(self.proposed_on, self.last_decided_on or self.proposed_on)

    def health(self, cadence_days: int, today: date) -> Health:
        return assess_health(self.report, cadence_days, today)

    def check_dated(self, field: str, on: date) -> None:
        """A decision or a completion is dated on or after the project's latest date."""
        if on < self.latest_date:
            what = ("the date of the project's latest decision"
                    if self.last_decided_on is not None and self.last_decided_on > self.proposed_on
                    else "the date the project was proposed")
            raise BusinessDateOutOfOrder(field, on, self.latest_date, what)

    def report_status(self, report: StatusReport, today: date, actor: str) -> None:
        """File a status report; only projects in delivery report."""
        if not self.status.is_delivering:
            raise TransitionNotAllowed("report status on", self.status, allowed_kinds(self.status))
        if report.period_end > today:
            raise InvalidInput("period_end", f"{report.period_end.isoformat()} is in the future")
        last = self.last_period_end
        if last is not None and report.period_end <= last:
            raise BusinessDateOutOfOrder(
                "period_end", report.period_end, last,
                "the end of the last reported period (a period is reported once)",
                after_latest=True,
            )
        report = checked_report(report)
        self.trigger_event(
            self.StatusReported, **report.as_event_data(), actor=actor_name(actor)
        )

    def apply_decision(
        self,
        kind: DecisionKind,
        amount: Decimal | None,
        decision_id: UUID,
        actor: str,
        decided_on: date | None = None,
    ) -> Status:
        """Move the project as a board decision (taken on `decided_on`, by default the day it
        is recorded) says; returns the new status."""
        after = status_after(kind, self.status)
        decided_on = decided_on or utc_today()
        self.check_dated("decided_on", decided_on)
        self.trigger_event(
            self.DecisionApplied,
            decision_id=decision_id,
            kind=kind.value,
            amount=amount,
            status_before=self.status.value,
            status_after=after.value,
            actor=actor_name(actor),
            decided_on=decided_on,
        )
        return after

    def decision(self, decision_id: UUID) -> ProjectDecision | None:
        """One of the project's decisions, or None if it is not one of them."""
        found = next((d for d in self.decisions or () if d["id"] == decision_id), None)
        return None if found is None else ProjectDecision.of(found)

    def check_rescindable(self, decision_id: UUID) -> ProjectDecision:
        """The decision, if it is the project's latest, not a rescission, and still in force."""
        rescinded = self.decision(decision_id)
        if rescinded is None:
            raise DecisionNotFound(decision_id)
        if rescinded.kind is DecisionKind.RESCIND:
            raise RescissionNotRescindable(decision_id)
        latest: UUID = (self.decisions or [{"id": decision_id}])[-1]["id"]
        if latest != decision_id:
            raise NotLatest(decision_id, latest)
        if self.status is not rescinded.status_after:
            # Completed since: a final status no decision undoes.
            raise TransitionNotAllowed("rescind a decision on", self.status.value, [])
        return rescinded

    def rescind(
        self, decision_id: UUID, rescission_id: UUID, actor: str, decided_on: date
    ) -> tuple[ProjectDecision, Status]:
        """Undo the project's latest decision (which must be `decision_id`, and not itself a
        rescission) by a rescission taken on `decided_on`: back to the status before it, its
        funding less what that decision funded. Returns the decision rescinded and the status
        the project returns to."""
        rescinded = self.check_rescindable(decision_id)
        self.check_dated("decided_on", decided_on)
        funded_back = -rescinded.amount if rescinded.kind is DecisionKind.FUND and (
            rescinded.amount is not None) else None
        self.trigger_event(
            self.DecisionApplied,
            decision_id=rescission_id,
            kind=DecisionKind.RESCIND.value,
            amount=funded_back,
            status_before=self.status.value,
            status_after=rescinded.status_before.value,
            actor=actor_name(actor),
            decided_on=decided_on,
        )
        return rescinded, rescinded.status_before

    def assess(
        self,
        scores: dict[str, int],
        *,
        benefit: Decimal | None,
        rationale: str,
        assessed_on: date,
        actor: str,
    ) -> None:
        """Record an assessment (scores already checked against the portfolio's objectives),
        dated on or after the proposal and the project's latest assessment."""
        if assessed_on < self.proposed_on:
            raise BusinessDateOutOfOrder("assessed_on", assessed_on, self.proposed_on,
                                         "the date the project was proposed")
        if self.last_assessed_on is not None and assessed_on < self.last_assessed_on:
            raise BusinessDateOutOfOrder("assessed_on", assessed_on, self.last_assessed_on,
                                         "the date of the project's latest assessment")
        self.trigger_event(
            self.ProjectAssessed,
            scores=scores,
            benefit=None if benefit is None else money(benefit, "benefit"),
            rationale=text(rationale, "rationale", required=True, max_length=PROSE_LENGTH) or "",
            assessed_on=assessed_on,
            actor=actor_name(actor),
        )

    def complete(self, summary: str, actor: str, completed_on: date | None = None) -> None:
        """Close the project as delivered on `completed_on` (by default the day recorded)."""
        if self.status is not Status.ACTIVE:
            raise TransitionNotAllowed("complete", self.status, allowed_kinds(self.status))
        completed_on = completed_on or utc_today()
        self.check_dated("completed_on", completed_on)
        checked = text(summary, "summary", required=True, max_length=PROSE_LENGTH)
        self.trigger_event(self.ProjectCompleted, summary=checked, actor=actor_name(actor),
                           completed_on=completed_on)


def checked_report(report: StatusReport) -> StatusReport:
    """The report with its figures checked and money in cents."""
    amounts: dict[str, Any] = {
        field: money(getattr(report, field), field)
        for field in ("planned_value", "earned_value", "actual_cost")
        if getattr(report, field) is not None
    }
    if report.percent_complete is not None:
        amounts["percent_complete"] = number(
            report.percent_complete, "percent_complete", maximum=HUNDRED
        )
    summary = text(report.summary, "summary", max_length=PROSE_LENGTH)
    return replace(report, **amounts, summary=summary)


def served_objectives(keys: list[str], known: set[str] | None) -> list[str]:
    """The portfolio's objectives a project serves: each key once, in the order given."""
    if len(keys) > MAX_OBJECTIVES:
        raise InvalidInput("objectives", f"a project serves at most {MAX_OBJECTIVES} objectives")
    checked = list(dict.fromkeys(
        text(key, f"objectives[{index}]", required=True, max_length=CODE_LENGTH) or ""
        for index, key in enumerate(keys)
    ))
    unknown = [key for key in checked if known is not None and key not in known]
    if unknown:
        raise InvalidInput("objectives", f"not objectives of the portfolio: {', '.join(unknown)}")
    return checked


@lru_cache(maxsize=4096)  # more than a projector's batch: every view of a batch hits it
def reported_health(reported: Project.StatusReported) -> Health:
    report = StatusReport.from_event_data(
        {name: getattr(reported, name) for name in StatusReport.__dataclass_fields__}
    )
    return assess_health(report, 0, report.period_end)
