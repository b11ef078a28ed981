"""The real server: `portfolio-ledger serve` in its own process, stopped and started again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

STARTUP_SECONDS = 30


def command() -> list[str]:
    script = Path(sys.executable).with_name("portfolio-ledger")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from api.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_LEDGER_")}


@contextmanager
def server(db: str, log: Path) -> Iterator[httpx.Client]:
    """`serve` on a free port; yields a client once /v1/healthz answers; always stopped."""
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command(), "serve", "--db", db, "--port", str(port)],
            stdout=output, stderr=subprocess.STDOUT, env=environment(),
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_until_serving(client, process, log)
            yield client
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it got
        assert process.wait(timeout=15) in (0, -signal.SIGTERM), log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)


def wait_until_serving(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        assert process.poll() is None, f"serve exited: {log.read_text()}"
        try:
            if client.get("/v1/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"serve did not answer: {log.read_text()}"
        time.sleep(0.1)


def test_a_served_ledger_keeps_every_record_across_a_restart(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'served.db'}"
    made = subprocess.run(
        [*command(), "tokens", "create", "chair", "--role", "admin", "--db", db],
        capture_output=True, text=True, timeout=60, env=environment(), check=True,
    )
    auth = {"Authorization": f"Bearer {made.stdout.strip()}"}
    log = tmp_path / "serve.log"

    with server(db, log) as http:
        portfolio = http.post("/v1/portfolios", json={"name": "Served", "budget": "500000"},
                              headers=auth).json()
        project = http.post("/v1/projects", json={
            "portfolio_id": portfolio["id"], "name": "Portal", "requested_budget": "100000"},
            headers=auth).json()
        funded = http.post(f"/v1/portfolios/{portfolio['id']}/decisions", json={
            "project_id": project["id"], "kind": "fund", "amount": 100000.10,
            "rationale": "approved"}, headers=auth)
        assert funded.status_code == 201, funded.text

    with server(db, log) as http:
        again = http.get(f"/v1/projects/{project['id']}", headers=auth).json()
        decisions = http.get("/v1/decisions", headers=auth).json()["items"]
        composition = http.get(f"/v1/portfolios/{portfolio['id']}/composition",
                               headers=auth).json()

    assert (again["status"], again["funded"]) == ("active", "100000.10")
    assert [(d["id"], d["decided_by"]) for d in decisions] == [(funded.json()["id"], "chair")]
    assert composition["available"] == "399999.90"
