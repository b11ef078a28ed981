"""What `LedgerService` answers: each read model defined once, as a frozen pydantic model.

The HTTP response bodies (`api.http.schemas`) are these models by name for the API (a subclass
with the API's own name and docstring, no field of its own), the pages and the command line
read their attributes. So a field added here shows in the API, its OpenAPI document, the pages
and the CLI alike, and money is written one way: a decimal string with two places.

Pydantic rather than dataclasses: the shape includes how a value is written (money with two
places, an index as it was reported), and the API must check and write exactly this shape; with
pydantic the model is built and checked once from a view row, and dumped to JSON as it is.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from domain.lifecycle import LoggedKind, Status
from domain.values import CENT

T = TypeVar("T")


def money_text(value: Decimal) -> str:
    """Money as the ledger shows it: a decimal string with two places."""
    return str(value.quantize(CENT))


Money = Annotated[
    Decimal,
    PlainSerializer(money_text, return_type=str),
    Field(description="A decimal string with two places.", examples=["1250000.00"]),
]
DecimalText = Annotated[Decimal, PlainSerializer(str, return_type=str)]
Rating = Literal["green", "amber", "red"]
Overall = Literal["green", "amber", "red", "unknown"]


class ReadModel(BaseModel):
    """An answer of the ledger: frozen, built once from a view row."""

    model_config = ConfigDict(frozen=True)


EFFECTIVE_ON = Field(
    None,
    description="The business date asked about: the state in force at the end of that day, "
    "as recorded up to `as_of`. Null when not asked (the state as recorded, whatever the dates).",
)


class Moment(ReadModel):
    """What the ledger had recorded up to `as_of`; `position` is the last event reflected; on
    `effective_on`, when asked."""

    as_of: datetime
    position: int
    effective_on: date | None = EFFECTIVE_ON


class Objective(ReadModel):
    key: str
    title: str
    weight: DecimalText


class Policy(ReadModel):
    """How the portfolio decides: approvals by board members other than the proposer (0: a
    board member's decision is recorded at once), and the days a motion stays open."""

    approvals_required: int = Field(ge=0, le=9)
    motion_days: int = Field(ge=1, le=365)


class Signature(ReadModel):
    """A board member's signature on a motion: who, in which role, when, and what it means."""

    name: str
    role: str
    recorded_at: datetime
    meaning: Literal["approval", "rejection"]
    comment: str | None = None


class WeightsInForce(ReadModel):
    """The objectives' weights in force (summing to 1): the objectives' own, normalised, until
    the board sets them directly or by pairwise comparison (AHP, with its consistency ratio)."""

    weights: dict[str, DecimalText]
    method: Literal["objectives", "direct", "ahp"]
    consistency_ratio: DecimalText | None = Field(
        description="AHP only: CI / RI; above 0.10 only when accepted explicitly.")
    comparisons: list[dict[str, Any]]
    rationale: str | None
    decided_on: date = Field(description="The business date they took effect.")
    set_by: str
    set_at: datetime


class PortfolioView(ReadModel):
    """A portfolio as listed."""

    id: UUID
    name: str
    currency: str
    budget: Money
    allocated: Money
    available: Money
    reporting_cadence_days: int
    objectives: list[Objective]
    policy: Policy
    created_on: date = Field(description="The business date it was opened.")
    created_at: datetime
    created_by: str
    version: int


class PortfolioAt(PortfolioView, Moment):
    """A portfolio as the ledger had it at `as_of`, with the objectives' weights in force."""

    weights: WeightsInForce | None = None


class ProjectView(ReadModel):
    """A project as listed: its status, funding and overall health."""

    id: UUID
    portfolio_id: UUID
    code: str | None
    name: str
    sponsor: str | None
    manager: str | None
    status: Status
    funded: Money
    requested_budget: Money
    planned_start: date | None
    planned_finish: date | None
    objectives: list[str]
    health: Overall
    stale: bool
    last_period_end: date | None
    proposed_on: date = Field(description="The business date it was proposed.")
    completed_on: date | None = Field(description="The business date it was completed.")
    proposed_at: datetime
    proposed_by: str
    version: int
    score: DecimalText | None = Field(
        None, description="The weighted sum of its latest assessment's scores under the weights"
        " in force, 4 places; null until it is assessed.")
    benefit: Money | None = Field(None, description="Its latest assessment's monetary benefit.")

    @property
    def overdue(self) -> bool:
        """In delivery, and its last report older than the portfolio's cadence."""
        return self.stale and self.status.is_delivering


class ProjectAt(ProjectView, Moment):
    """A project as the ledger had it at `as_of`; `version` is its ETag."""


class ProjectStanding(ProjectView):
    """A project as the board pack lists it: the project with its last report's indices."""

    cpi: DecimalText | None
    spi: DecimalText | None


class HealthView(ReadModel):
    """A project's health from one status report (or `unknown` before the first)."""

    project_id: UUID
    overall: Overall
    schedule: Rating | None
    cost: Rating | None
    scope: Rating | None
    quality: Rating | None
    risk: Rating | None
    cpi: DecimalText | None
    spi: DecimalText | None
    percent_complete: DecimalText | None
    period_end: date | None
    planned_value: Money | None
    earned_value: Money | None
    actual_cost: Money | None
    summary: str | None
    stale: bool
    reported_at: datetime | None
    reported_by: str | None


class HealthAt(HealthView, Moment):
    """A project's health as the ledger had it at `as_of`."""


class ReportRecorded(HealthAt):
    """A report as recorded: the project's health now, its new version and where it landed."""

    version: int
    recorded_at: datetime


class StatusTotal(ReadModel):
    count: int
    funded: Money


class CompositionProject(ReadModel):
    id: UUID
    code: str | None
    name: str
    status: Status
    funded: Money
    health: Overall


class Composition(Moment):
    """What the portfolio holds: `allocated + available == budget`, by status and by health."""

    portfolio_id: UUID
    budget: Money
    allocated: Money
    available: Money
    by_status: dict[Status, StatusTotal]
    by_health: dict[Overall, int]
    projects: list[CompositionProject]


class DecisionWords(ReadModel):
    """A decision's words: why, and at which meeting."""

    rationale: str
    meeting: str | None


class Correction(ReadModel):
    """A correction of a decision's words: who made it, when it was recorded, why, and the
    words before and after it (the decision's own event is never changed)."""

    by: str
    recorded_at: datetime
    position: int = Field(description="Where the correction stands in the log.")
    reason: str
    before: DecisionWords
    after: DecisionWords


class ScenarioCited(ReadModel):
    """A scenario a decision cites: "advised by scenario S"."""

    id: UUID
    name: str


class DecisionRecord(ReadModel):
    """A recorded board decision: who, when, why, and the evidence the board had; its words
    as last corrected (`corrections` lists each correction), and the rescission that undid it."""

    id: UUID
    portfolio_id: UUID
    project_id: UUID | None = Field(description="Null for the portfolio's own decisions "
                                    "(`budget`, `policy`).")
    project_code: str | None
    project_name: str | None
    kind: LoggedKind
    amount: Money | None = Field(
        description="Fund: the amount allocated; a rescission of a discontinue: the funding "
        "allocated again.")
    released: Money | None = Field(
        description="Discontinue: the funding given back; a rescission of a fund: the amount "
        "given back.")
    rationale: str = Field(description="Why, as last corrected (a rescission: its reason).")
    meeting: str | None = Field(description="The meeting, as last corrected.")
    decided_by: str
    decided_on: date
    recorded_at: datetime
    position: int
    status_before: Status | None
    status_after: Status | None
    evidence: dict[str, Any]
    rescinds: UUID | None = Field(None, description="A rescission: the decision it rescinds.")
    rescinded_by: UUID | None = Field(
        None, description="The rescission that undid this decision.")
    corrections: list[Correction] = Field(
        default_factory=list,
        description="Corrections of the words, oldest first; empty when never corrected.")
    budget_before: Money | None = Field(None, description="Budget only: the envelope before.")
    budget_after: Money | None = Field(None, description="Budget only: the envelope after.")
    policy_before: Policy | None = Field(None, description="Policy only: the policy before.")
    policy_after: Policy | None = Field(None, description="Policy only: the policy after.")
    motion_id: UUID | None = Field(None, description="The motion that carried it, if one did.")
    proposed_by: str | None = Field(None, description="Who proposed the motion that carried it.")
    approved_by: list[Signature] = Field(
        [], description="The approvals that carried it, each `meaning: approval`.")
    advised_by: ScenarioCited | None = Field(
        None, description="The scenario the decision cites, if one advised it.")


class DecisionAt(DecisionRecord):
    """A decision as read on its own; `position` is where it stands in the log."""

    as_of: datetime
    effective_on: date | None = EFFECTIVE_ON


MotionStatusText = Literal["open", "carried", "rejected", "withdrawn", "lapsed", "expired"]


class MotionRecord(ReadModel):
    """A decision proposed to the board, and where it stands: the approvals (by members other
    than the proposer) it has and needs, the rejection that closed it, the decision it carried.
    `lapsed` (reason `evidence-changed`): its project changed after it was proposed; `expired`:
    open past `expires_at`. Both are judged at the instant read, never recorded."""

    id: UUID
    portfolio_id: UUID
    kind: LoggedKind
    project_id: UUID | None
    rescinds: UUID | None = Field(None, description="Kind rescind: the decision it would "
                                  "rescind.")
    amount: Money | None
    budget: Money | None
    policy: Policy | None
    rationale: str
    decided_on: date | None
    meeting: str | None
    proposed_by: str
    proposed_role: str
    proposed_at: datetime
    evidence: dict[str, Any]
    status: MotionStatusText
    reason: str | None = Field(description="Why it lapsed: `evidence-changed`.")
    approvals: list[Signature]
    rejections: list[Signature]
    required: int
    expires_at: datetime
    decision_id: UUID | None
    withdrawn_by: str | None
    withdrawal_reason: str | None
    position: int = Field(description="The log position of its latest step.")


class MotionAt(MotionRecord):
    """A motion as read on its own, as of an instant."""

    as_of: datetime
    effective_on: date | None = EFFECTIVE_ON


class RankedProject(ReadModel):
    """A candidate (neither discontinued nor completed) as ranked: by score, then benefit per
    cost, then code. `cost` is its requested budget."""

    project_id: UUID
    code: str | None
    name: str
    status: Status
    score: DecimalText | None
    benefit: Money | None
    cost: Money
    benefit_per_cost: DecimalText | None
    rank: int
    assessed_at: datetime | None


class Ranking(Moment):
    """A portfolio's candidates ranked, under the weights in force."""

    portfolio_id: UUID
    weights: WeightsInForce
    items: list[RankedProject]


class ScenarioChanges(ReadModel):
    """What the scenario changes against the plan of record."""

    start: list[UUID] = Field(description="Proposed projects it selects.")
    stop: list[UUID] = Field(description="Active or paused projects it leaves out.")
    keep: list[UUID] = Field(description="The other projects it selects.")


class ScenarioView(ReadModel):
    """A scenario the board ran: its inputs, the proven best selection and what it changes."""

    id: UUID
    portfolio_id: UUID
    name: str
    inputs: dict[str, Any]
    status: Literal["optimal"]
    selected: list[UUID]
    total_cost: Money
    total_value: DecimalText
    solver: str
    changes: ScenarioChanges
    recorded_at: datetime
    recorded_by: str
    position: int


class ScenarioAt(ScenarioView):
    """A scenario as read on its own."""

    as_of: datetime


class FrontierPointView(ReadModel):
    budget: Money
    value: DecimalText
    selected_count: int


class PlanOfRecord(ReadModel):
    """The current funded selection (active and paused projects): its cost and value."""

    cost: Money
    value: DecimalText
    selected_count: int


class Frontier(Moment):
    """The exact best value at evenly spaced budgets, never falling as the budget grows, and
    where the plan of record stands."""

    portfolio_id: UUID
    maximize: Literal["score", "benefit"]
    points: list[FrontierPointView]
    plan_of_record: PlanOfRecord


class EventRecord(ReadModel):
    """A stored event as an auditor reads it. An event the ledger cannot read (its stored row
    was altered outside the ledger) is listed too, at its position, as type `Unreadable`: with
    the id and version it is stored under when they are a UUID and a number, no time or actor,
    and `data.reason` saying why; `portfolio-ledger verify` then names the first change."""

    position: int
    originator_id: UUID | None = Field(description="Null only for an `Unreadable` event.")
    version: int | None = Field(description="Null only for an `Unreadable` event.")
    type: str = Field(
        description="The event, e.g. `ProjectFunded`; `Unreadable` when it cannot be read.",
        examples=["ProjectFunded", "Unreadable"],
    )
    recorded_at: datetime | None = Field(description="Null only for an `Unreadable` event.")
    actor: str | None
    data: dict[str, Any] = Field(
        description="The event's fields as recorded; for an `Unreadable` event only `reason`.",
        examples=[
            {"amount": "150000.00", "rationale": "Business case approved"},
            {
                "reason": "the stored event at position 3 cannot be read (its state is stored"
                " as text, not bytes): the store was altered outside the ledger; run"
                " `portfolio-ledger verify`"
            },
        ],
    )


class Listing(ReadModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next (null: the end)."""

    items: list[T]
    next_cursor: str | None


class Page(Listing[T], Moment, Generic[T]):
    """One page of a list as the ledger had it at `as_of`."""


class HaltedProjection(ReadModel):
    """A view that cannot apply one event: it stays before it, the other views go on."""

    projection: str = Field(examples=["decisions"])
    position: int = Field(description="The log position it cannot apply.")
    error: str = Field(description="Why, in one line.")
    since: datetime


class ServiceStatus(ReadModel):
    """Whether the store answers, which one it is, how far the views trail the log, and which
    views are halted (`status` is then `degraded`: writes are still recorded, the other views
    current)."""

    status: Literal["ok", "degraded"]
    store: Literal["sqlite", "postgresql"]
    projection_lag: int
    projections: dict[str, int]
    halted: list[HaltedProjection] = Field(default_factory=list)
