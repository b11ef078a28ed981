"""The board's commands as plain values: what one write asks of the ledger, one at a time or
a batch at once (an import, the demo), checked by the same rules either way.

Each carries its business date (`created_on`, `proposed_on`, the report's `period_end`,
`decided_on`, `completed_on`): the day the fact took effect, by default the day it is
recorded, never in the future, and per project never before a date already recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.health import StatusReport
from domain.lifecycle import DecisionKind
from domain.scenario import Weighed
from domain.selection import Requirement
from domain.weights import Comparison


@dataclass(frozen=True)
class Approval:
    """How a motion carried a decision: the motion, who proposed it, and who approved it
    (each `{name, role, recorded_at, meaning: "approval"}`), recorded on the decision."""

    motion_id: UUID
    proposed_by: str
    approved_by: tuple[dict[str, Any], ...]

    @staticmethod
    def fields(approval: Approval | None) -> dict[str, Any]:
        """The decision event's fields for it (none for a decision recorded at once)."""
        if approval is None:
            return {"motion_id": None, "proposed_by": None, "approved_by": []}
        return {"motion_id": approval.motion_id, "proposed_by": approval.proposed_by,
                "approved_by": [dict(a) for a in approval.approved_by]}


@dataclass(frozen=True)
class OpenPortfolio:
    """Open a portfolio: a budget envelope, its reporting cadence and strategic objectives.

    It is opened under `portfolio_id`, so later commands of the same batch can name it.
    """

    name: str
    budget: Decimal
    actor: str
    currency: str = "USD"
    reporting_cadence_days: int = 45
    objectives: tuple[dict[str, Any], ...] = ()
    portfolio_id: UUID = field(default_factory=uuid4)
    created_on: date | None = None
    policy: dict[str, Any] | None = None


@dataclass(frozen=True)
class ProposeProject:
    """Propose a project to a portfolio. A coded project's id follows from its portfolio and
    code (`Project.create_id`), so a later command of the same batch can name it."""

    portfolio_id: UUID
    name: str
    requested_budget: Decimal
    actor: str
    code: str | None = None
    sponsor: str | None = None
    manager: str | None = None
    planned_start: date | None = None
    planned_finish: date | None = None
    objectives: tuple[str, ...] = ()
    proposed_on: date | None = None


@dataclass(frozen=True)
class ReportStatus:
    """File a project's status report for one period, after the last reported one."""

    project_id: UUID
    report: StatusReport
    actor: str
    expected_version: int | None = None


@dataclass(frozen=True)
class Decide:
    """A board decision on one of a portfolio's projects: fund, pause, resume or discontinue.

    The evidence records the project's health as assessed on `evidence_on` (by default the
    day the ledger records the decision); history recorded after the fact assesses it on the
    meeting's own date, as the board saw it then.
    """

    portfolio_id: UUID
    project_id: UUID
    kind: DecisionKind
    rationale: str
    actor: str
    amount: Decimal | None = None
    decided_on: date | None = None
    meeting: str | None = None
    expected_version: int | None = None
    evidence_on: date | None = None
    approval: Approval | None = None
    scenario_id: UUID | None = None  # the scenario that advised it, if one did


@dataclass(frozen=True)
class Rescind:
    """Rescind a project's latest decision: a decision of kind `rescind` that undoes its
    effect, the project back to the status before it and the portfolio's allocation back to
    what it was. The decision rescinded stays in the log as recorded; a rescission cannot
    itself be rescinded. The board records one directly, or a motion of kind `rescind`
    carries this command until its approvals are in.

    `portfolio_id` and `project_id` are those of the decision rescinded; the rules check that
    it is the project's latest decision (`reason` is the rescission's rationale).
    """

    portfolio_id: UUID
    project_id: UUID
    decision_id: UUID
    reason: str
    actor: str
    decided_on: date | None = None
    meeting: str | None = None
    expected_version: int | None = None
    evidence_on: date | None = None
    approval: Approval | None = None

    @property
    def rationale(self) -> str:
        """A rescission's reason is its rationale."""
        return self.reason


@dataclass(frozen=True)
class CorrectDecision:
    """Correct the words of a recorded decision (its rationale, its meeting, or both), giving
    the reason: a new event that refers to the decision; the decision as recorded never
    changes. None leaves a word as it is; a blank meeting removes it. `project_id` is None
    for a decision on the portfolio itself (a budget revision, a policy change)."""

    portfolio_id: UUID
    project_id: UUID | None
    decision_id: UUID
    reason: str
    actor: str
    rationale: str | None = None
    meeting: str | None = None


@dataclass(frozen=True)
class CompleteProject:
    """Close an active project as delivered."""

    project_id: UUID
    summary: str
    actor: str
    expected_version: int | None = None
    completed_on: date | None = None


@dataclass(frozen=True)
class ReviseBudget:
    """Revise a portfolio's budget envelope: a decision of kind `budget`, never below what
    the portfolio has allocated."""

    portfolio_id: UUID
    budget: Decimal
    rationale: str
    actor: str
    decided_on: date | None = None
    meeting: str | None = None
    approval: Approval | None = None
    decision_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class ChangePolicy:
    """Change a portfolio's policy: a decision of kind `policy`."""

    portfolio_id: UUID
    policy: dict[str, Any]
    rationale: str
    actor: str
    decided_on: date | None = None
    meeting: str | None = None
    approval: Approval | None = None
    decision_id: UUID = field(default_factory=uuid4)


Proposal = Decide | ReviseBudget | ChangePolicy | Rescind
"""What a motion may carry: one of the board's decisions, applied by its own step."""


@dataclass(frozen=True)
class ProposeMotion:
    """Move a decision as a motion, to be carried by the approvals the policy requires.

    `proposal` is the decision as it would be recorded (its actor the proposer); the
    `motion_id` is chosen here, so a batch can name it."""

    proposal: Proposal
    actor: str
    role: str
    expected_version: int | None = None
    motion_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class CastVote:
    """A board member's vote on a motion: `approve` or `reject`, with a comment."""

    motion_id: UUID
    vote: str
    actor: str
    role: str
    comment: str | None = None


@dataclass(frozen=True)
class WithdrawMotion:
    """The proposer takes an open motion back."""

    motion_id: UUID
    actor: str
    role: str
    reason: str | None = None


@dataclass(frozen=True)
class SetWeights:
    """Weigh the portfolio's objectives: directly (`weights`) or by pairwise comparisons
    (`comparisons`, AHP), in force from `decided_on`."""

    portfolio_id: UUID
    rationale: str
    actor: str
    weights: dict[str, Any] | None = None
    comparisons: tuple[Comparison, ...] | None = None
    accept_inconsistent: bool = False
    decided_on: date | None = None


@dataclass(frozen=True)
class AssessProject:
    """Score a project 0-5 against its portfolio's objectives, with its monetary benefit."""

    project_id: UUID
    scores: dict[str, Any]
    rationale: str
    actor: str
    benefit: Decimal | None = None
    assessed_on: date | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordScenario:
    """Solve and record a scenario over the candidates as weighed now (`budget`: by default
    the portfolio's envelope). It is recorded under `scenario_id`, so a decision of the same
    batch can cite it."""

    portfolio_id: UUID
    name: str
    maximize: str
    candidates: tuple[Weighed, ...]
    actor: str
    budget: Decimal | None = None
    include: tuple[UUID, ...] = ()
    exclude: tuple[UUID, ...] = ()
    requires: tuple[Requirement, ...] = ()
    scenario_id: UUID = field(default_factory=uuid4)


Command = (OpenPortfolio | ProposeProject | ReportStatus | Decide | Rescind | CorrectDecision
           | CompleteProject | ReviseBudget | ChangePolicy | ProposeMotion | CastVote
           | WithdrawMotion | SetWeights | AssessProject | RecordScenario)
