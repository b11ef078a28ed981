"""The first response to each (principal, Idempotency-Key), in the ledger's own database.

A key is reserved (a unique insert) before the command runs, so two simultaneous requests with
one key cannot both record; a success is kept and replayed, a refusal releases the key. A
reservation left by a process that died mid-request is taken over after `ABANDONED_AFTER`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import Conflict
from projections.store.database import Database, instant, parse_instant

ABANDONED_AFTER = timedelta(minutes=2)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS api_idempotency ("
    " principal TEXT NOT NULL, idempotency_key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " reserved_at TEXT NOT NULL, status_code INTEGER, headers TEXT, body BYTES,"
    " PRIMARY KEY (principal, idempotency_key))",
)


class KeyReused(Conflict):
    """The key already stands for a different request."""

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used with a different request; use a new key"
        )


class KeyInFlight(Conflict):
    """The first request with this key has not finished yet."""

    def __init__(self) -> None:
        super().__init__("a request with this Idempotency-Key is still being processed; retry")


@dataclass(frozen=True)
class StoredResponse:
    """A first response as kept: status, the headers worth replaying, and the body."""

    status_code: int
    headers: dict[str, str]
    body: bytes


class IdempotencyStore:
    """The first response to each (principal, key), in the ledger's database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        with database.transaction() as sql:
            for statement in SCHEMA:
                sql.ddl(statement)

    def reserve(self, principal: str, key: str, fingerprint: str) -> StoredResponse | None:
        """Claim the key (None), or return the response it already stands for."""
        now = datetime.now(UTC)
        with self.database.transaction() as sql:
            claimed = sql.execute(
                "INSERT INTO api_idempotency (principal, idempotency_key, fingerprint, reserved_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING reserved_at",
                (principal, key, fingerprint, instant(now)),
            ).one()
            if claimed is not None:
                return None
            row = sql.execute(
                "SELECT * FROM api_idempotency WHERE principal = ? AND idempotency_key = ?",
                (principal, key),
            ).one()
        if row is None:  # released between our insert and our read: try once more
            return self.reserve(principal, key, fingerprint)
        if row["fingerprint"] != fingerprint:
            raise KeyReused
        if row["status_code"] is None:
            if now - parse_instant(row["reserved_at"]) < ABANDONED_AFTER or not self._take_over(
                principal, key, row["reserved_at"], now
            ):
                raise KeyInFlight
            return None
        return StoredResponse(row["status_code"], json.loads(row["headers"]), bytes(row["body"]))

    def _take_over(self, principal: str, key: str, reserved_at: str, now: datetime) -> bool:
        with self.database.transaction() as sql:
            return sql.execute(
                "UPDATE api_idempotency SET reserved_at = ? WHERE principal = ?"
                " AND idempotency_key = ? AND reserved_at = ? AND status_code IS NULL"
                " RETURNING reserved_at",
                (instant(now), principal, key, reserved_at),
            ).one() is not None

    def complete(self, principal: str, key: str, response: StoredResponse) -> None:
        with self.database.transaction() as sql:
            sql.execute(
                "UPDATE api_idempotency SET status_code = ?, headers = ?, body = ?"
                " WHERE principal = ? AND idempotency_key = ?",
                (response.status_code, json.dumps(response.headers), response.body,
                 principal, key),
            )

    def release(self, principal: str, key: str) -> None:
        with self.database.transaction() as sql:
            sql.execute(
                "DELETE FROM api_idempotency WHERE principal = ? AND idempotency_key = ?"
                " AND status_code IS NULL",
                (principal, key),
            )
