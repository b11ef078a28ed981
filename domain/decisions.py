"""A board decision: its terms checked, the evidence the board had, taken on both aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.commands import Approval
from domain.errors import InvalidInput
from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio
from domain.project import Project, ProjectDecision
from domain.values import NAME_LENGTH, PROSE_LENGTH, money, not_in_future, text


@dataclass(frozen=True)
class Terms:
    """What the board decided, how much, why, when and where: checked before anything changes."""

    kind: DecisionKind
    amount: Decimal | None
    rationale: str
    meeting: str | None
    decided_on: date

    @classmethod
    def checked(
        cls,
        kind: DecisionKind,
        *,
        rationale: str,
        today: date,
        amount: Decimal | None = None,
        decided_on: date | None = None,
        meeting: str | None = None,
        rationale_field: str = "rationale",
    ) -> Terms:
        """A rationale is required, an amount only and always to fund, no date in the future
        (a rescission's rationale is its `reason`, the field a refusal names)."""
        if kind is DecisionKind.FUND:
            if amount is None:
                raise InvalidInput("amount", "is required to fund a project")
            amount = money(amount, "amount", positive=True)
        elif amount is not None:
            raise InvalidInput("amount", f"applies only to fund, not to {kind.value}")
        return cls(
            kind=kind,
            amount=amount,
            rationale=text(rationale, rationale_field, required=True, max_length=PROSE_LENGTH)
            or "",
            meeting=text(meeting, "meeting", max_length=NAME_LENGTH),
            decided_on=not_in_future(decided_on or today, today, "decided_on"),
        )


@dataclass(frozen=True)
class Words:
    """A portfolio decision's words and date (a budget revision, a policy change), checked."""

    rationale: str
    meeting: str | None
    decided_on: date

    @classmethod
    def checked(
        cls, *, rationale: str, today: date, decided_on: date | None, meeting: str | None
    ) -> Words:
        return cls(
            rationale=text(rationale, "rationale", required=True, max_length=PROSE_LENGTH) or "",
            meeting=text(meeting, "meeting", max_length=NAME_LENGTH),
            decided_on=not_in_future(decided_on or today, today, "decided_on"),
        )


@dataclass(frozen=True)
class Taken:
    """A decision applied to its project, with the evidence the board had before it."""

    id: UUID
    terms: Terms
    project_id: UUID
    actor: str
    status_before: Status
    status_after: Status
    evidence: dict[str, Any]

    def record(self, portfolio: Portfolio, approval: Approval | None = None) -> None:
        """The portfolio's side: the decision itself, under its budget rule (and, carried by a
        motion, its approvals)."""
        portfolio.record_decision(
            self.terms.kind,
            self.terms.amount,
            decision_id=self.id,
            project_id=self.project_id,
            rationale=self.terms.rationale,
            decided_on=self.terms.decided_on,
            meeting=self.terms.meeting,
            actor=self.actor,
            status_before=self.status_before.value,
            status_after=self.status_after.value,
            evidence=self.evidence,
            **Approval.fields(approval),
        )


@dataclass(frozen=True)
class Rescinded(Taken):
    """A rescission applied to its project: the decision it undoes, and what the portfolio
    allocated to the project before that decision (a discontinue's release, to allocate again)."""

    rescinded: ProjectDecision
    allocated_before: Decimal | None

    def record(self, portfolio: Portfolio, approval: Approval | None = None) -> None:
        portfolio.record_rescission(
            self.rescinded,
            self.allocated_before,
            decision_id=self.id,
            project_id=self.project_id,
            rationale=self.terms.rationale,
            decided_on=self.terms.decided_on,
            meeting=self.terms.meeting,
            actor=self.actor,
            status_before=self.status_before.value,
            status_after=self.status_after.value,
            evidence=self.evidence,
            **Approval.fields(approval),
        )


def rescind_on_project(
    terms: Terms,
    rescinds: UUID,
    portfolio: Portfolio,
    project: Project,
    *,
    actor: str,
    assessed_on: date,
) -> Rescinded:
    """Check the rescission against both aggregates, then apply the project's side: the
    project's latest decision undone, dated on or after it. A discontinue undone allocates
    again what it released (the project's funding): within the budget, checked here."""
    if project.portfolio_id != portfolio.id:
        raise InvalidInput("project_id", f"project {project.id} is not in portfolio {portfolio.id}")
    status_before = project.status
    evidence = evidence_of(portfolio, project, assessed_on)
    # A discontinued project's latest decision is its discontinue (the status is final): what
    # it released is its funding, allocated again only within the budget.
    project.check_rescindable(rescinds)
    released = project.funded if status_before is Status.DISCONTINUED else None
    if released:
        portfolio.check_budget(released)
    decision_id = uuid4()
    rescinded, status_after = project.rescind(
        rescinds, decision_id, actor, decided_on=terms.decided_on
    )
    return Rescinded(decision_id, terms, project.id, actor, status_before, status_after,
                     evidence, rescinded, released)


def take_on_project(
    terms: Terms, portfolio: Portfolio, project: Project, *, actor: str, assessed_on: date
) -> Taken:
    """Check the decision against both aggregates, then apply the project's side (dated on
    or after the project's latest date: its business dates never go backwards).

    The evidence is the project's version, status and health (assessed on `assessed_on`)
    before the decision: what the board had in front of it.
    """
    if project.portfolio_id != portfolio.id:
        raise InvalidInput("project_id", f"project {project.id} is not in portfolio {portfolio.id}")
    if terms.amount is not None:
        portfolio.check_budget(terms.amount)
    status_before = project.status
    evidence = evidence_of(portfolio, project, assessed_on)
    decision_id = uuid4()
    status_after = project.apply_decision(
        terms.kind, terms.amount, decision_id, actor, decided_on=terms.decided_on
    )
    return Taken(decision_id, terms, project.id, actor, status_before, status_after, evidence)


def evidence_of(portfolio: Portfolio, project: Project, assessed_on: date) -> dict[str, Any]:
    """What the board has in front of it on a project: its version, status and health."""
    return {
        "project_version": project.version,
        "status": project.status.value,
        "health": project.health(portfolio.reporting_cadence_days, assessed_on).as_evidence(),
    }
