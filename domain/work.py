"""The one path every write takes: each command applied, by the domain's own rules, to the
aggregates it changes, loaded once and held until they are saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol, TypeVar
from uuid import UUID

from domain.commands import (
    AssessProject,
    Command,
    CompleteProject,
    Decide,
    OpenPortfolio,
    ProposeProject,
    RecordScenario,
    ReportStatus,
    SetWeights,
)
from domain.decisions import Taken, Terms, take_on_project
from domain.errors import (
    DuplicateCode,
    InvalidInput,
    PortfolioNotFound,
    ProjectNotFound,
    ScenarioNotFound,
    StaleEvidence,
)
from domain.portfolio import Portfolio
from domain.project import Project
from domain.scenario import Scenario, advise
from domain.scoring import checked_scores
from domain.values import business_date
from domain.weights import direct, from_comparisons

Held = Portfolio | Project | Scenario
H = TypeVar("H", Portfolio, Project)
NEW = -1  # a touch of an aggregate that came into hand during the group


class Reads(Protocol):
    """What the work reads from the ledger: aggregates as recorded, and whether an id is."""

    def portfolio(self, portfolio_id: UUID, version: int | None = None) -> Portfolio: ...

    def project(self, project_id: UUID, version: int | None = None) -> Project: ...

    def scenario(self, scenario_id: UUID) -> Scenario: ...

    def is_recorded(self, ident: UUID) -> bool: ...


class Work:
    """The aggregates a write changes, in hand, and the board's commands applied to them.

    A command on its own and a batch of them run the same steps, so every rule holds for
    both. Each step checks before it changes anything, so a refused command changes nothing.
    """

    def __init__(self, reads: Reads, today: date) -> None:
        self.reads = reads
        self.today = today
        self.held: dict[UUID, Held] = {}  # in the order they came into hand
        self.opened: set[UUID] = set()  # portfolios opened here: none of their projects is
        self.proposed: set[UUID] = set()  # recorded but these, proposed here
        # While a batch applies a group: each aggregate it touched, with how many events it
        # had pending before (NEW: it came into hand during the group).
        self.touches: dict[UUID, int] | None = None
        self.forgotten: set[UUID] = set()  # let go by a dry run that had changed them

    def apply(self, command: Command) -> Held | Taken:
        match command:
            case OpenPortfolio():
                return self.open_portfolio(command)
            case ProposeProject():
                return self.propose_project(command)
            case ReportStatus():
                return self.report_status(command)
            case Decide():
                return self.decide(command)
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
        terms = Terms.checked(
            command.kind,
            rationale=command.rationale,
            today=self.today,
            amount=command.amount,
            decided_on=command.decided_on,
            meeting=command.meeting,
        )
        portfolio = self.portfolio(command.portfolio_id)
        project = self.project(command.project_id)
        check_version(project, command.expected_version)
        advised: dict[str, str] = {}
        if command.scenario_id is not None:
            try:
                scenario = self.scenario(command.scenario_id)
            except ScenarioNotFound:
                raise InvalidInput("scenario_id", f"no scenario {command.scenario_id}") from None
            if scenario.portfolio_id != portfolio.id:
                raise InvalidInput("scenario_id", f"scenario {scenario.id} is not one of"
                                   f" portfolio {portfolio.id}")
            advised = {"scenario_id": str(scenario.id), "scenario_name": scenario.name}
        taken = take_on_project(
            terms,
            portfolio,
            project,
            actor=command.actor,
            assessed_on=command.evidence_on or self.today,
        )
        taken.evidence.update(advised)
        taken.record(portfolio)
        return taken

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


def check_version(project: Project, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != project.version:
        raise StaleEvidence(expected_version, project.version)
