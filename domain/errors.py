"""One hierarchy for every rule the ledger refuses to break."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose; nothing was recorded."""


class EventUnreadable(LedgerError):
    """A stored event cannot be read: the store was altered outside the ledger."""

    def __init__(self, position: int, reason: str) -> None:
        self.position = position
        self.reason = reason
        super().__init__(
            f"the stored event at position {position} cannot be read ({reason}): the store was"
            " altered outside the ledger; run `portfolio-ledger verify`"
        )


class GovernanceError(LedgerError):
    """A rule of portfolio governance refused the request."""


class StoreUnavailable(LedgerError):
    """The event store could not be reached or is busy; try again."""

    @classmethod
    def because(cls, error: Exception) -> StoreUnavailable:
        """The error a failed connection is told as: its first line, or "no answer"."""
        detail = str(error).splitlines()[0] if str(error) else "no answer"
        return cls(f"the event store is unreachable: {detail}")


class NotFound(GovernanceError):
    """The named thing is not in the ledger."""

    kind = "thing"

    def __init__(self, ident: UUID | str) -> None:
        self.ident = ident
        super().__init__(f"no {self.kind} with id {ident}")


class PortfolioNotFound(NotFound):
    kind = "portfolio"


class ProjectNotFound(NotFound):
    kind = "project"


class DecisionNotFound(NotFound):
    kind = "decision"


class MotionNotFound(NotFound):
    kind = "motion"


class ScenarioNotFound(NotFound):
    kind = "scenario"


class InvalidInput(GovernanceError):
    """A value breaks a rule of its own, whatever the state of the ledger."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class Conflict(GovernanceError):
    """The request is well formed but conflicts with the ledger as it stands."""


class TransitionNotAllowed(Conflict):
    """The project's lifecycle does not allow this step from its current status."""

    def __init__(self, action: str, status: str, allowed: Sequence[str]) -> None:
        self.action = action
        self.status = status
        self.allowed = list(allowed)
        allowed_text = ", ".join(self.allowed) or "none: the status is final"
        super().__init__(
            f"cannot {action} a project that is {status} (allowed now: {allowed_text})"
        )


class BudgetExceeded(Conflict):
    """Funding would allocate beyond the portfolio's budget envelope."""

    def __init__(self, requested: Decimal, available: Decimal) -> None:
        self.requested = requested
        self.available = available
        super().__init__(
            f"funding {requested} exceeds the portfolio's available budget {available}"
        )


class DuplicateCode(Conflict):
    """A project code is unique within its portfolio."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"the portfolio already has a project with code {code!r}")


class BusinessDateOutOfOrder(Conflict):
    """A project's business dates never go backwards: a fact dated before one already recorded
    for the project (its proposal, its latest decision, its last report) is refused.

    `latest` is the date the field must not precede; `after_latest` says whether that date
    itself is refused too (a status report's period comes after the last one, never again).
    """

    def __init__(
        self, field: str, value: date, latest: date, what: str, *, after_latest: bool = False
    ) -> None:
        self.field = field
        self.value = value
        self.latest = latest
        self.after_latest = after_latest
        bound = "after" if after_latest else "on or after"
        super().__init__(
            f"{field} {value.isoformat()} must be {bound} {latest.isoformat()}, {what}: "
            "a project's dates never go backwards"
        )


class NotLatest(Conflict):
    """Only a project's latest decision can be rescinded: a later one stands on it."""

    def __init__(self, decision_id: UUID, latest: UUID) -> None:
        self.decision_id = decision_id
        self.latest = latest
        super().__init__(
            f"decision {decision_id} is not its project's latest decision ({latest} is): only "
            "the latest can be rescinded"
        )


class PortfolioDecisionNotRescindable(Conflict):
    """A budget revision or a policy change is undone by deciding again, not by rescission:
    rescission undoes a project's latest decision."""

    def __init__(self, decision_id: UUID, kind: str) -> None:
        self.decision_id = decision_id
        self.kind = kind
        super().__init__(
            f"decision {decision_id} is the portfolio's own ({kind}): only a project's latest "
            f"decision can be rescinded; record a new {kind} decision instead"
        )


class RescissionNotRescindable(Conflict):
    """A rescission is final: it cannot itself be rescinded (decide again instead)."""

    def __init__(self, decision_id: UUID) -> None:
        self.decision_id = decision_id
        super().__init__(
            f"decision {decision_id} is a rescission, and a rescission cannot be rescinded: "
            "record a new decision instead"
        )


class BudgetBelowAllocated(Conflict):
    """A budget revision never takes the envelope below what is allocated already."""

    def __init__(self, budget: Decimal, allocated: Decimal) -> None:
        self.budget = budget
        self.allocated = allocated
        super().__init__(
            f"a budget of {budget} is below the {allocated} the portfolio has allocated"
        )


class ApprovalRequired(Conflict):
    """The portfolio's policy requires approvals: the change must be moved as a motion."""

    def __init__(self, portfolio_id: UUID, required: int) -> None:
        self.portfolio_id = portfolio_id
        self.required = required
        self.motions = f"/v1/portfolios/{portfolio_id}/motions"
        plural = "" if required == 1 else "s"
        super().__init__(
            f"the portfolio's policy requires {required} approval{plural} by other board"
            f" members: propose it as a motion (POST {self.motions})"
        )


class SelfApproval(Conflict):
    """The proposer of a motion never votes on it: separation of duties."""

    def __init__(self, motion_id: UUID) -> None:
        self.motion_id = motion_id
        super().__init__(f"the proposer of motion {motion_id} cannot vote on it")


class AlreadyVoted(Conflict):
    """Nobody votes twice on one motion."""

    def __init__(self, motion_id: UUID, voter: str) -> None:
        self.motion_id = motion_id
        self.voter = voter
        super().__init__(f"{voter} has voted on motion {motion_id} already")


class MotionClosed(Conflict):
    """The motion is no longer open: carried, rejected, withdrawn, lapsed or expired."""

    def __init__(self, motion_id: UUID, status: str, reason: str | None = None) -> None:
        self.motion_id = motion_id
        self.status = status
        self.reason = reason
        because = f" ({reason})" if reason else ""
        super().__init__(f"motion {motion_id} is {status}{because}: it takes no more votes")


class NotTheProposer(GovernanceError):
    """Only the board member who proposed a motion may withdraw it."""

    def __init__(self, motion_id: UUID, proposer: str) -> None:
        self.motion_id = motion_id
        self.proposer = proposer
        super().__init__(f"only the proposer of motion {motion_id} ({proposer}) may withdraw it")


class ConcurrentWrite(Conflict):
    """Another write changed the same aggregate first; nothing of this one was kept."""

    def __init__(self) -> None:
        super().__init__("another write changed this record first; reload it and decide again")


class StaleEvidence(GovernanceError):
    """The project changed since the board looked at it (If-Match no longer holds)."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"the project is at version {actual}, not {expected}: "
            "review its new evidence before deciding"
        )


class CommandRefused(GovernanceError):
    """One command of a batch broke a rule, so nothing of the batch was recorded.

    `index` is the refused command's place in the batch, `error` the rule's own error, the one
    the command on its own would have raised.
    """

    def __init__(self, index: int, error: GovernanceError) -> None:
        self.index = index
        self.error = error
        super().__init__(f"command {index + 1} of the batch: {error}")


class Infeasible(GovernanceError):
    """No selection meets the constraints asked for; `constraints` names each one broken, in
    plain words ("include P1 and exclude P1")."""

    def __init__(self, constraints: Sequence[str]) -> None:
        self.constraints = list(constraints)
        super().__init__("no selection meets these constraints: " + "; ".join(self.constraints))


class InconsistentComparisons(GovernanceError):
    """Pairwise comparisons whose consistency ratio is above the limit (Saaty's 0.10): the
    board contradicts itself too much for the weights to mean anything, unless it accepts so."""

    def __init__(self, consistency_ratio: Decimal, limit: Decimal) -> None:
        self.consistency_ratio = consistency_ratio
        self.limit = limit
        super().__init__(
            f"the comparisons' consistency ratio {consistency_ratio} is above {limit}: revise"
            " the comparisons that contradict each other, or accept them as they are"
        )
