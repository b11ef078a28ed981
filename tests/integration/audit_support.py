"""What the audit tests share: a small board story on a store, and raw hands on its events."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
from fastapi.testclient import TestClient

from api.auth.tokens import Role, TokenStore
from api.http.app import create_app
from api.settings import Settings
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind
from projections.audit.heads import Head
from projections.service import LedgerService

BOARD = "board:chair"
MANAGER = "manager:ana"


def board_story(service: LedgerService) -> dict[str, UUID]:
    """Two portfolios, three projects, funding, a report, a pause, a discontinuation: 16 events."""
    digital = service.create_portfolio(actor=BOARD, name="Digital services",
                                       budget=Decimal("1000000")).id
    estates = service.create_portfolio(actor=BOARD, name="Estates",
                                       budget=Decimal("500000")).id
    cases, portal, depot = (
        service.propose_project(actor=MANAGER, portfolio_id=portfolio, name=name,
                                code=code, requested_budget=Decimal("200000")).id
        for portfolio, name, code in ((digital, "Case management", "CM"),
                                      (digital, "Citizen portal", "CP"),
                                      (estates, "Depot renewal", "DR"))
    )
    service.decide(digital, cases, DecisionKind.FUND, actor=BOARD, amount=Decimal("150000"),
                   rationale="Business case approved")
    service.decide(digital, portal, DecisionKind.FUND, actor=BOARD, amount=Decimal("90000"),
                   rationale="Phase one only", meeting="Board 2025-03")
    service.report_status(cases, StatusReport(
        period_end=date.today() - timedelta(days=3), schedule=Rating.AMBER, cost=Rating.GREEN,
        scope=Rating.GREEN, planned_value=Decimal("100"), earned_value=Decimal("85"),
        actual_cost=Decimal("100")), actor=MANAGER)
    service.decide(digital, portal, DecisionKind.PAUSE, actor=BOARD,
                   rationale="Supplier <dispute>, pending | review")
    service.decide(estates, depot, DecisionKind.FUND, actor=BOARD, amount=Decimal("60000"),
                   rationale="=HYPERLINK(\"x\") is not a formula here")
    service.decide(estates, depot, DecisionKind.DISCONTINUE, actor=BOARD,
                   rationale="Superseded by the regional plan")
    return {"digital": digital, "estates": estates, "cases": cases, "portal": portal,
            "depot": depot}


def kept_head(service: LedgerService) -> Head:
    """The head an auditor keeps as a receipt: size and root, nothing else."""
    head = service.tree_head()
    return Head(head.tree_size, bytes.fromhex(head.root_hash))


class RawLog:
    """The events table as someone with database access sees it, to tamper with."""

    def __init__(self, service: LedgerService) -> None:
        self.database = service.database
        self.table = self.database.events_table
        self.postgres = self.database.dialect == "postgresql"
        self.position = "notification_id" if self.postgres else "rowid"

    def rows(self) -> list[tuple[Any, ...]]:
        """Every row, byte for byte, in position order."""
        found = self.database.read(
            f"SELECT {self.position} AS position, originator_id, originator_version, topic, state"
            f" FROM {self.table} ORDER BY {self.position}"
        )
        return [(r["position"], str(r["originator_id"]).replace("-", ""),
                 r["originator_version"], r["topic"], bytes(r["state"])) for r in found]

    def state(self, position: int) -> bytes:
        row = self.database.read_one(
            f"SELECT state FROM {self.table} WHERE {self.position} = ?", (position,))
        assert row is not None, f"no event at position {position}"
        return bytes(row["state"])

    def change_one_byte(self, position: int) -> None:
        """Change one letter of the actor: the state stays valid JSON, one byte differs."""
        state = self.state(position)
        at = state.index(b'"actor":"') + len(b'"actor":"')
        changed = state[:at] + bytes([state[at] ^ 0x20]) + state[at + 1:]
        self._execute(f"UPDATE {self.table} SET state = ? WHERE {self.position} = ?",
                      (changed, position))

    def delete(self, position: int) -> None:
        self._execute(f"DELETE FROM {self.table} WHERE {self.position} = ?", (position,))

    def swap(self, first: int, second: int) -> None:
        """Exchange two events' places in the log."""
        for old, new in ((first, -1), (second, first), (-1, second)):
            self._execute(f"UPDATE {self.table} SET {self.position} = ? WHERE {self.position} = ?",
                          (new, old))

    def insert(self, position: int) -> None:
        """Slip a forged event in at ``position``, moving every later event one place on."""
        far = 1_000_000
        self._execute(f"UPDATE {self.table} SET {self.position} = {self.position} + ?"
                      f" WHERE {self.position} >= ?", (far, position))
        self._execute(f"UPDATE {self.table} SET {self.position} = {self.position} - ?"
                      f" WHERE {self.position} >= ?", (far - 1, far))
        self._execute(
            f"INSERT INTO {self.table}"
            f" (originator_id, originator_version, topic, state, {self.position})"
            " VALUES (?, 1, ?, ?, ?)",
            (self.ident(uuid4()), "domain.portfolio:Portfolio.PortfolioCreated",
             self.state(1), position),
        )

    def ident(self, originator_id: UUID) -> UUID | str:
        """An originator id as each store keeps it: a uuid, or SQLite's hex text."""
        return originator_id if self.postgres else originator_id.hex

    def _execute(self, statement: str, params: tuple[Any, ...]) -> None:
        with self.database.transaction() as sql:
            sql.execute(statement, params)


def edit_with_driver(url: str, statement: str) -> None:
    """Run one statement on the store with its own driver (`sqlite3`, `psycopg`), as anyone
    with the database file or a login to the server can; ``{events}`` in it names the events
    table and ``{position}`` its position column."""
    postgres = url.startswith("postgresql")
    filled = statement.format(
        events="portfolioledger_events" if postgres else "stored_events",
        position="notification_id" if postgres else "rowid",
    )
    if postgres:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(filled.encode())
        return
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection, connection:
        connection.execute(filled)


@dataclass
class Auditor:
    """The HTTP API on a store, and a client holding an admin token."""

    client: TestClient
    token: str

    def get(self, path: str) -> Any:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.token}"})

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, json=body,
                                headers={"Authorization": f"Bearer {self.token}"})


@contextmanager
def http_api(url: str) -> Iterator[Auditor]:
    """The app on the store at `url`, started and stopped as a server is."""
    with TestClient(create_app(Settings(db=url))) as client:
        tokens: TokenStore = client.app.state.tokens  # type: ignore[attr-defined]
        yield Auditor(client, tokens.create("admin", Role.ADMIN))
