"""B3: bulk import events per second, the real dataset and a generated export, against the
raw library appending 100 events a save."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.context import Context, requires
from bench.dataset import DATASET
from bench.generate import write_import_file
from bench.harness import Result, Target, pair
from bench.raw import RawLedger, RawWriter
from bench.rss import peak_kib
from projections.service import LedgerService

FIGURE = "B3"
TARGET = Target(">=", 0.5)
MAPPING = Path(__file__).resolve().parents[1] / "examples" / "us-federal-it-2013.toml"
PER_SAVE = 100


def raw_append(writer: RawWriter, events: int) -> float:
    started = time.perf_counter()
    for _ in range(max(1, events // PER_SAVE)):
        writer.batch(PER_SAVE)
    return max(1, events // PER_SAVE) * PER_SAVE / (time.perf_counter() - started)


def run(ctx: Context) -> list[Result]:
    importing = requires("api.importing", "import_file", "load_mapping")
    raw = RawLedger(ctx.store.env(ctx.store.url("b3raw")))
    writer = RawWriter(raw, aggregates=20)
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="pl_bench_import_") as folder:
            generated = ctx.size(1_000_000, 2_000)
            started = time.perf_counter()
            export, export_mapping = write_import_file(Path(folder), generated)
            ctx.say(f"wrote a {generated:,}-event export in {time.perf_counter() - started:.1f}s")
            # the views' own rate is B4's: only the real dataset's import is also projected
            cases = [("real dataset", DATASET, MAPPING, ctx.size(ctx.repeats, 1), True),
                     (f"generated {generated:,}-event export", export, export_mapping,
                      ctx.size(1, 2), False)]
            for case, (label, path, mapping_path, repeats, project) in enumerate(cases):
                mapping = importing.load_mapping(mapping_path)
                records, wholes, baselines = [], [], []
                events = 0
                peak_before = peak_kib()
                for run_index in range(repeats):
                    url = ctx.store.url(f"b3_{case}_{run_index}")
                    service = LedgerService(ctx.store.env(url))
                    try:
                        started = time.perf_counter()
                        summary = importing.import_file(service, path, mapping,
                                                        actor="bench:import")
                        recorded = time.perf_counter() - started
                        events = service.head()
                        if project:
                            service.catch_up()
                        whole = time.perf_counter() - started
                    finally:
                        service.close()
                    ctx.store.drop(url)
                    if not summary.recorded or summary.rejected:
                        raise RuntimeError(f"the import of {label} rejected "
                                           f"{len(summary.rejected)} rows: "
                                           f"{summary.rejected[:1]}")
                    records.append(events / recorded)
                    wholes.append(events / whole)
                    baselines.append(raw_append(writer, min(events, ctx.size(100_000, 5_000))))
                note = f"{events:,} events, {repeats} run(s)"
                if peak_kib() - peak_before > 100 * 1024:  # worth naming: over 100 MiB
                    note += (f"; this process's peak RSS rose from {peak_before // 1024:,} to "
                             f"{peak_kib() // 1024:,} MiB")
                results.append(Result.measured(FIGURE, f"import {label}, record", ctx.store.kind,
                                               "ev/s", pair(records, baselines), TARGET, note))
                if project:
                    results.append(Result.measured(
                        FIGURE, f"import {label}, record + views", ctx.store.kind, "ev/s",
                        pair(wholes, baselines), TARGET, note))
    finally:
        raw.close()
    return results
