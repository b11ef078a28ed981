"""A deterministic demo ledger: portfolios, projects, a year of reports and board decisions.

`demo_commands` writes the story as the board's commands (the same seed gives the same story,
ids and all); `build_demo` records them through the ledger's batch, in chunked writes. Both
scale: more portfolios, more projects per portfolio, more months give a bigger ledger of the
same shape.

Every fact carries its business date, so the ledger by date shows the year unfolding: the
portfolios open on the first day of the year's first month, each project is proposed on the
first day of its month, the board meets on the 10th of each month and its decisions are dated
that day, and each month's reports are for the period ending on its last day. The year is the
twelve months before the ledger's today (its month excluded), so nothing is dated after it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID, uuid5

from api.auth.tokens import Role, TokenExists, TokenStore
from api.importing import CHUNK_EVENTS
from domain.commands import (
    AssessProject,
    Command,
    CompleteProject,
    Decide,
    OpenPortfolio,
    ProposeProject,
    RecordScenario,
    ReportStatus,
)
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind, Status
from domain.project import Project
from domain.scenario import Weighed, advise
from domain.scoring import initial_weights, score
from projections.service import LedgerService

DEMO_SEED = 2026
CENT = Decimal("0.01")
# The demo's portfolios have the same ids in every ledger it is built in, as its story is.
DEMO_IDS = UUID("5e8d1c27-6f4b-5a0e-9d3c-2b7a41c0de26")


@dataclass(frozen=True)
class Theme:
    """A kind of portfolio a board might run, with its objectives and typical projects."""

    name: str
    prefix: str
    objectives: tuple[tuple[str, str, int], ...]
    projects: tuple[str, ...]


THEMES = (
    Theme("Digital Services", "DS", (
        ("citizen-experience", "Make services easy to use online", 3),
        ("cost-to-serve", "Reduce the cost to serve", 2),
        ("legacy-exit", "Retire legacy systems", 1),
    ), (
        "Citizen Account Portal", "Online Permit Applications", "Digital Identity Verification",
        "Payments Platform Modernisation", "Service Requests Mobile App",
        "Case Management Replacement", "Appointment Booking Service",
        "Content Management Migration", "Contact Centre Chatbot",
        "Accessibility Remediation", "Open Data Portal Refresh", "Supplier E-Invoicing",
    )),
    Theme("Infrastructure Renewal", "IR", (
        ("resilience", "Keep critical services running", 3),
        ("cloud-first", "Move to cloud by default", 2),
        ("sustainability", "Cut energy use", 1),
    ), (
        "Data Centre Exit to Cloud", "Wide Area Network Refresh", "Laptop Fleet Replacement",
        "Unified Communications Rollout", "Backup and Recovery Modernisation",
        "Mainframe Decommissioning", "Regional Office Wi-Fi", "Server Operating System Upgrade",
        "Storage Consolidation", "Print Services Rationalisation", "Telephony SIP Migration",
        "Monitoring and Observability Platform",
    )),
    Theme("Cyber Security", "CS", (
        ("threat-reduction", "Reduce exposure to cyber threats", 3),
        ("compliance", "Meet regulatory obligations", 2),
        ("identity", "One identity for every user", 1),
    ), (
        "Zero Trust Network Access", "Security Operations Centre Uplift",
        "Privileged Access Management", "Multi-Factor Authentication Rollout",
        "Vulnerability Management Programme", "Email Security Gateway Replacement",
        "Identity Governance and Administration", "Endpoint Detection and Response",
        "Data Loss Prevention", "Security Awareness Platform", "Third-Party Risk Management",
        "Incident Response Playbooks",
    )),
    Theme("Data & Analytics", "DA", (
        ("insight", "Decisions based on evidence", 3),
        ("data-quality", "Trusted data", 2),
        ("reuse", "Collect once, use many times", 1),
    ), (
        "Enterprise Data Warehouse Migration", "Master Data Management",
        "Self-Service Reporting Rollout", "Data Quality Programme", "Records Retention Automation",
        "Geospatial Analytics Platform", "Fraud Analytics Pilot", "Data Catalogue and Lineage",
        "Board Performance Dashboard", "Machine Learning Operations Platform",
        "Statistical Release Automation", "Customer Insight Platform",
    )),
)
SPONSORS = ("Amelia Hart", "Rajesh Iyer", "Claire Dubois", "Samuel Mensah", "Hannah Kowalski",
            "Marcus Lindqvist", "Fatima Al-Sayed", "George Whitfield")
MANAGERS = ("Ana Sousa", "Ben Carter", "Chloe Nguyen", "David Osei", "Elena Petrova", "Farid Khan",
            "Grace O'Neill", "Hiro Tanaka", "Isabel Moreno", "Jonas Weber", "Kemi Adeyemi",
            "Liam Byrne", "Maya Cohen", "Noah Fischer", "Olivia Brown", "Pavel Novak")
# Each project's story, by its position in the portfolio.
PROFILES = ("healthy", "slipping", "healthy", "recovering", "completing", "healthy", "failing",
            "stale", "healthy", "rejected", "completing", "pending")
RATIONALES = {
    "fund": (
        "Business case approved at gate 1; funding released for delivery.",
        "Strong fit with the portfolio's objectives; approved as proposed.",
        "Approved: the regulatory deadline makes this a priority this year.",
        "Approved with the condition that benefits are reported quarterly.",
    ),
    "top-up": (
        "Gate 2 passed: stage 2 funding released.",
        "Pilot met its success criteria; funding for national rollout released.",
    ),
    "pause": (
        "Paused: schedule and cost indices below 0.8; the supplier must bring a recovery plan "
        "to the next board.",
        "Paused after the milestone review failed; team reduced while the plan is reworked.",
    ),
    "resume": (
        "Recovery plan accepted; resumed under monthly board oversight.",
        "Re-plan approved with a revised baseline; resumed.",
    ),
    "discontinue": (
        "Discontinued: the recovery plan is not credible; remaining funds return to the "
        "portfolio.",
        "Discontinued: the business case no longer holds after the re-plan.",
    ),
    "reject": (
        "Not approved: overlaps an existing service; the sponsor will merge the scope.",
        "Declined: the benefits case is too weak against the portfolio envelope.",
    ),
}
SUMMARIES = {
    Rating.GREEN: ("On track; the period's milestones were met.",
                   "Increment delivered; user research continues.",
                   "Steady progress; no new risks raised."),
    Rating.AMBER: ("Behind plan on integration testing; recovery within tolerance.",
                   "Supplier resourcing gap; mitigation agreed with the sponsor.",
                   "Costs trending above plan; change requests under review."),
    Rating.RED: ("Key milestone missed; re-plan under way.",
                 "Costs well above plan; the forecast at completion exceeds the budget.",
                 "Supplier delivery failed acceptance; remediation required."),
}


def month_start(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def meeting_day(month: date) -> date:
    """The day the board meets in the month starting on `month`: the 10th."""
    return month + timedelta(days=9)


def rating(index: float) -> Rating:
    return Rating.GREEN if index >= 0.95 else Rating.AMBER if index >= 0.85 else Rating.RED


@dataclass
class Story:
    """One project's plan and how far it has got."""

    portfolio_id: UUID
    code: str
    profile: str
    requested: Decimal
    duration: int
    proposed: int
    first_funding: Decimal
    status: Status = Status.PROPOSED
    months_in_delivery: int = 0
    spi: float = 1.0
    cpi: float = 1.0
    topped_up: bool = False
    paused_at: int | None = None
    last_overall: Rating = Rating.GREEN

    @property
    def project_id(self) -> UUID:
        return Project.create_id(self.portfolio_id, self.code)


class DemoStory:
    """The whole demo as commands, month by month, from a seed."""

    def __init__(self, today: date, *, actor: str, portfolios: int = 4, projects: int = 12,
                 months: int = 12, seed: int = DEMO_SEED) -> None:
        self.rng = random.Random(seed)
        self.actor = actor
        self.first = month_start(today, -months)
        self.months = months
        self.portfolios: list[tuple[Theme, str, str, UUID]] = []
        for index in range(portfolios):
            theme, edition = THEMES[index % len(THEMES)], index // len(THEMES) + 1
            name = theme.name if edition == 1 else f"{theme.name} {edition}"
            prefix = theme.prefix if edition == 1 else f"{theme.prefix}{edition}"
            self.portfolios.append((theme, name, prefix, uuid5(DEMO_IDS, f"{seed}/{name}")))
        self.projects_per_portfolio = projects
        # Assessments draw from a generator of their own, so the rest of the story is the same
        # with them as it was before them.
        self.assessing = random.Random(seed + 1)
        self.scenario_id = uuid5(DEMO_IDS, f"{seed}/scenario")
        self.citing: UUID | None = None  # the portfolio whose next decision cites the scenario
        self.advised: set[UUID] = set()  # the projects the scenario selects
        self.weights: dict[UUID, dict[str, Decimal]] = {}
        self.scores: dict[UUID, dict[str, int]] = {}

    def pick(self, options: tuple[str, ...]) -> str:
        return options[self.rng.randrange(len(options))]

    def commands(self) -> Iterator[Command]:
        stories: list[Story] = []
        proposals: list[ProposeProject] = []
        for theme, name, prefix, portfolio_id in self.portfolios:
            own = [self.plan(theme, portfolio_id, prefix, index, proposals)
                   for index in range(self.projects_per_portfolio)]
            stories.extend(own)
            self.weights[portfolio_id] = initial_weights(
                [{"key": key, "weight": weight} for key, _, weight in theme.objectives])
            budget = sum((story.requested for story in own), Decimal(0)) * Decimal("1.1")
            yield OpenPortfolio(
                name=name,
                budget=(budget / 100_000).to_integral_value() * 100_000 + 100_000,
                objectives=tuple({"key": key, "title": title, "weight": weight}
                                 for key, title, weight in theme.objectives),
                actor=self.actor,
                portfolio_id=portfolio_id,
                created_on=month_start(self.first, 0),
            )
        for month in range(self.months):
            start = month_start(self.first, month)
            end = month_start(self.first, month + 1) - timedelta(days=1)
            proposed = [p for p in proposals if p.planned_start == start]
            yield from proposed
            yield from (self.assess(p) for p in proposed)
            meeting = f"Board {start:%Y-%m}"
            if month == max(0, self.months - 3) and self.portfolios:
                # Before this meeting the board asks for the best selection of the first
                # portfolio's candidates for less; its next decision there that follows
                # the advice cites it.
                yield self.scenario(stories, meeting)
            for story in stories:
                yield from self.decide(story, month, meeting_day(start), meeting)
            for story in stories:
                yield from self.report(story, month, end)

    def assess(self, proposal: ProposeProject) -> AssessProject:
        """A proposal scored on the day it is proposed: high on the objectives it serves."""
        rng = self.assessing
        keys = list(self.weights[proposal.portfolio_id])
        scores = {key: rng.randint(3, 5) if key in proposal.objectives else rng.randint(0, 2)
                  for key in keys}
        project_id = Project.create_id(proposal.portfolio_id, proposal.code)
        self.scores[project_id] = scores
        benefit = (proposal.requested_budget * Decimal(rng.randint(8, 30)) / 10).quantize(
            Decimal(1000))
        return AssessProject(project_id, scores, "Scored against the portfolio's objectives"
                             " at the proposal's review.", self.actor, benefit=benefit,
                             assessed_on=proposal.proposed_on)

    def scenario(self, stories: list[Story], meeting: str) -> RecordScenario:
        portfolio_id = self.portfolios[0][3]
        weights = self.weights[portfolio_id]
        candidates = tuple(
            Weighed(story.project_id, story.code, story.status.value, story.requested,
                    score(weights, self.scores.get(story.project_id, {})))
            for story in stories
            if story.portfolio_id == portfolio_id and story.project_id in self.scores
            and story.status not in (Status.DISCONTINUED, Status.COMPLETED)
        )
        # A tighter budget than the envelope: what would the board keep with 70% of the cost?
        total = sum((c.cost for c in candidates), Decimal(0)) * Decimal("0.7")
        budget = (total / 100_000).to_integral_value() * 100_000
        # The advice as the ledger will record it (the same pure function), so the decision
        # that cites it is one that follows it.
        self.advised = set(advise(candidates, budget=budget, maximize="score").result["selected"])
        self.citing = portfolio_id
        return RecordScenario(portfolio_id, f"Best for {budget:,.0f} before {meeting}",
                              "score", candidates, self.actor, budget=budget,
                              scenario_id=self.scenario_id)

    def plan(self, theme: Theme, portfolio_id: UUID, prefix: str, index: int,
             proposals: list[ProposeProject]) -> Story:
        profile = PROFILES[index % len(PROFILES)]
        requested = Decimal(self.rng.randrange(8, 120) * 50_000)
        proposed = 0 if index < 6 else self.rng.randrange(max(1, self.months // 3))
        if profile == "pending":
            proposed = self.months - 1
        elif profile == "rejected":
            proposed = min(self.months - 1, 1 + self.rng.randrange(max(1, self.months // 2)))
        duration = self.rng.randint(6, 9) if profile == "completing" else self.rng.randint(12, 24)
        staged = profile in ("healthy", "slipping") and duration >= 12
        first_funding = requested * Decimal("0.6") if staged else requested
        story = Story(portfolio_id, f"{prefix}-{101 + index}", profile, requested, duration,
                      proposed, first_funding)
        title = theme.projects[index % len(theme.projects)]
        phase = index // len(theme.projects)
        start = month_start(self.first, proposed)
        keys = [key for key, _, _ in theme.objectives]
        proposals.append(ProposeProject(
            portfolio_id=portfolio_id,
            code=story.code,
            name=title if phase == 0 else f"{title}, phase {phase + 1}",
            sponsor=self.pick(SPONSORS),
            manager=self.pick(MANAGERS),
            requested_budget=requested,
            planned_start=start,
            planned_finish=month_start(start, duration) - timedelta(days=1),
            objectives=tuple(self.rng.sample(keys, self.rng.randint(1, 2))),
            actor=self.actor,
            proposed_on=start,
        ))
        return story

    def decide(self, story: Story, month: int, day: date, meeting: str) -> Iterator[Decide]:
        def decision(kind: DecisionKind, reasons: str, amount: Decimal | None = None) -> Decide:
            # The evidence is the project's health on the meeting's day: the board then had
            # that month's reports in front of it.
            follows = (story.project_id in self.advised) == (
                kind in (DecisionKind.FUND, DecisionKind.RESUME))
            cites = self.citing == story.portfolio_id and follows
            if cites:
                self.citing = None
            return Decide(story.portfolio_id, story.project_id, kind,
                          self.pick(RATIONALES[reasons]), self.actor, amount=amount,
                          decided_on=day, meeting=meeting, evidence_on=day,
                          scenario_id=self.scenario_id if cites else None)

        if story.status is Status.PROPOSED and month == story.proposed:
            if story.profile not in ("rejected", "pending"):
                story.status = Status.ACTIVE
                yield decision(DecisionKind.FUND, "fund", story.first_funding)
        elif (story.status is Status.PROPOSED and story.profile == "rejected"
              and month > story.proposed):
            story.status = Status.DISCONTINUED
            yield decision(DecisionKind.DISCONTINUE, "reject")
        elif (story.status is Status.ACTIVE and not story.topped_up
              and story.first_funding < story.requested and story.months_in_delivery >= 6
              and story.last_overall is not Rating.RED):
            story.topped_up = True
            yield decision(DecisionKind.FUND, "top-up", story.requested - story.first_funding)
        elif (story.status is Status.ACTIVE and story.paused_at is None
              and story.last_overall is Rating.RED
              and (story.profile in ("recovering", "failing")
                   or (story.profile == "slipping" and month >= self.months - 2))):
            story.status, story.paused_at = Status.PAUSED, month
            yield decision(DecisionKind.PAUSE, "pause")
        elif story.status is Status.PAUSED and month - (story.paused_at or 0) >= 2:
            if story.profile == "recovering":
                story.status = Status.ACTIVE
                yield decision(DecisionKind.RESUME, "resume")
            else:
                story.status = Status.DISCONTINUED
                yield decision(DecisionKind.DISCONTINUE, "discontinue")

    def report(self, story: Story, month: int, period_end: date) -> Iterator[Command]:
        if not story.status.is_delivering:
            return
        if story.profile == "stale" and month >= self.months - 3:
            return
        if story.status is Status.ACTIVE:
            story.months_in_delivery += 1
            self.drift(story)
        elapsed = story.months_in_delivery
        done = story.profile == "completing" and elapsed >= story.duration
        if done:
            story.spi, story.cpi = 1.0, max(story.cpi, 0.96)
        planned = story.requested * Decimal(min(1.0, elapsed / story.duration))
        earned = planned * as_index(story.spi)
        actual = earned / as_index(story.cpi)
        schedule, cost = rating(story.spi), rating(story.cpi)
        worst = max((schedule, cost), key=[Rating.GREEN, Rating.AMBER, Rating.RED].index)
        story.last_overall = worst
        troubled = story.profile in ("recovering", "failing")
        yield ReportStatus(story.project_id, StatusReport(
            period_end=period_end,
            schedule=schedule,
            cost=cost,
            scope=Rating.AMBER if troubled and worst is not Rating.GREEN else Rating.GREEN,
            quality=Rating.AMBER if self.rng.random() < 0.1 else Rating.GREEN,
            risk=worst,
            percent_complete=min(Decimal(100), earned / story.requested * 100).quantize(
                Decimal("0.1")),
            planned_value=planned.quantize(CENT, ROUND_HALF_EVEN),
            earned_value=earned.quantize(CENT, ROUND_HALF_EVEN),
            actual_cost=actual.quantize(CENT, ROUND_HALF_EVEN),
            summary=("Work paused by the board; a core team is preparing the recovery plan."
                     if story.status is Status.PAUSED else self.pick(SUMMARIES[worst])),
        ), self.actor)
        if done:
            story.status = Status.COMPLETED
            yield CompleteProject(story.project_id, "Delivered and handed over to service "
                                  "operations; benefits tracking moves to business as usual.",
                                  self.actor, completed_on=period_end)

    def drift(self, story: Story) -> None:
        """Performance indices move month by month, as the project's story says."""
        noise = self.rng.uniform(-0.03, 0.03)
        if story.profile == "slipping":
            elapsed = story.months_in_delivery
            story.spi = 1.0 - 0.03 * elapsed + noise
            story.cpi = 1.0 - 0.015 * elapsed + noise / 2
        elif story.profile in ("recovering", "failing"):
            step = -0.07 if story.paused_at is None else 0.06
            story.spi = min(1.0, max(0.6, story.spi + step + noise))
            story.cpi = min(1.0, max(0.65, story.cpi + step / 2 + noise / 2))
        else:
            story.spi, story.cpi = 1.0 + noise, 1.0 + self.rng.uniform(-0.04, 0.03)


def as_index(simulated: float) -> Decimal:
    """A simulated performance index as an exact decimal: money never meets a binary float."""
    return Decimal(f"{simulated:.4f}")


def demo_commands(today: date, *, actor: str, portfolios: int = 4, projects: int = 12,
                  months: int = 12, seed: int = DEMO_SEED) -> Iterator[Command]:
    """The demo's story as commands, oldest first; dates end with the month before `today`."""
    return DemoStory(today, actor=actor, portfolios=portfolios, projects=projects, months=months,
                     seed=seed).commands()


@dataclass
class DemoSummary:
    """What building the demo recorded (nothing when it was already there)."""

    built: bool = False
    portfolios: int = 0
    projects: int = 0
    reports: int = 0
    decisions: int = 0
    completions: int = 0
    events: int = 0

    def line(self) -> str:
        return (f"{self.portfolios:,} portfolios, {self.projects:,} projects, "
                f"{self.reports:,} status reports, {self.decisions:,} decisions, "
                f"{self.completions:,} completions ({self.events:,} events)")

    def count(self, command: Command) -> None:
        match command:
            case OpenPortfolio():
                self.portfolios += 1
            case ProposeProject():
                self.projects += 1
            case ReportStatus():
                self.reports += 1
            case Decide():
                self.decisions += 1
            case CompleteProject():
                self.completions += 1


def demo_present(service: LedgerService, name: str = THEMES[0].name) -> bool:
    """Whether the demo's first portfolio is already in the ledger."""
    return any(item.name == name for item in service.every(service.portfolios))


def build_demo(service: LedgerService, actor: str, *, portfolios: int = 4,
               projects: int = 12, months: int = 12, seed: int = DEMO_SEED,
               chunk_events: int = CHUNK_EVENTS) -> DemoSummary:
    """Record the demo ledger once, its year ending with the month before the ledger's today;
    a ledger that already has it is left as it is."""
    service.catch_up()
    if demo_present(service):
        return DemoSummary()
    summary = DemoSummary(built=True)
    batch = service.batch(write_every=chunk_events, hold_projects=portfolios * projects)
    meeting: str | None = None
    for command in demo_commands(service.today(), actor=actor, portfolios=portfolios,
                                 projects=projects, months=months, seed=seed):
        if isinstance(command, Decide) and command.meeting != meeting:
            # One meeting per write at most, so the decision log reads in meeting order.
            batch.write()
            meeting = command.meeting
        batch.apply([command])
        summary.count(command)
    batch.write()
    summary.events = batch.events
    return summary


def demo_tokens(tokens: TokenStore) -> list[tuple[Role, str, str]]:
    """A fresh token per role (role, name, secret): demo-<role>, or demo-<role>-N on a re-run."""
    made = []
    for role in Role:
        suffix = 1
        while True:
            name = f"demo-{role.value}" + ("" if suffix == 1 else f"-{suffix}")
            try:
                made.append((role, name, tokens.create(name, role)))
                break
            except TokenExists:
                suffix += 1
    return made
