"""`python -m bench [--quick] [--only B1,B4] [--store sqlite|postgresql] [--profile]`."""

from __future__ import annotations

import argparse
import importlib
import platform
import sqlite3
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.context import Context
from bench.harness import NotBuilt, Result, table, write_json
from bench.stores import STORES, Store, postgres_problem

# In the order they run: B4 and B8 rebuild the shared logs' views, which B7 and B5 then read.
FIGURES = ("b1_record", "b2_http_writes", "b3_import", "b4_rebuild", "b7_seal", "b8_memory",
           "b5_as_of", "b6_http_reads", "b9_load", "b10_selection")
OUT = Path(__file__).resolve().parent / "out"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI (< 2 minutes)")
    parser.add_argument("--only", metavar="B1,B4", help="only these figures")
    parser.add_argument("--store", choices=STORES, help="only this store")
    parser.add_argument("--profile", action="store_true",
                        help="profile each figure with pyinstrument into bench/out/profile-*.txt")
    parser.add_argument("--out", type=Path, default=OUT / "results.json")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser.parse_args(argv)


def figures(only: str | None) -> list[ModuleType]:
    wanted = {name.strip().upper() for name in only.split(",")} if only else None
    chosen = [importlib.import_module(f"bench.{name}") for name in FIGURES
              if wanted is None or name.split("_")[0].upper() in wanted]
    if wanted and not chosen:
        raise SystemExit(f"no figure among {only!r}: use B1..B10")
    return chosen


def run_figure(module: ModuleType, ctx: Context, profile: bool) -> tuple[list[Result], bool]:
    """The figure's rows; a missing dependency is n/a, a crash an error row (and a failure)."""
    figure, store, target = module.FIGURE, ctx.store.kind, str(getattr(module, "TARGET", ""))
    profiler: Any = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    started = time.perf_counter()
    try:
        return module.run(ctx), False
    except NotBuilt as missing:
        return [Result.unavailable(figure, store, str(missing), target)], False
    except Exception as error:  # a crashed figure is a row of the table; the others still run
        traceback.print_exc(file=sys.stderr)
        return [Result.crashed(figure, store, error, target)], True
    finally:
        ctx.say(f"{figure} took {time.perf_counter() - started:.1f}s")
        if profiler is not None:
            profiler.stop()
            path = OUT / f"profile-{figure}-{store}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(profiler.output_text(unicode=False, color=False, show_all=False))


def machine() -> dict[str, Any]:
    import os
    from importlib.metadata import version

    import psycopg

    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = meminfo.read_text().splitlines()[0].split(":")[1].strip()
    postgres = ""
    if postgres_problem() is None:
        from bench.stores import POSTGRES_ADMIN

        with psycopg.connect(POSTGRES_ADMIN) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            postgres = str(row[0]) if row else ""
    return {
        "cores": os.cpu_count(),
        "memory": memory,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        **{package: version(package) for package in
           ("eventsourcing", "psycopg", "fastapi", "uvicorn", "pydantic")},
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    modules = figures(args.only)
    stores = [args.store] if args.store else list(STORES)
    results: list[Result] = []
    crashed = False
    started = time.perf_counter()
    for kind in stores:
        if kind == "postgresql" and (problem := postgres_problem()):
            results.extend(Result.unavailable(m.FIGURE, kind, problem) for m in modules)
            continue
        store = Store(kind)
        ctx = Context(store, quick=args.quick, out=OUT, verbose=not args.quiet)
        try:
            for module in modules:
                rows, failed = run_figure(module, ctx, args.profile)
                results.extend(rows)
                crashed = crashed or failed
        finally:
            store.close()
    elapsed = time.perf_counter() - started
    print(table(sorted(results, key=lambda r: (r.figure, r.store == "postgresql"))))
    mode = "quick" if args.quick else "full"
    print(f"\n{mode} run, {elapsed:.0f}s; ratios are medians of runs interleaved with their"
          " baselines (min-max in brackets)")
    write_json(results, args.out, {
        "mode": mode, "seconds": round(elapsed, 1),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
    })
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
