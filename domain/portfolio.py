"""The Portfolio aggregate: the budget envelope and the board's decisions on its projects."""

from __future__ import annotations

from copy import deepcopy
from datetime import date
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.domain import Snapshot as AggregateSnapshot

from domain.errors import ApprovalRequired, BudgetBelowAllocated, BudgetExceeded, InvalidInput
from domain.lifecycle import DecisionKind
from domain.scoring import initial_weights, weighting_data
from domain.values import (
    CODE_LENGTH,
    CURRENCY_LENGTH,
    MAX_OBJECTIVES,
    MAX_WEIGHT,
    NAME_LENGTH,
    PROSE_LENGTH,
    actor_name,
    money,
    number,
    recorded_on,
    text,
    utc_today,
)
from domain.weights import Weighting

ZERO = Decimal("0.00")
DEFAULT_POLICY: dict[str, int] = {"approvals_required": 0, "motion_days": 30}
MAX_APPROVALS = 9
MAX_MOTION_DAYS = 365
# Values a copy of a portfolio may share with the original: nothing can change them in place.
IMMUTABLE = (str, int, Decimal, UUID, date, type(None))


class Portfolio(Aggregate):
    """A budget envelope that the board allocates to projects, one decision at a time.

    `opened_on` is its business date (`created_on` to the board; the library's own
    `created_on` is the instant it was recorded).
    """

    # Version 2 keeps the business date it was opened on; a snapshot taken before has none.
    # Version 3 keeps its policy (how many approvals a change needs), the ids of its own
    # decisions (budget revisions, policy changes), which a correction may name, and the
    # weights in force with the day they took effect.
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A version 1 snapshot: the portfolio was opened on the day it was recorded."""
        state["opened_on"] = recorded_on(state, "_created_on")

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """A snapshot taken before policies and weights: the default policy (no approvals)
        applied, no decision of its own yet, and the objectives' own weights in force."""
        state["policy"] = dict(DEFAULT_POLICY)
        state["own_decisions"] = []
        state["weights"] = initial_weights(state["objectives"])
        state["weights_on"] = state["opened_on"]

    class PortfolioCreated(Aggregate.Created):
        name: str
        currency: str
        budget: Decimal
        reporting_cadence_days: int
        objectives: list[dict[str, Any]]
        actor: str
        created_on: date
        policy: dict[str, int]

        class_version = 4

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 portfolios had no cadence of their own: the default applied."""
            state["reporting_cadence_days"] = 45

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Version 2 portfolios had no business date: opened on the day recorded."""
            state["created_on"] = recorded_on(state)

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            """Version 3 portfolios had no policy: the default (no approvals) applied."""
            state["policy"] = dict(DEFAULT_POLICY)

    class Decision(Aggregate.Event):
        """A board decision on one of the portfolio's projects. One carried by a motion names
        it, its proposer and its approvals (`approved_by`: name, role, recorded_at, meaning)."""

        decision_id: UUID
        project_id: UUID
        rationale: str
        decided_on: date
        meeting: str | None
        actor: str
        status_before: str
        status_after: str
        evidence: dict[str, Any]
        motion_id: UUID | None
        proposed_by: str | None
        approved_by: list[dict[str, Any]]

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Decisions recorded before motions were recorded at once, by one board member."""
            state["motion_id"] = None
            state["proposed_by"] = None
            state["approved_by"] = []

    class BudgetRevised(Aggregate.Event):
        """The board revised the portfolio's budget envelope (a decision of kind `budget`)."""

        decision_id: UUID
        budget_before: Decimal
        budget: Decimal
        rationale: str
        decided_on: date
        meeting: str | None
        actor: str
        evidence: dict[str, Any]
        motion_id: UUID | None
        proposed_by: str | None
        approved_by: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            aggregate.budget = self.budget
            aggregate.own_decisions.append(str(self.decision_id))

    class PolicyChanged(Aggregate.Event):
        """The board changed the portfolio's policy (a decision of kind `policy`)."""

        decision_id: UUID
        policy_before: dict[str, int]
        policy: dict[str, int]
        rationale: str
        decided_on: date
        meeting: str | None
        actor: str
        evidence: dict[str, Any]
        motion_id: UUID | None
        proposed_by: str | None
        approved_by: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            aggregate.policy = dict(self.policy)
            aggregate.own_decisions.append(str(self.decision_id))

    class ProjectFunded(Decision):
        amount: Decimal

        def apply(self, aggregate: Any) -> None:
            key = str(self.project_id)
            aggregate.allocations[key] = aggregate.allocations.get(key, ZERO) + self.amount

    class ProjectPaused(Decision):
        pass

    class ProjectResumed(Decision):
        pass

    class ProjectDiscontinued(Decision):
        released: Decimal

        def apply(self, aggregate: Any) -> None:
            aggregate.allocations.pop(str(self.project_id), None)

    class DecisionRescinded(Decision):
        """A rescission: a decision of kind `rescind` that undoes the project's latest decision
        (`rescinds`). `released` is the funding it gives back (a fund rescinded), `amount` the
        funding it allocates again (a discontinue rescinded); the rationale is its reason."""

        rescinds: UUID
        amount: Decimal | None
        released: Decimal | None

        def apply(self, aggregate: Any) -> None:
            key = str(self.project_id)
            held = aggregate.allocations.get(key, ZERO) + (self.amount or ZERO) - (
                self.released or ZERO)
            if held == ZERO:
                aggregate.allocations.pop(key, None)  # as before its first funding
            else:
                aggregate.allocations[key] = held

    class DecisionCorrected(Aggregate.Event):
        """The words of a recorded decision corrected (`corrected`: each word changed, and
        what it now says), with the reason; the decision's own event is never changed."""

        decision_id: UUID
        project_id: UUID | None  # None: a decision on the portfolio itself
        reason: str
        corrected: dict[str, str | None]
        actor: str

    class WeightsSet(Aggregate.Event):
        """The board set the objectives' weights: directly, or from pairwise comparisons
        (with their consistency ratio), in force from `decided_on`."""

        method: str  # "direct" or "ahp"
        weights: dict[str, Decimal]
        comparisons: list[dict[str, Any]]
        consistency_ratio: Decimal | None
        rationale: str
        decided_on: date
        actor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.weights = dict(self.weights)
            aggregate.weights_on = self.decided_on

    class Snapshot(AggregateSnapshot):
        """The portfolio at one version, its allocations as exact decimal strings.

        A long-lived portfolio allocates to thousands of projects: tagged decimals, one JSON
        object each, made decoding the snapshot most of a load. Snapshots taken before this
        class are the library's own and still load.
        """

        @classmethod
        def take(cls, aggregate: Any) -> Portfolio.Snapshot:
            snapshot = super().take(aggregate)
            snapshot.state["allocations"] = {
                key: str(amount) for key, amount in aggregate.allocations.items()
            }
            return snapshot

        def mutate(self, _: None) -> Portfolio:
            portfolio = cast(Portfolio, super().mutate(None))
            portfolio.allocations = {
                key: Decimal(amount) for key, amount in portfolio.allocations.items()
            }
            return portfolio

    @event(PortfolioCreated)
    def __init__(
        self,
        name: str,
        currency: str,
        budget: Decimal,
        reporting_cadence_days: int,
        objectives: list[dict[str, Any]],
        actor: str,
        created_on: date,
        policy: dict[str, int],
    ) -> None:
        self.name = name
        self.currency = currency
        self.budget = budget
        self.reporting_cadence_days = reporting_cadence_days
        self.objectives = objectives
        self.created_by = actor
        self.opened_on = created_on
        self.allocations: dict[str, Decimal] = {}
        self.policy = dict(policy)
        self.own_decisions: list[str] = []  # its budget revisions and policy changes
        self.weights = initial_weights(objectives)
        self.weights_on = created_on

    @classmethod
    def open(
        cls,
        *,
        name: str,
        budget: Decimal,
        currency: str = "USD",
        reporting_cadence_days: int = 45,
        objectives: list[dict[str, Any]] | None = None,
        actor: str,
        portfolio_id: UUID | None = None,
        created_on: date | None = None,
        policy: dict[str, Any] | None = None,
    ) -> Portfolio:
        """Check a new portfolio's terms, then create it (under `portfolio_id`, if given: a batch
        of commands names a portfolio it opens before it is recorded) on `created_on`, by
        default the day it is recorded."""
        checked_name = text(name, "name", required=True, max_length=NAME_LENGTH)
        currency = (text(currency, "currency", max_length=CURRENCY_LENGTH) or "").upper()
        if len(currency) != CURRENCY_LENGTH or not (currency.isascii() and currency.isalpha()):
            raise InvalidInput("currency", "must be a three-letter ISO 4217 code")
        if (
            isinstance(reporting_cadence_days, bool)
            or not isinstance(reporting_cadence_days, int)
            or not 1 <= reporting_cadence_days <= 366
        ):
            raise InvalidInput("reporting_cadence_days", "must be a whole number from 1 to 366")
        return cls._create(
            cls.PortfolioCreated,
            id=portfolio_id,
            name=checked_name or "",
            currency=currency,
            budget=money(budget, "budget", positive=True),
            reporting_cadence_days=reporting_cadence_days,
            objectives=check_objectives(objectives or []),
            actor=actor_name(actor),
            created_on=created_on or utc_today(),
            policy=check_policy(policy),
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> Portfolio:
        """A copy a command may change freely, while the cached portfolio stays as recorded.

        Allocations map ids to Decimals, both immutable, so a new dict copies them in full:
        walking every amount, as a generic deep copy does, was most of a cached load.
        """
        copied = object.__new__(type(self))
        memo[id(self)] = copied
        state = {
            name: value if isinstance(value, IMMUTABLE) else deepcopy(value, memo)
            for name, value in vars(self).items()
            if name != "allocations"
        }
        state["allocations"] = dict(self.allocations)
        vars(copied).update(state)
        return copied

    @property
    def allocated(self) -> Decimal:
        return sum(self.allocations.values(), ZERO)

    @property
    def available(self) -> Decimal:
        return self.budget - self.allocated

    @property
    def approvals_required(self) -> int:
        return int(self.policy["approvals_required"])

    def objective_keys(self) -> set[str]:
        return {objective["key"] for objective in self.objectives}

    def set_weights(
        self, weighting: Weighting, *, method: str, rationale: str, decided_on: date, actor: str
    ) -> None:
        """Put weights in force from `decided_on`: never before the weights now in force."""
        if decided_on < self.weights_on:
            raise InvalidInput(
                "decided_on",
                f"{decided_on.isoformat()} is before {self.weights_on.isoformat()}, the day the"
                " weights now in force took effect",
            )
        self.trigger_event(
            self.WeightsSet,
            method=method,
            **weighting_data(weighting),
            rationale=text(rationale, "rationale", required=True, max_length=PROSE_LENGTH) or "",
            decided_on=decided_on,
            actor=actor_name(actor),
        )

    def check_budget(self, amount: Decimal) -> None:
        if amount > self.available:
            raise BudgetExceeded(amount, self.available)

    def check_direct(self, carried: bool) -> None:
        """Under a policy that requires approvals, a change is carried by a motion only."""
        if not carried and self.approvals_required > 0:
            raise ApprovalRequired(self.id, self.approvals_required)

    def check_budget_revision(self, budget: Decimal) -> Decimal:
        """A revised budget: positive money, never below what is allocated."""
        checked = money(budget, "budget", positive=True)
        if checked < self.allocated:
            raise BudgetBelowAllocated(checked, self.allocated)
        return checked

    def revise_budget(self, budget: Decimal, **decision: Any) -> None:
        """Revise the envelope (a decision of kind `budget`), checked against the allocation."""
        checked = self.check_budget_revision(budget)
        self.trigger_event(self.BudgetRevised, budget_before=self.budget, budget=checked,
                           **decision)

    def change_policy(self, policy: dict[str, Any], **decision: Any) -> None:
        """Change the policy (a decision of kind `policy`)."""
        self.trigger_event(self.PolicyChanged, policy_before=dict(self.policy),
                           policy=check_policy(policy), **decision)

    def record_decision(self, kind: DecisionKind, amount: Decimal | None, **decision: Any) -> None:
        """Record a decision already checked against the project's lifecycle (one recorded at
        once names no motion)."""
        decision = {"motion_id": None, "proposed_by": None, "approved_by": [], **decision}
        if kind is DecisionKind.FUND:
            if amount is None:
                raise InvalidInput("amount", "is required to fund a project")
            self.check_budget(amount)
            self.trigger_event(self.ProjectFunded, amount=amount, **decision)
        elif kind is DecisionKind.PAUSE:
            self.trigger_event(self.ProjectPaused, **decision)
        elif kind is DecisionKind.RESUME:
            self.trigger_event(self.ProjectResumed, **decision)
        else:
            released = self.allocations.get(str(decision["project_id"]), ZERO)
            self.trigger_event(self.ProjectDiscontinued, released=released, **decision)


    def record_rescission(
        self, rescinded: Any, allocated_before: Decimal | None, **decision: Any
    ) -> None:
        """Record a rescission already applied to the project: the portfolio's allocation back
        to what it was before the rescinded decision (`rescinded`, a ProjectDecision). A fund
        gives its amount back; a discontinue allocates again what it released
        (`allocated_before`), within the budget."""
        decision = {"motion_id": None, "proposed_by": None, "approved_by": [], **decision}
        amount: Decimal | None = None
        released: Decimal | None = None
        if rescinded.kind is DecisionKind.FUND and rescinded.amount:
            released = rescinded.amount
        elif rescinded.kind is DecisionKind.DISCONTINUE and allocated_before:
            self.check_budget(allocated_before)
            amount = allocated_before
        self.trigger_event(self.DecisionRescinded, rescinds=rescinded.id, amount=amount,
                           released=released, **decision)

    def correct_decision(
        self,
        decision_id: UUID,
        project_id: UUID | None,
        *,
        reason: str,
        corrected: dict[str, str | None],
        actor: str,
    ) -> None:
        """Record a correction of a decision's words, checked already."""
        self.trigger_event(self.DecisionCorrected, decision_id=decision_id,
                           project_id=project_id, reason=reason, corrected=corrected,
                           actor=actor_name(actor))
def check_policy(policy: dict[str, Any] | None) -> dict[str, int]:
    """A portfolio's policy: approvals required (0..9, by board members other than the
    proposer) and the days a motion stays open (1..365); each defaults as DEFAULT_POLICY."""
    given = {} if policy is None else policy
    if not isinstance(given, dict):
        raise InvalidInput("policy", "must be an object with approvals_required and motion_days")
    unknown = sorted(set(given) - set(DEFAULT_POLICY))
    if unknown:
        raise InvalidInput(f"policy.{unknown[0]}", "is not a field of a policy")
    checked: dict[str, int] = {}
    for key, low, high in (("approvals_required", 0, MAX_APPROVALS),
                           ("motion_days", 1, MAX_MOTION_DAYS)):
        value = given.get(key, DEFAULT_POLICY[key])
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(f"policy.{key}", f"must be a whole number from {low} to {high}")
        checked[key] = value
    return checked


def check_objectives(objectives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Strategic objectives: at most MAX_OBJECTIVES, unique keys, titles, non-negative weights."""
    if len(objectives) > MAX_OBJECTIVES:
        raise InvalidInput("objectives", f"a portfolio has at most {MAX_OBJECTIVES} objectives")
    checked: list[dict[str, Any]] = []
    keys: set[str] = set()
    for index, objective in enumerate(objectives):
        field = f"objectives[{index}]"
        if not isinstance(objective, dict):
            raise InvalidInput(field, "must be an objective with a key, a title and a weight")
        key = text(objective.get("key"), f"{field}.key", required=True, max_length=CODE_LENGTH)
        title = text(
            objective.get("title"), f"{field}.title", required=True, max_length=NAME_LENGTH
        )
        weight = number(objective.get("weight", 1), f"{field}.weight", maximum=MAX_WEIGHT)
        if key in keys:
            raise InvalidInput(f"{field}.key", f"duplicates the key {key!r}")
        keys.add(key or "")
        checked.append({"key": key, "title": title, "weight": weight})
    return checked
