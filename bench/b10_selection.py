"""B10: the exact best selection under a budget, solved to proven optimality, at 100, 500 and
2,000 candidates (50 dependencies at 2,000), and a 20-point frontier at the largest size.

The candidates are a board's: requested budgets in round thousands with a few to the cent,
scores the weighted sums of 0-5 assessments on four objectives (so many candidates tie, the
hard case for an exact solver), a budget of 40% of the total, a few pins. The solver touches
no store, so the figure is measured once, on the SQLite pass; the 2,000 row is held to the
issue's "in seconds" as a ratio to a 10-second allowance.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from uuid import UUID

from bench.context import Context
from bench.harness import Result, Target, pair
from domain.selection import Candidate, Requirement, frontier, select

FIGURE = "B10"
TARGET = Target("<=", 1.0)
ALLOWANCE = 10.0  # seconds: "2,000 candidates with 50 dependencies solve ... in seconds"
WEIGHTS = (Decimal("0.4"), Decimal("0.3"), Decimal("0.2"), Decimal("0.1"))
FULL = ((100, 10), (500, 25), (2_000, 50))
QUICK = ((100, 10), (500, 25))


def board(size: int, dependencies: int, seed: int = 15) -> tuple[
        list[Candidate], Decimal, list[UUID], list[UUID], list[Requirement]]:
    rng = random.Random(seed * 100_003 + size)
    candidates = []
    for number in range(size):
        cost = Decimal(rng.randint(100, 20_000) * 1000)
        if rng.random() < 0.1:
            cost += Decimal(rng.randint(0, 99_999)).scaleb(-2)
        score = sum((w * rng.randint(0, 5) for w in WEIGHTS), Decimal(0)).quantize(
            Decimal("0.0001"))
        candidates.append(Candidate(UUID(int=rng.getrandbits(128)), cost, score,
                                    f"P{number:04d}"))
    ids = [c.id for c in candidates]
    requires = [Requirement(*rng.sample(ids, 2)) for _ in range(dependencies)]
    budget = (sum((c.cost for c in candidates), Decimal(0)) * Decimal("0.4")).quantize(
        Decimal("0.01"))
    needed = {r.project for r in requires} | {r.needs for r in requires}
    free = [i for i in ids if i not in needed]
    return candidates, budget, free[:3], free[3:6], requires


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def run(ctx: Context) -> list[Result]:
    if ctx.store.kind != "sqlite":
        return [Result.unavailable(FIGURE, ctx.store.kind,
                                   "the solver touches no store: measured on the sqlite pass")]
    sizes = QUICK if ctx.quick else FULL
    results = []
    for size, dependencies in sizes:
        candidates, budget, include, exclude, requires = board(size, dependencies)
        best = select(candidates, budget, include=include, exclude=exclude, requires=requires)
        solve = partial(select, candidates, budget, include=include, exclude=exclude,
                        requires=requires)
        runs = [seconds(solve) for _ in range(ctx.repeats)]
        largest = size == sizes[-1][0]
        results.append(Result.measured(
            FIGURE, f"select, {size:,} candidates, {dependencies} requires", ctx.store.kind,
            "s", pair(runs, [ALLOWANCE] * len(runs)), TARGET if largest else None,
            f"proven optimum: {len(best.selected):,} selected, value {best.total_value}; "
            f"baseline is the {ALLOWANCE:g}s allowance; {best.solver}",
            selected=len(best.selected), candidates=size))
    candidates, _, include, exclude, requires = board(*sizes[-1])
    points = 20 if not ctx.quick else 5
    line = partial(frontier, candidates, points, include=include, exclude=exclude,
                   requires=requires)
    runs = [seconds(line) for _ in range(max(1, ctx.repeats // 2))]
    results.append(Result.measured(
        FIGURE, f"frontier, {points} points at {len(candidates):,} candidates", ctx.store.kind,
        "s", pair(runs, [ALLOWANCE * points] * len(runs)), None,
        f"one proven optimum per point; baseline {ALLOWANCE:g}s a point"))
    return results
