"""The one path every write takes: each command applied, by the domain's own rules, to the
aggregates it changes, loaded once and held until they are saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from domain.commands import (
    Approval,
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
from domain.decisions import Taken, Terms, Words, evidence_of, rescind_on_project, take_on_project
from domain.errors import (
    BusinessDateOutOfOrder,
    DecisionNotFound,
    DuplicateCode,
    InvalidInput,
    MotionNotFound,
    PortfolioNotFound,
    ProjectNotFound,
    ScenarioNotFound,
    StaleEvidence,
)
from domain.lifecycle import DECIDABLE, DecisionKind, Status, status_after
from domain.motion import Motion, checked_vote
from domain.portfolio import Portfolio, check_policy
from domain.project import Project
from domain.scenario import Scenario, advise
from domain.scoring import checked_scores
from domain.values import NAME_LENGTH, PROSE_LENGTH, actor_name, business_date, text
from domain.weights import direct, from_comparisons

Held = Portfolio | Project | Motion | Scenario
H = TypeVar("H", Portfolio, Project, Motion)
NEW = -1  # a touch of an aggregate that came into hand during the group


class Reads(Protocol):
    """What the work reads from the ledger: aggregates as recorded, and whether an id is."""

    def portfolio(self, portfolio_id: UUID, version: int | None = None) -> Portfolio: ...

    def project(self, project_id: UUID, version: int | None = None) -> Project: ...

    def motion(self, motion_id: UUID, version: int | None = None) -> Motion: ...

    def scenario(self, scenario_id: UUID) -> Scenario: ...

    def is_recorded(self, ident: UUID) -> bool: ...


class Work:
    """The aggregates a write changes, in hand, and the board's commands applied to them.

    A command on its own and a batch of them run the same steps, so every rule holds for
    both. Each step checks before it changes anything, so a refused command changes nothing.
    """

    def __init__(self, reads: Reads, today: date, now: datetime | None = None) -> None:
        self.reads = reads
        self.today = today
        self.now = now or datetime.now(UTC)  # the instant motions are judged at
        self.held: dict[UUID, Held] = {}  # in the order they came into hand
        self.opened: set[UUID] = set()  # portfolios opened here: none of their projects is
        self.proposed: set[UUID] = set()  # recorded but these, proposed here
        # While a batch applies a group: each aggregate it touched, with how many events it
        # had pending before (NEW: it came into hand during the group).
        self.touches: dict[UUID, int] | None = None
        self.forgotten: set[UUID] = set()  # let go by a dry run that had changed them

    def apply(self, command: Command) -> Held | Taken:
        match command:
            case ReviseBudget():
                return self.revise_budget(command)
            case ChangePolicy():
                return self.change_policy(command)
            case ProposeMotion():
                return self.propose_motion(command)
            case CastVote():
                return self.cast_vote(command)
            case WithdrawMotion():
                return self.withdraw_motion(command)
            case OpenPortfolio():
                return self.open_portfolio(command)
            case ProposeProject():
                return self.propose_project(command)
            case ReportStatus():
                return self.report_status(command)
            case Decide():
                return self.decide(command)
            case Rescind():
                return self.rescind(command)
            case CorrectDecision():
                return self.correct_decision(command)
            case CompleteProject():
                return self.complete_project(command)
            case SetWeights():
                return self.set_weights(command)
            case AssessProject():
                return self.assess_project(command)
            case RecordScenario():
                return self.record_scenario(command)

    # The steps, one per command

    def open_portfolio(self, command: OpenPortfolio) -> Portfolio:
        if command.portfolio_id in self.held:
            raise InvalidInput("portfolio_id", f"{command.portfolio_id} is opened already")
        portfolio = Portfolio.open(
            name=command.name,
            budget=command.budget,
            currency=command.currency,
            reporting_cadence_days=command.reporting_cadence_days,
            objectives=list(command.objectives),
            actor=command.actor,
            portfolio_id=command.portfolio_id,
            created_on=business_date(command.created_on, self.today, "created_on"),
            policy=command.policy,
        )
        self.opened.add(portfolio.id)
        return self._hold(portfolio)

    def propose_project(self, command: ProposeProject) -> Project:
        portfolio = self.portfolio(command.portfolio_id)
        project = Project.propose(
            portfolio_id=portfolio.id,
            name=command.name,
            requested_budget=command.requested_budget,
            code=command.code,
            sponsor=command.sponsor,
            manager=command.manager,
            planned_start=command.planned_start,
            planned_finish=command.planned_finish,
            objectives=list(command.objectives),
            known_objectives=portfolio.objective_keys(),
            actor=command.actor,
            proposed_on=business_date(command.proposed_on, self.today, "proposed_on"),
        )
        if project.code is not None:
            # A coded project's id follows from its code: taken means the code is.
            if project.id in self.held or project.id in self.proposed or (
                portfolio.id not in self.opened and self.reads.is_recorded(project.id)
            ):
                raise DuplicateCode(project.code)
            if portfolio.id in self.opened:
                self.proposed.add(project.id)
        return self._hold(project)

    def report_status(self, command: ReportStatus) -> Project:
        project = self.project(command.project_id)
        check_version(project, command.expected_version)
        project.report_status(command.report, self.today, command.actor)
        return project

    def complete_project(self, command: CompleteProject) -> Project:
        project = self.project(command.project_id)
        check_version(project, command.expected_version)
        completed_on = business_date(command.completed_on, self.today, "completed_on")
        project.complete(command.summary, command.actor, completed_on)
        return project

    def decide(self, command: Decide) -> Taken:
        """Both halves of a decision: the project's, then the portfolio's under its budget."""
        if command.kind not in DECIDABLE:
            raise InvalidInput("kind", f"{command.kind.value} is not decided directly: a "
                               "rescission names the decision it rescinds")
        terms = Terms.checked(
            command.kind,
            rationale=command.rationale,
            today=self.today,
            amount=command.amount,
            decided_on=command.decided_on,
            meeting=command.meeting,
        )
        portfolio = self.portfolio(command.portfolio_id)
        portfolio.check_direct(command.approval is not None)
        project = self.project(command.project_id)
        check_version(project, command.expected_version)
        advised = self.advised_by(command.scenario_id, portfolio)
        taken = take_on_project(
            terms,
            portfolio,
            project,
            actor=command.actor,
            assessed_on=command.evidence_on or self.today,
        )
        taken.evidence.update(advised)
        taken.record(portfolio, command.approval)
        return taken

    def rescind(self, command: Rescind) -> Taken:
        """Both halves of a rescission, a decision of kind `rescind`: the project back to the
        status before its latest decision, the portfolio's allocation back to what it was."""
        terms = Terms.checked(
            DecisionKind.RESCIND,
            rationale=command.reason,
            today=self.today,
            decided_on=command.decided_on,
            meeting=command.meeting,
            rationale_field="reason",
        )
        portfolio = self.portfolio(command.portfolio_id)
        portfolio.check_direct(command.approval is not None)
        project = self.project(command.project_id)
        check_version(project, command.expected_version)
        taken = rescind_on_project(
            terms,
            command.decision_id,
            portfolio,
            project,
            actor=command.actor,
            assessed_on=command.evidence_on or self.today,
        )
        taken.record(portfolio, command.approval)
        return taken

    def correct_decision(self, command: CorrectDecision) -> Portfolio:
        """A correction of a decision's words, on the portfolio that recorded the decision."""
        reason = text(command.reason, "reason", required=True, max_length=PROSE_LENGTH) or ""
        corrected: dict[str, str | None] = {}
        if command.rationale is not None:
            corrected["rationale"] = text(
                command.rationale, "rationale", required=True, max_length=PROSE_LENGTH)
        if command.meeting is not None:
            corrected["meeting"] = text(command.meeting, "meeting", max_length=NAME_LENGTH)
        if not corrected:
            raise InvalidInput("rationale", "give the corrected rationale or meeting (or both)")
        portfolio = self.portfolio(command.portfolio_id)
        if command.project_id is None:
            if str(command.decision_id) not in portfolio.own_decisions:
                raise DecisionNotFound(command.decision_id)
        else:
            project = self.project(command.project_id)
            if project.portfolio_id != portfolio.id or (
                project.decision(command.decision_id) is None
            ):
                raise DecisionNotFound(command.decision_id)
        portfolio.correct_decision(command.decision_id, command.project_id, reason=reason,
                                   corrected=corrected, actor=command.actor)
        return portfolio

    def revise_budget(self, command: ReviseBudget) -> Portfolio:
        """A decision of kind `budget`: the envelope revised, never below what is allocated."""
        portfolio, decision = self.own_decision(command)
        portfolio.revise_budget(command.budget, **decision)
        return portfolio

    def change_policy(self, command: ChangePolicy) -> Portfolio:
        """A decision of kind `policy`: how many approvals a change needs from now on."""
        portfolio, decision = self.own_decision(command)
        portfolio.change_policy(command.policy, **decision)
        return portfolio

    def own_decision(
        self, command: ReviseBudget | ChangePolicy
    ) -> tuple[Portfolio, dict[str, Any]]:
        """A decision on the portfolio itself, checked: the portfolio, and the fields its event
        records beside the new budget or policy (the evidence: the envelope as it stood)."""
        portfolio = self.portfolio(command.portfolio_id)
        portfolio.check_direct(command.approval is not None)
        words = self.portfolio_words(portfolio, command)
        return portfolio, {
            "decision_id": command.decision_id,
            "rationale": words.rationale,
            "decided_on": words.decided_on,
            "meeting": words.meeting,
            "actor": actor_name(command.actor),
            "evidence": budget_evidence(portfolio),
            **Approval.fields(command.approval),
        }

    def portfolio_words(self, portfolio: Portfolio, command: ReviseBudget | ChangePolicy) -> Words:
        words = Words.checked(rationale=command.rationale, today=self.today,
                              decided_on=command.decided_on, meeting=command.meeting)
        if words.decided_on < portfolio.opened_on:
            raise BusinessDateOutOfOrder("decided_on", words.decided_on, portfolio.opened_on,
                                         "the date the portfolio was opened")
        return words

    def propose_motion(self, command: ProposeMotion) -> Motion:
        """A motion for a decision, checked now as the decision itself would be (a motion
        that could not be carried today is refused), with the evidence the board has."""
        proposal = command.proposal
        portfolio = self.portfolio(proposal.portfolio_id)
        if command.motion_id in self.held or self.reads.is_recorded(command.motion_id):
            raise InvalidInput("motion_id", f"{command.motion_id} is recorded already")
        project_id: UUID | None = None
        match proposal:
            case Decide():
                terms = Terms.checked(proposal.kind, rationale=proposal.rationale,
                                      today=self.today, amount=proposal.amount,
                                      decided_on=proposal.decided_on, meeting=proposal.meeting)
                project = self.project(proposal.project_id)
                check_version(project, command.expected_version)
                if project.portfolio_id != portfolio.id:
                    raise InvalidInput("project_id", f"project {project.id} is not in portfolio"
                                       f" {portfolio.id}")
                status_after(terms.kind, project.status)
                project.check_dated("decided_on", terms.decided_on)
                if terms.amount is not None:
                    portfolio.check_budget(terms.amount)
                advised = self.advised_by(proposal.scenario_id, portfolio)
                proposal = Decide(portfolio.id, project.id, terms.kind, terms.rationale,
                                  proposal.actor, amount=terms.amount,
                                  decided_on=proposal.decided_on, meeting=terms.meeting,
                                  scenario_id=proposal.scenario_id)
                project_id = project.id
                evidence = {**evidence_of(portfolio, project, self.today), **advised}
            case Rescind():
                terms = Terms.checked(DecisionKind.RESCIND, rationale=proposal.reason,
                                      today=self.today, decided_on=proposal.decided_on,
                                      meeting=proposal.meeting, rationale_field="reason")
                project = self.project(proposal.project_id)
                check_version(project, command.expected_version)
                if project.portfolio_id != portfolio.id:
                    raise InvalidInput("rescinds", f"decision {proposal.decision_id} is not in "
                                       f"portfolio {portfolio.id}")
                project.check_rescindable(proposal.decision_id)
                project.check_dated("decided_on", terms.decided_on)
                if project.status is Status.DISCONTINUED and project.funded:
                    portfolio.check_budget(project.funded)
                project_id = project.id
                evidence = evidence_of(portfolio, project, self.today)
            case ReviseBudget() | ChangePolicy():
                self.portfolio_words(portfolio, proposal)  # its words and date, checked
                if isinstance(proposal, ReviseBudget):
                    portfolio.check_budget_revision(proposal.budget)
                else:
                    check_policy(proposal.policy)
                evidence = budget_evidence(portfolio)
        motion = Motion.propose(
            motion_id=command.motion_id,
            proposal=proposal,
            project_id=project_id,
            evidence=evidence,
            required=max(1, portfolio.approvals_required),
            now=self.now,
            motion_days=int(portfolio.policy["motion_days"]),
            actor=command.actor,
            role=command.role,
        )
        return self._hold(motion)

    def cast_vote(self, command: CastVote) -> Motion:
        """A vote; the approval that reaches the bar records the decision with it, checked
        by the rules as they stand now (refused: this vote is refused, the motion open)."""
        vote = checked_vote(command.vote)
        comment = text(command.comment, "comment", max_length=PROSE_LENGTH)
        motion = self.motion(command.motion_id)
        voter = actor_name(command.actor)
        motion.check_vote(voter, self.now, self.project_version(motion))
        if motion.carried_by(vote):
            approval = motion.approval(voter, command.role, self.now)
            carried = motion.carrying(voter, approval)
            outcome = self.apply(carried)
            if isinstance(outcome, Taken):
                decision_id = outcome.id
            elif isinstance(carried, ReviseBudget | ChangePolicy):
                decision_id = carried.decision_id
            else:  # every command a motion carries names the decision it records
                raise TypeError(f"{type(carried).__name__} names no decision")
            motion.vote(vote, actor=voter, role=command.role, comment=comment)
            motion.carry(decision_id, actor=voter, role=command.role)
        else:
            motion.vote(vote, actor=voter, role=command.role, comment=comment)
        return motion

    def withdraw_motion(self, command: WithdrawMotion) -> Motion:
        motion = self.motion(command.motion_id)
        motion.withdraw(actor=actor_name(command.actor), role=command.role,
                        reason=command.reason, now=self.now,
                        project_version=self.project_version(motion))
        return motion

    def project_version(self, motion: Motion) -> int | None:
        """The version of the motion's project now (None for a motion on the portfolio)."""
        return None if motion.project_id is None else self.project(motion.project_id).version

    def advised_by(self, scenario_id: UUID | None, portfolio: Portfolio) -> dict[str, str]:
        """The scenario a decision cites, as its evidence keeps it: one of the portfolio's."""
        if scenario_id is None:
            return {}
        try:
            scenario = self.scenario(scenario_id)
        except ScenarioNotFound:
            raise InvalidInput("scenario_id", f"no scenario {scenario_id}") from None
        if scenario.portfolio_id != portfolio.id:
            raise InvalidInput("scenario_id", f"scenario {scenario.id} is not one of"
                               f" portfolio {portfolio.id}")
        return {"scenario_id": str(scenario.id), "scenario_name": scenario.name}

    def set_weights(self, command: SetWeights) -> Portfolio:
        """The objectives' weights, given directly or by pairwise comparisons (never both)."""
        portfolio = self.portfolio(command.portfolio_id)
        keys = [objective["key"] for objective in portfolio.objectives]
        if not keys:
            raise InvalidInput("weights", "the portfolio has no objectives to weigh")
        if (command.weights is None) == (command.comparisons is None):
            raise InvalidInput("weights", "give either weights or comparisons, not both")
        decided_on = business_date(command.decided_on, self.today, "decided_on")
        if command.weights is not None:
            weighting, method = direct(keys, command.weights), "direct"
        else:
            weighting = from_comparisons(keys, command.comparisons or (),
                                         accept_inconsistent=command.accept_inconsistent)
            method = "ahp"
        portfolio.set_weights(weighting, method=method, rationale=command.rationale,
                              decided_on=decided_on, actor=command.actor)
        return portfolio

    def assess_project(self, command: AssessProject) -> Project:
        project = self.project(command.project_id)
        check_version(project, command.expected_version)
        portfolio = self.portfolio(project.portfolio_id)
        scores = checked_scores(command.scores, portfolio.objective_keys())
        assessed_on = business_date(command.assessed_on, self.today, "assessed_on")
        project.assess(scores, benefit=command.benefit, rationale=command.rationale,
                       assessed_on=assessed_on, actor=command.actor)
        return project

    def record_scenario(self, command: RecordScenario) -> Scenario:
        """The exact best selection over the candidates as weighed, recorded as advised."""
        portfolio = self.portfolio(command.portfolio_id)
        if command.scenario_id in self.held:
            raise InvalidInput("scenario_id", f"{command.scenario_id} is recorded already")
        advice = advise(
            command.candidates,
            budget=portfolio.budget if command.budget is None else command.budget,
            maximize=command.maximize,
            include=command.include,
            exclude=command.exclude,
            requires=command.requires,
        )
        scenario = Scenario.record(portfolio_id=portfolio.id, name=command.name, advice=advice,
                                   actor=command.actor, scenario_id=command.scenario_id)
        return self._hold_new(scenario)

    # In hand

    def portfolio(self, portfolio_id: UUID) -> Portfolio:
        return self._get(Portfolio, portfolio_id, PortfolioNotFound)

    def project(self, project_id: UUID) -> Project:
        return self._get(Project, project_id, ProjectNotFound)

    def motion(self, motion_id: UUID) -> Motion:
        return self._get(Motion, motion_id, MotionNotFound)

    def scenario(self, scenario_id: UUID) -> Scenario:
        """A scenario recorded, or recorded earlier in this batch."""
        found = self.held.get(scenario_id)
        if found is None:
            return self.reads.scenario(scenario_id)
        if not isinstance(found, Scenario):
            raise ScenarioNotFound(scenario_id)
        return found

    def load(self, cls: type[H], ident: UUID, version: int | None = None) -> H:
        """The aggregate as recorded (at `version`, if given), read again."""
        if ident in self.forgotten:
            raise RuntimeError(f"a dry run let go of {ident} after changing it; it cannot "
                               "come back to it (hold more projects)")
        loaded = (self.reads.portfolio(ident, version) if cls is Portfolio
                  else self.reads.motion(ident, version) if cls is Motion
                  else self.reads.project(ident, version))
        if not isinstance(loaded, cls):  # the reads answer each id with its own kind
            raise TypeError(f"{ident} is a {type(loaded).__name__}, not a {cls.__name__}")
        return loaded

    def let_go(self, ident: UUID) -> None:
        """No longer hold the aggregate: a command that names it reads it again."""
        self.held.pop(ident, None)

    def unmake(self, ident: UUID) -> None:
        """Forget an aggregate a refused group opened, proposed or read."""
        self.held.pop(ident, None)
        self.opened.discard(ident)
        self.proposed.discard(ident)

    def _get(self, cls: type[H], ident: UUID, missing: Callable[[UUID], Exception]) -> H:
        found = self.held.get(ident)
        if found is None:
            return self._hold(self.load(cls, ident))
        if not isinstance(found, cls):
            raise missing(ident)
        if self.touches is not None and ident not in self.touches:
            self.touches[ident] = len(found.pending_events)
        return found

    def _hold_new(self, scenario: Scenario) -> Scenario:
        self.held[scenario.id] = scenario
        if self.touches is not None:
            self.touches[scenario.id] = NEW
        return scenario

    def _hold(self, aggregate: H) -> H:
        self.held[aggregate.id] = aggregate
        if self.touches is not None:
            self.touches[aggregate.id] = NEW
        return aggregate


def budget_evidence(portfolio: Portfolio) -> dict[str, Any]:
    """What the board has in front of it on the portfolio itself."""
    return {"budget": portfolio.budget, "allocated": portfolio.allocated,
            "policy": dict(portfolio.policy)}


def check_version(project: Project, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != project.version:
        raise StaleEvidence(expected_version, project.version)
