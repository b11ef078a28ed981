"""Project lifecycle: which board decision moves a project from which status to which."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import TransitionNotAllowed


class Status(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    DISCONTINUED = "discontinued"
    COMPLETED = "completed"

    @property
    def is_final(self) -> bool:
        return self in (Status.DISCONTINUED, Status.COMPLETED)

    @property
    def is_delivering(self) -> bool:
        """Projects in delivery report their health and count in the health mix."""
        return self in (Status.ACTIVE, Status.PAUSED)


class DecisionKind(StrEnum):
    FUND = "fund"
    PAUSE = "pause"
    RESUME = "resume"
    DISCONTINUE = "discontinue"
    RESCIND = "rescind"  # undoes a project's latest decision: domain/decisions.py, not TRANSITIONS


class LoggedKind(StrEnum):
    """Every kind of decision in the log: the project decisions (a rescission among them),
    and the portfolio's own (a budget revision, a policy change). A motion moves one of them."""

    FUND = "fund"
    PAUSE = "pause"
    RESUME = "resume"
    DISCONTINUE = "discontinue"
    RESCIND = "rescind"
    BUDGET = "budget"
    POLICY = "policy"


TRANSITIONS: dict[DecisionKind, tuple[frozenset[Status], Status]] = {
    DecisionKind.FUND: (frozenset({Status.PROPOSED, Status.ACTIVE}), Status.ACTIVE),
    DecisionKind.PAUSE: (frozenset({Status.ACTIVE}), Status.PAUSED),
    DecisionKind.RESUME: (frozenset({Status.PAUSED}), Status.ACTIVE),
    DecisionKind.DISCONTINUE: (
        frozenset({Status.PROPOSED, Status.ACTIVE, Status.PAUSED}),
        Status.DISCONTINUED,
    ),
}


# The decisions that move a project by the table above: what the decisions endpoint takes.
DECIDABLE: tuple[DecisionKind, ...] = tuple(TRANSITIONS)


def allowed_kinds(status: Status) -> list[DecisionKind]:
    """The decisions the board may take on a project in this status."""
    return [kind for kind, (sources, _) in TRANSITIONS.items() if status in sources]


def status_after(kind: DecisionKind, status: Status) -> Status:
    """The status a decision leads to, or TransitionNotAllowed."""
    if kind not in TRANSITIONS:
        raise TransitionNotAllowed(kind.value, status.value, allowed_kinds(status))
    sources, target = TRANSITIONS[kind]
    if status not in sources:
        raise TransitionNotAllowed(kind.value, status.value, allowed_kinds(status))
    return target
