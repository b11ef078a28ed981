"""B6: HTTP reads per second and p99 at 16 clients, against a trivial FastAPI endpoint."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Callable

from bench.context import Context, Log, requires
from bench.harness import Result, Target, pair
from bench.http import LEDGER_APP, TRIVIAL_APP, Call, Load, failures_note, load, server
from bench.tokens import make_tokens
from projections.service import LedgerService

FIGURE = "B6"
TARGET = Target(">=", 0.5)
CLIENTS = 16
PROJECTS = 200


def reads_of(log: Log, token: str) -> dict[str, Callable[[], Call]]:
    """The three reads, each a maker of one request: the biggest portfolio, random projects."""
    portfolio_id = Counter(p for p, _ in log.built.projects.values()).most_common(1)[0][0]
    rng = random.Random(6)
    projects = list(log.built.projects)
    return {
        "composition": lambda: Call("GET", f"/v1/portfolios/{portfolio_id}/composition",
                                    token=token),
        "decision log page": lambda: Call(
            "GET", f"/v1/decisions?portfolio_id={portfolio_id}&limit=100", token=token),
        "health": lambda: Call("GET", f"/v1/projects/{rng.choice(projects)}/health",
                               token=token),
    }


def run(ctx: Context) -> list[Result]:
    requires("api.http.app", "create_app")
    months = ctx.size(60, 3)
    log = ctx.log(PROJECTS * (months + 4), caught_up=True, projects=PROJECTS, months=months,
                  portfolio="Department of Commerce")
    portfolio_id, size = Counter(p for p, _ in log.built.projects.values()).most_common(1)[0]
    token = make_tokens(log.env, "viewer")["viewer"]
    per_client = ctx.size(50, 6)
    reads = reads_of(log, token)
    trivial = Call("GET", "/v1/healthz")
    measured: dict[str, list[Load]] = {name: [] for name in (*reads, "trivial")}
    service = LedgerService(log.env)
    decisions = service.database.read_one(
        "SELECT COUNT(*) AS n FROM decisions WHERE portfolio_id = ?", (str(portfolio_id),))
    service.close()
    with server(TRIVIAL_APP) as trivial_base, \
            server(LEDGER_APP, {"PORTFOLIO_LEDGER_DB": log.url}) as base:
        for run_index in range(ctx.repeats):
            names = [*reads, "trivial"]
            shift = run_index % len(names)
            for name in names[shift:] + names[:shift]:
                if name == "trivial":
                    scripts = [[trivial] * per_client for _ in range(CLIENTS)]
                    measured[name].append(load(trivial_base, scripts))
                else:
                    scripts = [[reads[name]() for _ in range(per_client)] for _ in range(CLIENTS)]
                    measured[name].append(load(base, scripts))
    baseline = [run.rate for run in measured["trivial"]]
    trivial_p99 = statistics.median(run.p99 for run in measured["trivial"])
    results = []
    for name in reads:
        runs = measured[name]
        p99 = statistics.median(run.p99 for run in runs)
        p50 = statistics.median(run.p50 for run in runs)
        results.append(Result.measured(
            FIGURE, f"{name} reads/s, {CLIENTS} clients", ctx.store.kind, "/s",
            pair([run.rate for run in runs], baseline), TARGET,
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (trivial p99 {trivial_p99:.0f} ms); "
            f"{size} projects, {decisions['n'] if decisions else '?'} decisions"
            f"{failures_note(runs)}",
            p50_ms=p50, p99_ms=p99, trivial_p99_ms=trivial_p99))
    return results
