"""Where the time goes: one scenario under pyinstrument, on one store.

`python -m bench.profile rebuild|record|import|seal|verify|reads|server
[--store sqlite|postgresql] [--events N]` writes bench/out/profile-<scenario>-<store>.txt
and prints its top.
`server` samples a real API server under 16 reading clients with py-spy. pyinstrument and
py-spy are development tools: `.venv/bin/pip install pyinstrument py-spy`.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.b1_record import through_service
from bench.context import Context, Log
from bench.dataset import DATASET
from bench.stores import STORES, Store
from bench.workload import Workload
from projections.service import LedgerService

OUT = Path(__file__).resolve().parent / "out"
MAPPING = Path(__file__).resolve().parents[1] / "examples" / "us-federal-it-2013.toml"


Work = tuple[Callable[[], object], Callable[[], None]]


def scenario(name: str, ctx: Context, events: int) -> Work:
    """The work to profile, and what to close afterwards."""
    if name == "import":
        from api.importing import import_file, load_mapping

        service = LedgerService(ctx.store.env(ctx.store.url("profile_import")))
        mapping = load_mapping(MAPPING)
        return (lambda: (import_file(service, DATASET, mapping, actor="bench:import"),
                         service.catch_up())), service.close
    log: Log = ctx.log(events, caught_up=name in ("reads", "verify", "record", "seal"))
    service = LedgerService(log.env)
    if name == "rebuild":
        return service.rebuild, service.close
    if name == "seal":
        return lambda: service.rebuild(["seal"]), service.close
    if name == "verify":
        from projections.audit.verify import verify

        return lambda: verify(service.database), service.close
    if name == "record":
        workload = Workload(log.built)
        apply = through_service(service)
        writes = [workload.next(decision) for decision in workload.kinds(300)]
        return lambda: [apply(write) for write in writes], service.close
    if name == "reads":
        portfolio = Counter(p for p, _ in log.built.projects.values()).most_common(1)[0][0]
        projects = list(log.built.projects)
        rng = random.Random(1)

        def reads() -> None:
            for _ in range(100):
                service.composition(portfolio)
                service.decision_log(portfolio_id=str(portfolio), limit=100)
                service.project_health(rng.choice(projects))
        return reads, service.close
    raise SystemExit(f"unknown scenario {name!r}")


def server_profile(ctx: Context, events: int, seconds: int) -> str:
    """py-spy on a real API server while 16 clients read; the summary of its stacks."""
    import os
    import shutil
    import subprocess
    import threading

    from bench.b6_http_reads import PROJECTS, reads_of
    from bench.http import HOST, ROOT, free_port, load
    from bench.tokens import make_tokens

    months = max(3, events // PROJECTS - 4)
    log = ctx.log(PROJECTS * (months + 4), caught_up=True, projects=PROJECTS, months=months,
                  portfolio="Department of Commerce")
    token = make_tokens(log.env, "viewer")["viewer"]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.http.app:create_app", "--factory", "--host", HOST,
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "PORTFOLIO_LEDGER_DB": log.url})
    base = f"http://{HOST}:{port}"
    raw = OUT / "server-stacks.txt"
    raw.parent.mkdir(parents=True, exist_ok=True)
    try:
        import time

        import httpx

        for _ in range(300):
            try:
                httpx.get(base + "/v1/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        reads = reads_of(log, token)
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
        recorder = subprocess.Popen([spy, "record", "-p", str(process.pid), "-d", str(seconds),
                                     "-r", "200", "-f", "raw", "-o", str(raw), "--nonblocking"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stop = threading.Event()

        def keep_reading() -> None:
            while not stop.is_set():
                for make in reads.values():
                    load(base, [[make() for _ in range(5)] for _ in range(16)])

        worker = threading.Thread(target=keep_reading, daemon=True)
        worker.start()
        recorder.wait()
        stop.set()
        worker.join()
    finally:
        process.terminate()
        process.wait()
    return summarise_stacks(raw.read_text())


IDLE = ("Condition.wait", "EpollSelector.select", "lock.acquire", "Event.wait", "Queue.get")
OURS = ("api/", "projections/", "domain/")


def summarise_stacks(collapsed: str, top: int = 40) -> str:
    """Shares of busy samples per function, from py-spy's collapsed stacks: inclusive for
    the ledger's own code, self for everything (waiting on PostgreSQL counts as busy)."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        frames = [frame.rsplit(":", 1)[0] for frame in stack.split(";")]
        if frames[-1].split(" (")[0] in IDLE:
            continue
        count = int(count_text)
        total += count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    if not total:
        return "no busy samples"

    def share(count: int) -> str:
        return f"{100 * count / total:6.1f}%"

    ours = {frame: count for frame, count in inclusive.items()
            if any(f"({path}" in frame for path in OURS)}
    lines = [f"{total} busy samples, all threads", "", "the ledger's code, inclusive:"]
    lines += [f"{share(n)}  {f}" for f, n in sorted(ours.items(), key=lambda i: -i[1])[:top]]
    lines += ["", "every function, self:"]
    lines += [f"{share(n)}  {f}" for f, n in sorted(own.items(), key=lambda i: -i[1])[:top]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("scenario",
                        choices=("rebuild", "record", "import", "seal", "verify", "reads",
                                 "server"))
    parser.add_argument("--store", choices=STORES, default="sqlite")
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.scenario == "server":
        store = Store(args.store)
        try:
            text = server_profile(Context(store, quick=True, out=OUT), args.events, 20)
        finally:
            store.close()
        path = OUT / f"profile-server-{args.store}.txt"
        path.write_text(text + "\n")
        print(text)
        return 0
    from pyinstrument import Profiler

    store = Store(args.store)
    try:
        ctx = Context(store, quick=True, out=OUT)
        work, close = scenario(args.scenario, ctx, args.events)
        profiler = Profiler(interval=0.001)
        profiler.start()
        try:
            work()
        finally:
            profiler.stop()
            close()
    finally:
        store.close()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    path = OUT / f"profile-{args.scenario}-{args.store}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print("\n".join(text.splitlines()[:80]))
    print(f"\n(whole profile in {path})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
