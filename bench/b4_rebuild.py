"""B4: projection rebuild, events per second, against reading and decoding the whole log."""

from __future__ import annotations

from bench.context import Context
from bench.harness import Result, Target, interleave, rate
from bench.raw import read_log
from projections.service import LedgerService

FIGURE = "B4"
TARGET = Target(">=", 0.5)


def run(ctx: Context) -> list[Result]:
    events = ctx.size(100_000, 1_000)
    log = ctx.log(events)
    service = LedgerService(log.env)
    try:
        head = service.head()
        views = ", ".join(service.views())
        sample = interleave(
            figure=lambda: rate(lambda: service.rebuild() and head),
            baseline=lambda: rate(lambda: read_log(service.app)),
            repeats=ctx.repeats,
        )
    finally:
        service.close()
    log.caught_up = True
    return [Result.measured(FIGURE, "rebuild events/s", ctx.store.kind, "ev/s", sample, TARGET,
                            f"{head:,} events; views: {views}")]
