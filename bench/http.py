"""A real server in a subprocess on loopback, and a bounded load of HTTP clients on threads."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.harness import percentile

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
LEDGER_APP = "api.http.app:create_app"
TRIVIAL_APP = "bench.trivial_app:create_app"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(app: str, env: dict[str, str] | None = None, ready: str = "/v1/healthz",
           timeout: float = 120) -> Iterator[str]:
    """Serve `app` (a factory) with uvicorn's defaults; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", HOST,
               "--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                said = process.stderr.read() if process.stderr else ""
                raise RuntimeError(f"the server exited: {said[-600:]}")
            try:
                if httpx.get(base + ready, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer {ready} in {timeout:.0f}s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Call:
    """One request: method, path, JSON body, the token to send."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    token: str | None = None


@dataclass
class Load:
    """What a load run saw: successes per second over the whole run, latencies, failures."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.5) if self.latencies else float("nan")

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99) if self.latencies else float("nan")


def load(base: str, scripts: Sequence[Sequence[Call]]) -> Load:
    """Run each script on a client thread of its own, all starting together."""
    barrier = threading.Barrier(len(scripts) + 1)
    lock = threading.Lock()
    result = Load(seconds=0.0)

    def client(script: Sequence[Call]) -> None:
        # plain HTTP on loopback: verify=False only skips loading CA certificates (60 ms a client)
        with httpx.Client(base_url=base, timeout=60, verify=False) as http:
            barrier.wait()
            for call in script:
                headers = {"Authorization": f"Bearer {call.token}"} if call.token else {}
                started = time.perf_counter()
                try:
                    answer = http.request(call.method, call.path, json=call.body, headers=headers)
                    outcome = "" if answer.status_code < 400 else str(answer.status_code)
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if outcome:
                        result.failures[outcome] = result.failures.get(outcome, 0) + 1
                    else:
                        result.latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(script,), daemon=True) for script in scripts]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def failures_note(loads: Sequence[Load]) -> str:
    total: dict[str, int] = {}
    for run in loads:
        for outcome, count in run.failures.items():
            total[outcome] = total.get(outcome, 0) + count
    if not total:
        return ""
    return "; failed: " + ", ".join(f"{n}x {o}" for o, n in sorted(total.items()))
