"""B8: peak memory (RSS) of rebuild and verify on a long log, against the same on a shorter one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.context import Context, requires
from bench.harness import NotBuilt, Result, Target, pair

FIGURE = "B8"
TARGET = Target("<=", 1.5)
ROOT = Path(__file__).resolve().parents[1]


def measure(operation: str, url: str) -> dict[str, float]:
    """Run one operation in a fresh interpreter and read back its peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bench.rss", operation, url], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False, timeout=7200)
    if done.returncode != 0:
        raise RuntimeError(f"bench.rss {operation} failed: {done.stderr.strip()[-400:]}")
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def run(ctx: Context) -> list[Result]:
    short_size, long_size = ctx.size(100_000, 1_000), ctx.size(1_000_000, 2_000)
    short, long = ctx.log(short_size), ctx.log(long_size)
    results = []
    operations = ["rebuild"]
    try:
        requires("projections.audit.verify", "verify")
        operations.append("verify")
    except NotBuilt as missing:
        results.append(Result.unavailable(FIGURE, ctx.store.kind, f"verify: {missing}",
                                          str(TARGET)))
    for operation in operations:
        runs = {"short": [], "long": []}  # type: dict[str, list[dict[str, float]]]
        for name, log in (("short", short), ("long", long)):
            runs[name].append(measure(operation, log.url))
            ctx.say(f"{operation} of {log.built.events:,} events: "
                    f"{runs[name][-1]['peak_kib'] / 1024:.0f} MiB peak, "
                    f"{runs[name][-1]['seconds']:.1f}s")
        short.caught_up = long.caught_up = True
        sample = pair([r["peak_kib"] / 1024 for r in runs["long"]],
                      [r["peak_kib"] / 1024 for r in runs["short"]])
        seconds = runs["long"][-1]["seconds"]
        rate = runs["long"][-1]["events"] / seconds if seconds else 0
        results.append(Result.measured(
            FIGURE, f"peak RSS of {operation}", ctx.store.kind, "MiB", sample, TARGET,
            f"{long_size:,} vs {short_size:,} events; {operation} of {long_size:,} ran at "
            f"{rate:,.0f} ev/s; opened at {runs['long'][-1]['opened_kib'] / 1024:.0f} MiB",
            seconds=seconds))
    return results
