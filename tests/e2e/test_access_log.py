"""The access log: one line per request, naming who asked, what, the status and the time."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cli_support import ENTRY
from dashboard_support import signed_in_browser
from e2e_support import Api

from api.auth.tokens import Role
from api.http.access_log import JsonFormat, TextFormat

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) (\S+) (\S+) (\d{3}) "
                       r"\d+(\.\d)?ms$")


def access(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [record.__dict__["access"] for record in caplog.records if record.name == "api.access"]


def test_each_request_is_logged_once_with_its_principal_and_status(
    api: Api, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="api.access")

    api.get("/v1/portfolios", Role.AUDITOR, limit=5)
    api.get("/v1/portfolios", role=None)
    api.client.get("/v1/portfolios", headers={"Authorization": "Bearer plt_unknown"})
    api.post("/v1/portfolios", {"name": ""}, Role.BOARD)

    logged = access(caplog)
    assert [(line["principal"], line["method"], line["path"], line["status"])
            for line in logged] == [
        ("auditor", "GET", "/v1/portfolios?limit=5", 200),
        ("-", "GET", "/v1/portfolios", 401),
        ("-", "GET", "/v1/portfolios", 401),
        ("board", "POST", "/v1/portfolios", 422),
    ]
    assert all(isinstance(line["duration_ms"], float) for line in logged)


def test_a_page_request_names_the_sessions_principal(
    api: Api, caplog: pytest.LogCaptureFixture,
) -> None:
    browser = signed_in_browser(api.app, api.secrets[Role.VIEWER])
    caplog.set_level(logging.INFO, logger="api.access")

    assert browser.get("/").status_code == 200

    assert [(line["principal"], line["path"], line["status"]) for line in access(caplog)] == [
        ("viewer", "/", 200)]


def test_the_text_and_json_lines_carry_the_same_fields(
    api: Api, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="api.access")
    api.get("/v1/portfolios", Role.AUDITOR)
    record = next(r for r in caplog.records if r.name == "api.access")

    text = TextFormat().format(record)
    fields = json.loads(JsonFormat().format(record))

    found = TEXT_LINE.match(text)
    assert found and found.groups()[:4] == ("auditor", "GET", "/v1/portfolios", "200")
    assert set(fields) == {"time", "principal", "method", "path", "status", "duration_ms"}
    assert fields["principal"] == "auditor" and fields["status"] == 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_logs_json_lines_on_stderr(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_LEDGER_")}
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-c", ENTRY, "serve", "--db", f"sqlite:///{tmp_path / 'l.db'}",
             "--port", str(port), "--log-format", "json"],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        httpx.get(f"http://127.0.0.1:{port}/v1/portfolios", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=15)

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert answer.status_code == 200
    assert {"principal": "-", "method": "GET", "path": "/v1/portfolios",
            "status": 401}.items() <= lines[-1].items(), lines
    assert all("time" in line for line in lines)
