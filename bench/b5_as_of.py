"""B5: as_of read latency (composition, health) on a long log, against the same on a short one;
beside it the composition on a business date (`effective_on`), measured the same way."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from bench.context import Context, Log
from bench.generate import START
from bench.harness import Result, Target, pair, percentile
from domain.errors import NotFound
from projections.service import LedgerService
from projections.store.database import parse_instant

FIGURE = "B5"
TARGET = Target("<=", 1.5)
KINDS = {"composition": "as_of composition", "health": "as_of health",
         "composition_on": "effective_on composition"}


class Reader:
    """Random reads of one log: a portfolio's composition and projects' health as of an instant,
    and the portfolio's composition on a business date (within the log's dates)."""

    def __init__(self, log: Log, portfolio_size: int | None, seed: int = 5) -> None:
        self.service = LedgerService(log.env)
        self.rng = random.Random(seed)
        sizes = Counter(portfolio for portfolio, _ in log.built.projects.values())
        wanted = portfolio_size or max(sizes.values())
        self.portfolio, self.portfolio_size = min(
            sizes.items(), key=lambda item: (abs(item[1] - wanted), str(item[0])))
        self.projects = list(log.built.projects)
        head = self.service.head()
        first, last = (self._instant(max(1, head // 10)), self._instant(head))
        self.first, self.span = first, (last - first).total_seconds()
        self.days = (log.built.last_period_end - START).days

    def _instant(self, position: int) -> datetime:
        row = self.service.database.read_one(
            "SELECT recorded_at FROM timeline WHERE position = ?", (position,))
        assert row is not None, f"the timeline has no position {position}"
        return parse_instant(row["recorded_at"])

    def as_of(self) -> datetime:
        return self.first + timedelta(seconds=self.rng.uniform(0, self.span))

    def effective_on(self) -> date:
        return START + timedelta(days=self.rng.randint(0, self.days))

    def latencies(self, reads: int, kind: str) -> list[float]:
        read: Callable[[Any], object] = getattr(self, kind)
        draw: Callable[[], Any] = self.effective_on if kind.endswith("_on") else self.as_of
        times = []
        for _ in range(reads):
            point = draw()
            started = time.perf_counter()
            with suppress(NotFound):  # a moment before the project existed: still a read
                read(point)
            times.append((time.perf_counter() - started) * 1000)
        return times

    def composition(self, as_of: datetime) -> object:
        return self.service.composition(self.portfolio, as_of=as_of)

    def health(self, as_of: datetime) -> object:
        project: UUID = self.rng.choice(self.projects)
        return self.service.project_health(project, as_of=as_of)

    def composition_on(self, effective_on: date) -> object:
        """The composition in force at the end of a business date, as recorded now."""
        return self.service.composition(self.portfolio, effective_on=effective_on)

    def close(self) -> None:
        self.service.close()


def run(ctx: Context) -> list[Result]:
    short_size, long_size = ctx.size(10_000, 1_000), ctx.size(1_000_000, 10_000)
    short_log = ctx.log(short_size, caught_up=True)
    long_log = ctx.log(long_size, caught_up=True)
    short = Reader(short_log, None)
    long = Reader(long_log, short.portfolio_size)
    reads = ctx.size(500, 200)
    measured: dict[tuple[str, str, str], list[float]] = {}
    try:
        for run_index in range(ctx.repeats):
            readers = [("short", short), ("long", long)]
            for name, reader in readers if run_index % 2 == 0 else readers[::-1]:
                for kind in KINDS:
                    times = reader.latencies(reads, kind)
                    measured.setdefault((name, kind, "p50"), []).append(percentile(times, 0.5))
                    measured.setdefault((name, kind, "p99"), []).append(percentile(times, 0.99))
    finally:
        short.close()
        long.close()
    note = (f"{long_size:,} vs {short_size:,} events; portfolio of {long.portfolio_size} vs "
            f"{short.portfolio_size} projects; {reads} reads a run")
    return [
        Result.measured(FIGURE, f"{KINDS[kind]} {quantile}", ctx.store.kind, "ms",
                        pair(measured[("long", kind, quantile)],
                             measured[("short", kind, quantile)]),
                        TARGET, note)
        for kind in KINDS for quantile in ("p50", "p99")
    ]
