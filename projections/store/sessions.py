"""The page sessions' table: each session's id by its hash, beside the token it signed in with.

Created after the tokens' table (`projections.store.tokens`): a session is started from, and
looked up joined to, a live token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from projections.store.database import Database, instant, parse_instant

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS web_sessions ("
    " id_hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
    " token_hash TEXT NOT NULL, expires_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS web_sessions_expiry ON web_sessions (expires_at)",
    # Sessions were once signed with a key kept in this table: a read of the database could
    # forge them. The key goes; cookies signed with it stop working and users sign in again.
    "DROP TABLE IF EXISTS web_session_keys",
)


@dataclass(frozen=True)
class SessionRow:
    """A live session as kept: the principal's name, its role as stored, and its expiry."""

    name: str
    role: str
    expires_at: datetime


class SessionTable:
    """Sessions in the ledger's own database, so every API process accepts every session."""

    def __init__(self, database: Database) -> None:
        self.database = database
        with database.transaction() as sql:
            for statement in SCHEMA:
                sql.ddl(statement)

    def start(
        self, id_hash: str, secret_hash: str, expires_at: datetime, now: datetime
    ) -> SessionRow | None:
        """Keep a new session for the live token with this secret's hash (None: no such
        token). Expired sessions are deleted on the way, by the expiry index."""
        with self.database.transaction() as sql:
            sql.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (instant(now),))
            row = sql.execute(
                "INSERT INTO web_sessions (id_hash, name, role, token_hash, expires_at)"
                " SELECT ?, name, role, secret_hash, ? FROM api_tokens"
                " WHERE secret_hash = ? AND revoked_at IS NULL RETURNING name, role",
                (id_hash, instant(expires_at), secret_hash),
            ).one()
        return None if row is None else SessionRow(row["name"], row["role"], expires_at)

    def find(self, id_hash: str, now: datetime) -> SessionRow | None:
        """The session, if it exists, has not expired and its token is live: one lookup by
        primary key, joined to the token by its unique hash."""
        row = self.database.read_one(
            "SELECT s.name, s.role, s.expires_at FROM web_sessions s"
            " JOIN api_tokens t ON t.secret_hash = s.token_hash"
            " WHERE s.id_hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL",
            (id_hash, instant(now)),
        )
        if row is None:
            return None
        return SessionRow(row["name"], row["role"], parse_instant(row["expires_at"]))

    def end(self, id_hash: str) -> None:
        with self.database.transaction() as sql:
            sql.execute("DELETE FROM web_sessions WHERE id_hash = ?", (id_hash,))
