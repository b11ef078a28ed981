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
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 30
STOP_SECONDS = 15  # a bound for the failure, generous on a loaded machine: not a timing


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


@dataclass
class Served:
    """A `serve` process on a free port, and a client for it."""

    process: subprocess.Popen[bytes]
    port: int
    http: httpx.Client
    log: Path

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send the signal; the exit status, or a failure if the process outlives the bound."""
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"serve was still running {STOP_SECONDS} s after {sig.name}: "
                                 f"{self.log.read_text()}") from None


@contextmanager
def started(db: str, log: Path, program: list[str] | None = None,
            **settings: str) -> Iterator[Served]:
    """`serve` (or `program serve`) on a free port, once /v1/healthz answers; always ended."""
    port = free_port()
    env = {**environment(), **{f"PORTFOLIO_LEDGER_{k.upper()}": v for k, v in settings.items()}}
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*(program or command()), "serve", "--db", db, "--port", str(port)],
            stdout=output, stderr=subprocess.STDOUT, env=env,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_until_serving(client, process, log)
            yield Served(process, port, client, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def server(db: str, log: Path) -> Iterator[httpx.Client]:
    """`serve` on a free port; yields a client once /v1/healthz answers; stopped with SIGTERM."""
    with started(db, log) as served:
        yield served.http
        # uvicorn shuts down gracefully, then re-raises the signal it got
        assert served.stop() in (0, -signal.SIGTERM), log.read_text()


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


# Request bodies over the limit, and stopping while a request is in flight

# `serve` whose portfolio writes compute for two minutes in the worker thread that runs them:
# a deliberately heavy request. It says when it has started.
SLOW_WRITES = """
import sys, time
from projections.service import LedgerService

def create_portfolio(self, **terms):
    print("computing", flush=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pass

LedgerService.create_portfolio = create_portfolio
from api.cli import main
sys.exit(main())
"""


def admin_token(db: str) -> dict[str, str]:
    made = subprocess.run(
        [*command(), "tokens", "create", "chair", "--role", "admin", "--db", db],
        capture_output=True, text=True, timeout=60, env=environment(), check=True,
    )
    return {"Authorization": f"Bearer {made.stdout.strip()}"}


def open_request(port: int, auth: dict[str, str], **headers: str) -> socket.socket:
    """A POST /v1/portfolios whose headers are sent and whose body is still to come."""
    sent = {"Host": "127.0.0.1", "Content-Type": "application/json", **auth, **headers}
    lines = "".join(f"{name}: {value}\r\n" for name, value in sent.items())
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(f"POST /v1/portfolios HTTP/1.1\r\n{lines}\r\n".encode())
    return connection


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def answer_head(connection: socket.socket) -> str:
    """The status line and headers the server answered, read before the body is finished."""
    received = b""
    while b"\r\n\r\n" not in received:
        more = connection.recv(65536)
        assert more, f"the server closed the connection without answering: {received!r}"
        received += more
    return received.split(b"\r\n\r\n")[0].decode().lower()


def wait_for(log: Path, marker: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while marker not in log.read_text():
        assert time.monotonic() < deadline, f"never saw {marker!r}: {log.read_text()}"
        time.sleep(0.05)


def test_a_served_body_over_the_limit_is_answered_413_before_the_client_finishes(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'served.db'}"
    auth = admin_token(db)

    with started(db, tmp_path / "serve.log", max_body_bytes="1000") as served:
        declared = open_request(served.port, auth, **{"Content-Length": "12000000"})
        streamed = open_request(served.port, auth, **{"Transfer-Encoding": "chunked"})
        streamed.sendall(chunk(b" " * 600) + chunk(b" " * 401))  # no closing chunk: still open
        # Neither body is finished: only an answer that does not wait for it can come back.
        heads = [answer_head(declared), answer_head(streamed)]
        recorded = served.http.get("/v1/portfolios", headers=auth).json()["items"]
        declared.close()
        streamed.close()

    for head in heads:
        assert head.startswith("http/1.1 413"), head
        assert "content-type: application/problem+json" in head
        assert "connection: close" in head
    assert recorded == []


def test_sigterm_stops_the_server_while_a_client_is_still_sending(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'served.db'}"
    auth = admin_token(db)

    with started(db, tmp_path / "serve.log") as served:
        recorded = served.http.post("/v1/portfolios", headers=auth,
                                    json={"name": "Kept", "budget": "1000"})
        slow = open_request(served.port, auth, **{"Transfer-Encoding": "chunked"})
        slow.sendall(chunk(b'{"name": "Never finished"'))
        time.sleep(0.5)  # the server is now waiting for the rest of the body

        status = served.stop(signal.SIGTERM)
        slow.close()

    assert status in (0, -signal.SIGTERM), served.log.read_text()
    # The store was closed: SQLite folds its write-ahead log back into the database on close.
    assert not (tmp_path / "served.db-wal").exists()
    with server(db, tmp_path / "serve.log") as http:
        names = [p["name"] for p in http.get("/v1/portfolios", headers=auth).json()["items"]]
    assert recorded.status_code == 201 and names == ["Kept"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_stops_the_server_while_a_request_computes_in_a_worker_thread(
    tmp_path: Path, sig: signal.Signals,
) -> None:
    db = f"sqlite:///{tmp_path / 'served.db'}"
    auth = admin_token(db)
    log = tmp_path / "serve.log"

    with started(db, log, [sys.executable, "-c", SLOW_WRITES]) as served:
        heavy = open_request(served.port, auth, **{"Content-Length": "36"})
        heavy.sendall(b'{"name": "Heavy", "budget": "1000"} ')
        wait_for(log, "computing")

        status = served.stop(sig)
        heavy.close()

    assert status in (0, -signal.SIGTERM), log.read_text()
    assert not (tmp_path / "served.db-wal").exists()
