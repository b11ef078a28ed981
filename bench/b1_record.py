"""B1: decisions and status reports recorded per second through the application service."""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.context import Context
from bench.harness import Result, Target, pair
from bench.raw import RawLedger, RawWriter
from bench.workload import BOARD, MANAGER, Workload, Write
from domain.application import PortfolioLedger
from projections.service import LedgerService

FIGURE = "B1"
TARGET = Target(">=", 0.5)


def timed(writes: list[Write], apply: Callable[[Write], object]) -> float:
    """Writes per second, one write at a time."""
    started = time.perf_counter()
    for write in writes:
        apply(write)
    return len(writes) / (time.perf_counter() - started)


def through_ledger(ledger: PortfolioLedger) -> Callable[[Write], object]:
    def apply(write: Write) -> object:
        if write.report is not None:
            return ledger.report_status(write.project_id, write.report, actor=MANAGER)
        assert write.kind is not None
        return ledger.decide(write.portfolio_id, write.project_id, write.kind, amount=write.amount,
                             rationale="Benchmark review", actor=BOARD)
    return apply


def through_service(service: LedgerService) -> Callable[[Write], object]:
    def apply(write: Write) -> object:
        if write.report is not None:
            return service.report_status(write.project_id, write.report, actor=MANAGER)
        assert write.kind is not None
        return service.decide(write.portfolio_id, write.project_id, write.kind,
                              amount=write.amount, rationale="Benchmark review", actor=BOARD)
    return apply


def raw_rate(writer: RawWriter, kinds: list[bool]) -> float:
    """The raw library writing the same mix: a decision as two events in one save."""
    started = time.perf_counter()
    for decision in kinds:
        if decision:
            writer.decision()
        else:
            writer.report()
    return len(kinds) / (time.perf_counter() - started)


def run(ctx: Context) -> list[Result]:
    log = ctx.fresh_log("b1", ctx.size(20_000, 2_000))
    raw = RawLedger(ctx.store.env(ctx.store.url("b1raw")))
    service = LedgerService(log.env)
    service.catch_up()
    try:
        writer = RawWriter(raw)
        workload = Workload(log.built)
        per_run = ctx.size(300, 40)
        raws, apps, services = [], [], []
        for run_index in range(ctx.repeats):
            kinds = workload.kinds(per_run)
            order = ["raw", "app", "service"]
            for name in order[run_index % 3:] + order[:run_index % 3]:
                if name == "raw":
                    raws.append(raw_rate(writer, kinds))
                    continue
                # planned just before they run: each project's reports move forward in time
                writes = [workload.next(decision) for decision in kinds]
                if name == "app":
                    with service.recording_only():
                        apps.append(timed(writes, through_ledger(service.app)))
                    service.catch_up()  # outside the timing: the service row projects its own
                else:
                    services.append(timed(writes, through_service(service)))
        decisions = sum(kinds) / len(kinds)
        note = f"{per_run} writes a run, ~{decisions:.0%} decisions"
        return [
            Result.measured(FIGURE, "writes/s, LedgerService (record + project)", ctx.store.kind,
                            "/s", pair(services, raws), TARGET, note),
            Result.measured(FIGURE, "writes/s, PortfolioLedger (record only)", ctx.store.kind,
                            "/s", pair(apps, raws), TARGET, note),
        ]
    finally:
        service.close()
        raw.close()
