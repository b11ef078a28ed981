"""Page sessions against a hostile client: nothing a read of the database holds is a session,
a signed-out or revoked session is over on every process, an expired one is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from dashboard_support import Seeded, dashboard_app, seed
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth.sessions import csrf_token
from api.auth.tokens import Role
from api.cli import main
from api.settings import store_env
from projections.service import LedgerService
from projections.store.database import Database, instant

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BOARD = "board-web"
SIGNED_OUT = "/signin"


@dataclass
class Site:
    """The dashboard on one store, seeded, with a live token for every role."""

    url: str
    app: FastAPI
    seeded: Seeded
    secrets: dict[Role, str]

    @property
    def service(self) -> LedgerService:
        service: LedgerService = self.app.state.service
        return service

    @property
    def database(self) -> Database:
        return self.service.database

    def browser(self, role: Role | None = None, app: FastAPI | None = None) -> TestClient:
        """A client with its own cookie jar (on this process or another), signed in as `role`."""
        client = TestClient(app or self.app, follow_redirects=False)
        if role is not None:
            answer = sign_in(client, self.secrets[role])
            assert answer.status_code == 303, answer.text
        return client

    def decisions_by(self, name: str) -> int:
        return sum(1 for item in self.service.decision_log().items
                   if item.decided_by == name)


@contextmanager
def site_on(url: str) -> Iterator[Site]:
    app = dashboard_app(url)
    with TestClient(app):
        seeded = seed(app.state.service)
        secrets = {role: app.state.tokens.create(f"{role.value}-web", role) for role in Role}
        yield Site(url, app, seeded, secrets)


@pytest.fixture
def site(store_url: str) -> Iterator[Site]:
    with site_on(store_url) as started:
        yield started


def sign_in(client: TestClient, secret: str) -> httpx.Response:
    form = client.get("/signin")
    found = CSRF.search(form.text)
    assert found, "the sign-in form has no CSRF field"
    return client.post("/signin", data={"token": secret, "csrf": found.group(1), "next": "/"})


def page_csrf(client: TestClient) -> str:
    found = CSRF.search(client.get("/").text)
    assert found, "a signed-in page carries the session's CSRF token"
    return found.group(1)


def replay(site: Site, cookie: str, csrf: str, app: FastAPI | None = None) -> list[httpx.Response]:
    """What a client holding only this cookie (and a CSRF token it made) gets: a page, and a
    board decision posted to pause a funded project."""
    client = TestClient(app or site.app, follow_redirects=False)
    client.cookies.set("pl_session", cookie)
    project_id = site.seeded.projects["DG-07"]
    version = site.service.project(project_id).version
    return [client.get("/"), client.post(f"/projects/{project_id}/decisions", data={
        "csrf": csrf, "version": str(version), "kind": "pause", "rationale": "forged"})]


def assert_signed_out(answers: list[httpx.Response]) -> None:
    for answer in answers:
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].startswith(SIGNED_OUT)


def tables(database: Database) -> list[str]:
    if database.dialect == "sqlite":
        rows = database.read("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = database.read("SELECT table_name AS name FROM information_schema.tables"
                             " WHERE table_schema = 'public'")
    return [row["name"] for row in rows]


def readable_values(database: Database) -> set[str]:
    """Every text value in the ledger's own tables of tokens and sessions, as a read of the
    database (a copied file, a backup, a read-only role) finds them."""
    values: set[str] = set()
    for table in tables(database):
        if table.startswith(("web_", "api_")):
            for row in database.read(f"SELECT * FROM {table}"):
                values.update(str(value) for value in row.values() if value is not None)
    return values


def old_style_cookie(key_hex: str, name: str, role: str, csrf: str) -> str:
    """A cookie as sessions were once made: the session as base64 JSON, signed with HMAC."""
    payload = base64.urlsafe_b64encode(json.dumps({
        "name": name, "role": role, "csrf": csrf, "expires": int(time.time()) + 3600,
    }).encode())
    signature = hmac.new(bytes.fromhex(key_hex), payload, hashlib.sha256).hexdigest()
    return f"{payload.decode()}.{signature}"


def forgeries(database: Database) -> list[tuple[str, str]]:
    """Cookies (with the CSRF token each would carry) built from what the database holds:
    each value as it is, and a session for every token's name and role signed with each
    value that could be a key."""
    values = readable_values(database)
    principals = [(row["name"], row["role"]) for row in database.read(
        "SELECT name, role FROM api_tokens")]
    made = [(value, csrf_token(value)) for value in values]
    for value in values:
        if re.fullmatch(r"[0-9a-f]{64}", value):
            made.extend((old_style_cookie(value, name, role, "forged"), "forged")
                        for name, role in principals)
    return made


def test_no_cookie_made_from_what_the_database_holds_is_a_session(site: Site) -> None:
    board = site.browser(Role.BOARD)
    site.browser(Role.ADMIN)
    cookie = board.cookies["pl_session"]
    before = site.service.database.head()

    for forged, csrf in forgeries(site.database):
        assert_signed_out(replay(site, forged, csrf))

    assert not any(cookie in value for value in readable_values(site.database))
    assert site.service.database.head() == before
    assert board.get("/").status_code == 200  # the real session still works


def test_cookies_signed_with_the_old_session_key_stop_working(store_url: str) -> None:
    # A ledger from before: its sessions were signed with a key kept in a table.
    key = "ab" * 32
    older = LedgerService(store_env(store_url))
    with older.database.transaction() as sql:
        sql.ddl("CREATE TABLE web_session_keys ("
                " id INTEGER PRIMARY KEY, secret TEXT NOT NULL, created_at TEXT NOT NULL)")
        sql.execute("INSERT INTO web_session_keys VALUES (1, ?, ?)",
                    (key, instant(datetime.now(UTC))))
    older.close()

    with site_on(store_url) as site:
        site.browser(Role.VIEWER)  # the first page request sets the sessions up
        before = site.service.database.head()

        assert_signed_out(replay(site, old_style_cookie(key, BOARD, "board", "x"), "x"))
        assert "web_session_keys" not in tables(site.database)
        assert site.service.database.head() == before


def test_a_copied_cookie_stops_working_once_its_session_signs_out(site: Site) -> None:
    board = site.browser(Role.BOARD)
    copied, csrf = board.cookies["pl_session"], page_csrf(board)

    out = board.post("/signout", data={"csrf": csrf})

    assert out.status_code == 303
    assert_signed_out(replay(site, copied, csrf))
    assert site.decisions_by(BOARD) == 0


def test_revoking_the_token_on_the_command_line_ends_its_open_sessions(site: Site) -> None:
    board = site.browser(Role.BOARD)
    copied, csrf = board.cookies["pl_session"], page_csrf(board)
    viewer = site.browser(Role.VIEWER)

    assert main(["tokens", "revoke", BOARD, "--db", site.url]) == 0

    assert board.get("/").status_code == 303
    assert_signed_out(replay(site, copied, csrf))
    assert site.decisions_by(BOARD) == 0
    assert viewer.get("/").status_code == 200  # other tokens' sessions go on


def test_an_expired_session_is_refused_and_cleared_at_the_next_sign_in(site: Site) -> None:
    board = site.browser(Role.BOARD)
    with site.database.transaction() as sql:
        sql.execute("UPDATE web_sessions SET expires_at = ?",
                    (instant(datetime.now(UTC) - timedelta(seconds=1)),))

    refused = board.get("/")
    site.browser(Role.VIEWER)

    assert refused.status_code == 303
    rows = site.database.read("SELECT name FROM web_sessions")
    assert [row["name"] for row in rows] == ["viewer-web"]


def test_sessions_are_shared_by_processes_on_one_postgresql(postgres_url: str) -> None:
    second = dashboard_app(postgres_url)
    with site_on(postgres_url) as site, TestClient(second):
        board = site.browser(Role.BOARD)
        cookie, csrf = board.cookies["pl_session"], page_csrf(board)
        elsewhere = site.browser(app=second)
        elsewhere.cookies.set("pl_session", cookie)
        project_id = site.seeded.projects["DG-07"]
        version = site.service.project(project_id).version

        shown = elsewhere.get("/")
        decided = elsewhere.post(f"/projects/{project_id}/decisions", data={
            "csrf": csrf, "version": str(version), "kind": "pause", "rationale": "elsewhere"})
        out = elsewhere.post("/signout", data={"csrf": csrf})

        assert shown.status_code == 200 and BOARD in shown.text
        assert decided.status_code == 303, decided.text
        assert site.decisions_by(BOARD) == 1
        assert out.status_code == 303
        assert_signed_out(replay(site, cookie, csrf))  # signed out there: over here too
        assert_signed_out(replay(site, cookie, csrf, app=second))
        assert site.decisions_by(BOARD) == 1
