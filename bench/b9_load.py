"""B9: loading a portfolio aggregate with 10k decisions, against loading one with 10."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from uuid import UUID

from bench.context import Context
from bench.harness import Result, Sample, Target, interleave
from domain.application import PortfolioLedger
from domain.commands import Decide, OpenPortfolio, ProposeProject
from domain.lifecycle import DecisionKind
from domain.portfolio import Portfolio
from domain.project import Project

FIGURE = "B9"
TARGET = Target("<=", 3.0)
BOARD = "board:bench"
DAY = date(2014, 1, 10)


def portfolio_with(ledger: PortfolioLedger, decisions: int) -> UUID:
    """A portfolio whose board took `decisions` decisions: each project funded once, then
    paused and resumed in turn, with every project event saved beside its decision."""
    interval = ledger.snapshotting_intervals[Portfolio]
    projects_count = max(1, min(decisions, 10 + decisions // 10))
    batch = ledger.batch(write_every=1000, hold_projects=projects_count)
    opening = OpenPortfolio(name=f"Board of {decisions}", budget=Decimal("1e12"), actor=BOARD,
                            created_on=DAY)
    portfolio_id = opening.portfolio_id
    batch.apply([opening])
    projects = []
    for index in range(projects_count):
        batch.apply([ProposeProject(portfolio_id=portfolio_id, name=f"Project {index}",
                                    code=f"P{index}", requested_budget=Decimal("100000.00"),
                                    actor="manager:bench", proposed_on=DAY)])
        projects.append(Project.create_id(portfolio_id, f"P{index}"))
    active: set[UUID] = set()
    for index in range(decisions):
        project_id = projects[index % projects_count]
        if index < projects_count:
            kind, amount = DecisionKind.FUND, Decimal("100000.00")
        else:
            kind = DecisionKind.PAUSE if project_id in active else DecisionKind.RESUME
            amount = None
        batch.apply([Decide(portfolio_id, project_id, kind,
                            "Benchmark review: the board's regular decision.", BOARD,
                            amount=amount, decided_on=DAY, meeting="Investment review board",
                            evidence_on=DAY)])
        if kind is DecisionKind.PAUSE:
            active.discard(project_id)
        else:  # funded or resumed
            active.add(project_id)
        if index >= decisions - 2 * interval:
            # The last ones one save each, as the board takes them: a bulk save snapshots
            # where it ends, single saves where the version passes a multiple of the interval.
            batch.write()
    batch.write()
    return portfolio_id


def seconds_per_load(ledger: PortfolioLedger, portfolio_id: UUID, loads: int,
                     version: int | None) -> float:
    """Asking for the version bypasses the aggregate cache: snapshot plus later events."""
    started = time.perf_counter()
    for _ in range(loads):
        ledger.portfolio(portfolio_id, version)
    return (time.perf_counter() - started) / loads


def run(ctx: Context) -> list[Result]:
    # 49 past a round number: the portfolio's version ends in 50, so it stands half a
    # snapshot interval past its last snapshot (the average case; right after one, a load
    # reads a single event)
    large, small = ctx.size(10_000, 2_000) + 49, 10
    url = ctx.store.url("b9")
    ledger = PortfolioLedger(ctx.store.env(url))
    try:
        big = portfolio_with(ledger, large)
        little = portfolio_with(ledger, small)
        loads = ctx.size(50, 20)
        version, little_version = ledger.portfolio(big).version, ledger.portfolio(little).version
        interval = ledger.snapshotting_intervals[Portfolio]

        def compared(big_version: int | None, little_version: int | None) -> Sample:
            return interleave(
                figure=lambda: seconds_per_load(ledger, big, loads, big_version) * 1000,
                baseline=lambda: seconds_per_load(ledger, little, loads, little_version) * 1000,
                repeats=ctx.repeats)

        samples = {"cold (snapshot + events)": compared(version, little_version),
                   "through the aggregate cache": compared(None, None)}
    finally:
        ledger.close()
    return [Result.measured(FIGURE, f"portfolio load {mode}, {large:,} vs {small} decisions",
                            ctx.store.kind, "ms", sample, TARGET,
                            f"version {version:,}: {version % interval} events after the last "
                            f"snapshot (every {interval}); {loads} loads a run")
            for mode, sample in samples.items()]
