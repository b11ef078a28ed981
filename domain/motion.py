"""The Motion aggregate: a decision proposed to the board, carried by the approvals its
portfolio's policy requires, or rejected, withdrawn, lapsed or expired.

Separation of duties is a rule here, not a convention of the pages: the proposer never
votes, nobody votes twice, one rejection closes the motion. Each step is an event naming the
board member, their role, when, and what their signature means (21 CFR 11.50).

A motion carries one of the domain's commands (`domain/commands.py`): `CARRIES` turns its
recorded terms back into that command, so a new kind of motion is one more entry there.

Lapse and expiry are never recorded: a motion is `lapsed` once its project's version moved
past the one it was proposed on, `expired` once `expires_at` has passed, judged whenever it is
read or voted on. A vote on such a motion records nothing and is refused (`MotionClosed`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.commands import Approval, ChangePolicy, Decide, Proposal, Rescind, ReviseBudget
from domain.errors import AlreadyVoted, InvalidInput, MotionClosed, NotTheProposer, SelfApproval
from domain.lifecycle import DecisionKind, LoggedKind
from domain.values import PROSE_LENGTH, actor_name, text


class MotionStatus(StrEnum):
    OPEN = "open"
    CARRIED = "carried"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"
    EXPIRED = "expired"


class Vote(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"

    @property
    def meaning(self) -> str:
        """What the signature means, as 21 CFR 11.50 asks a signed record to say."""
        return "approval" if self is Vote.APPROVE else "rejection"


EVIDENCE_CHANGED = "evidence-changed"


class Motion(Aggregate):
    """A proposed decision of one portfolio, waiting for its approvals."""

    class Proposed(Aggregate.Created):
        portfolio_id: UUID
        kind: str
        project_id: UUID | None
        terms: dict[str, Any]
        evidence: dict[str, Any]
        required: int
        expires_at: datetime
        actor: str
        role: str

    class Voted(Aggregate.Event):
        vote: str
        comment: str | None
        actor: str
        role: str
        meaning: str

        def apply(self, aggregate: Any) -> None:
            aggregate.votes.append({
                "name": self.actor, "role": self.role, "vote": self.vote,
                "comment": self.comment, "recorded_at": self.timestamp, "meaning": self.meaning,
            })

    class Carried(Aggregate.Event):
        """The approval that reached the bar recorded the decision, in the same write."""

        decision_id: UUID
        actor: str
        role: str

        def apply(self, aggregate: Any) -> None:
            aggregate.decision_id = self.decision_id

    class Withdrawn(Aggregate.Event):
        reason: str | None
        actor: str
        role: str

        def apply(self, aggregate: Any) -> None:
            aggregate.withdrawn = {"by": self.actor, "reason": self.reason,
                                   "recorded_at": self.timestamp}

    @event(Proposed)
    def __init__(
        self,
        portfolio_id: UUID,
        kind: str,
        project_id: UUID | None,
        terms: dict[str, Any],
        evidence: dict[str, Any],
        required: int,
        expires_at: datetime,
        actor: str,
        role: str,
    ) -> None:
        self.portfolio_id = portfolio_id
        self.kind = kind
        self.project_id = project_id
        self.terms = terms
        self.evidence = evidence
        self.required = required
        self.expires_at = expires_at
        self.proposed_by = actor
        self.proposed_role = role
        self.votes: list[dict[str, Any]] = []
        self.decision_id: UUID | None = None
        self.withdrawn: dict[str, Any] | None = None

    @classmethod
    def propose(
        cls,
        *,
        motion_id: UUID,
        proposal: Proposal,
        project_id: UUID | None,
        evidence: dict[str, Any],
        required: int,
        now: datetime,
        motion_days: int,
        actor: str,
        role: str,
    ) -> Motion:
        """A motion for a proposal already checked against the ledger as it stands."""
        kind, terms = terms_of(proposal)
        return cls._create(
            cls.Proposed,
            id=motion_id,
            portfolio_id=proposal.portfolio_id,
            kind=kind.value,
            project_id=project_id,
            terms=terms,
            evidence=evidence,
            required=required,
            expires_at=now + timedelta(days=motion_days),
            actor=actor_name(actor),
            role=role,
        )

    # Where it stands

    @property
    def approvals(self) -> list[dict[str, Any]]:
        return [v for v in self.votes if v["vote"] == Vote.APPROVE.value]

    @property
    def rejections(self) -> list[dict[str, Any]]:
        return [v for v in self.votes if v["vote"] == Vote.REJECT.value]

    def status(
        self, now: datetime, project_version: int | None = None
    ) -> tuple[MotionStatus, str | None]:
        """Its status judged at `now`, with the project at `project_version`; and why, when
        it lapsed."""
        if self.withdrawn is not None:
            return MotionStatus.WITHDRAWN, None
        if self.decision_id is not None:
            return MotionStatus.CARRIED, None
        if self.rejections:
            return MotionStatus.REJECTED, None
        proposed_on = self.evidence.get("project_version")
        if project_version is not None and proposed_on is not None \
                and project_version != proposed_on:
            return MotionStatus.LAPSED, EVIDENCE_CHANGED
        if now >= self.expires_at:
            return MotionStatus.EXPIRED, None
        return MotionStatus.OPEN, None

    def check_open(self, now: datetime, project_version: int | None) -> None:
        status, reason = self.status(now, project_version)
        if status is not MotionStatus.OPEN:
            raise MotionClosed(self.id, status.value, reason)

    def check_vote(self, voter: str, now: datetime, project_version: int | None) -> None:
        """Refuse a vote on a motion that is not open, by its proposer, or a second one."""
        self.check_open(now, project_version)
        if voter == self.proposed_by:
            raise SelfApproval(self.id)
        if any(v["name"] == voter for v in self.votes):
            raise AlreadyVoted(self.id, voter)

    def carried_by(self, vote: Vote) -> bool:
        """Whether this vote is the approval that reaches the bar."""
        return vote is Vote.APPROVE and len(self.approvals) + 1 >= self.required

    def approval(self, voter: str, role: str, now: datetime) -> Approval:
        """The approvals the decision records, this last one (at `now`) with them."""
        signed = [{"name": a["name"], "role": a["role"], "recorded_at": a["recorded_at"],
                   "meaning": a["meaning"]} for a in self.approvals]
        signed.append({"name": voter, "role": role, "recorded_at": now,
                       "meaning": Vote.APPROVE.meaning})
        return Approval(self.id, self.proposed_by, tuple(signed))

    def carrying(self, actor: str, approval: Approval) -> Proposal:
        """The command the motion carries, recorded by the carrying voter."""
        return CARRIES[LoggedKind(self.kind)](self, actor, approval)

    # Steps

    def vote(self, vote: Vote, *, actor: str, role: str, comment: str | None) -> None:
        self.trigger_event(self.Voted, vote=vote.value, comment=comment,
                           actor=actor_name(actor), role=role, meaning=vote.meaning)

    def carry(self, decision_id: UUID, *, actor: str, role: str) -> None:
        self.trigger_event(self.Carried, decision_id=decision_id, actor=actor_name(actor),
                           role=role)

    def withdraw(
        self, *, actor: str, role: str, reason: str | None, now: datetime,
        project_version: int | None,
    ) -> None:
        if actor != self.proposed_by:
            raise NotTheProposer(self.id, self.proposed_by)
        self.check_open(now, project_version)
        self.trigger_event(self.Withdrawn, reason=text(reason, "reason", max_length=PROSE_LENGTH),
                           actor=actor_name(actor), role=role)


def checked_vote(vote: str) -> Vote:
    try:
        return Vote(vote)
    except ValueError:
        raise InvalidInput("vote", "must be approve or reject") from None


def terms_of(proposal: Proposal) -> tuple[LoggedKind, dict[str, Any]]:
    """The kind and terms a motion records for the command it would carry."""
    words: dict[str, Any] = {"rationale": proposal.rationale, "decided_on": proposal.decided_on,
                             "meeting": proposal.meeting}
    match proposal:
        case Decide():
            return LoggedKind(proposal.kind.value), {
                "project_id": proposal.project_id, "amount": proposal.amount,
                "scenario_id": proposal.scenario_id, **words}
        case ReviseBudget():
            return LoggedKind.BUDGET, {"budget": proposal.budget, **words}
        case ChangePolicy():
            return LoggedKind.POLICY, {"policy": dict(proposal.policy), **words}
        case Rescind():
            return LoggedKind.RESCIND, {
                "project_id": proposal.project_id, "rescinds": proposal.decision_id, **words}


def _words(motion: Motion) -> dict[str, Any]:
    decided_on: date | None = motion.terms.get("decided_on")
    return {"rationale": motion.terms["rationale"], "decided_on": decided_on,
            "meeting": motion.terms.get("meeting")}


def _decide(motion: Motion, actor: str, approval: Approval) -> Proposal:
    amount: Decimal | None = motion.terms.get("amount")
    return Decide(motion.portfolio_id, motion.terms["project_id"], DecisionKind(motion.kind),
                  actor=actor, amount=amount,
                  expected_version=motion.evidence.get("project_version"),
                  approval=approval, scenario_id=motion.terms.get("scenario_id"),
                  **_words(motion))


def _budget(motion: Motion, actor: str, approval: Approval) -> Proposal:
    return ReviseBudget(motion.portfolio_id, motion.terms["budget"], actor=actor,
                        approval=approval, **_words(motion))


def _policy(motion: Motion, actor: str, approval: Approval) -> Proposal:
    return ChangePolicy(motion.portfolio_id, dict(motion.terms["policy"]), actor=actor,
                        approval=approval, **_words(motion))


def _rescind(motion: Motion, actor: str, approval: Approval) -> Proposal:
    words = _words(motion)
    return Rescind(motion.portfolio_id, motion.terms["project_id"], motion.terms["rescinds"],
                   words["rationale"], actor, decided_on=words["decided_on"],
                   meeting=words["meeting"],
                   expected_version=motion.evidence.get("project_version"), approval=approval)


# Each kind of motion, and the command that carries it.
CARRIES: dict[LoggedKind, Callable[[Motion, str, Approval], Proposal]] = {
    LoggedKind.FUND: _decide,
    LoggedKind.PAUSE: _decide,
    LoggedKind.RESUME: _decide,
    LoggedKind.DISCONTINUE: _decide,
    LoggedKind.BUDGET: _budget,
    LoggedKind.POLICY: _policy,
    LoggedKind.RESCIND: _rescind,
}
