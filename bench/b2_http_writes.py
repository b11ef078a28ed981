"""B2: decisions and status reports recorded per second through HTTP, 1 and 16 clients."""

from __future__ import annotations

from bench.b1_record import raw_rate
from bench.context import Context, requires
from bench.harness import Result, Target, pair
from bench.http import LEDGER_APP, Call, Load, failures_note, load, server
from bench.raw import RawLedger, RawWriter
from bench.tokens import make_tokens
from bench.workload import Workload, Write

FIGURE = "B2"
TARGET = Target(">=", 0.3)
SCALING = Target(">", 1.0)
CLIENTS = 16


def call(write: Write, tokens: dict[str, str]) -> Call:
    if write.report is not None:
        return Call("POST", f"/v1/projects/{write.project_id}/status-reports", write.body(),
                    tokens["manager"])
    return Call("POST", f"/v1/portfolios/{write.portfolio_id}/decisions", write.body(),
                tokens["board"])


def run(ctx: Context) -> list[Result]:
    requires("api.http.app", "create_app")
    log = ctx.fresh_log("b2", ctx.size(20_000, 1_000))
    tokens = make_tokens(log.env, "manager", "board")
    raw = RawLedger(ctx.store.env(ctx.store.url("b2raw")))
    writer = RawWriter(raw)
    workload = Workload(log.built, seed=21)
    # each client writes to projects of its own, so its writes stay valid in its own order
    shares = [workload.projects[index::CLIENTS] for index in range(CLIENTS)]
    one_client = ctx.size(300, 40)
    per_client = ctx.size(40, 6)
    raws, ones, sixteens = [], [], []
    loads: list[Load] = []
    try:
        with server(LEDGER_APP, {"PORTFOLIO_LEDGER_DB": log.url}) as base:
            for run_index in range(ctx.repeats):
                kinds = workload.kinds(one_client)
                steps = ["raw", "one", "many"]
                for step in steps[run_index % 3:] + steps[:run_index % 3]:
                    if step == "raw":
                        raws.append(raw_rate(writer, kinds))
                    elif step == "one":
                        script = [call(workload.next(decision), tokens) for decision in kinds]
                        loads.append(load(base, [script]))
                        ones.append(loads[-1].rate)
                    else:
                        scripts = [[call(workload.next(decision, workload.rng.choice(share)),
                                         tokens) for decision in workload.kinds(per_client)]
                                   for share in shares]
                        loads.append(load(base, scripts))
                        sixteens.append(loads[-1].rate)
    finally:
        raw.close()
    failed = failures_note(loads)
    return [
        Result.measured(FIGURE, "writes/s over HTTP, 1 client", ctx.store.kind, "/s",
                        pair(ones, raws), TARGET,
                        f"vs raw library in-process; {one_client} writes a run{failed}"),
        Result.measured(FIGURE, f"writes/s over HTTP, {CLIENTS} vs 1 client", ctx.store.kind,
                        "/s", pair(sixteens, ones), SCALING,
                        f"{CLIENTS} x {per_client} writes a run"),
    ]
