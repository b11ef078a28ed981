"""The API tokens' table: each token's name, role and secret's hash, never the secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from projections.store.database import Database, instant, parse_instant

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS api_tokens ("
    " name TEXT PRIMARY KEY, role TEXT NOT NULL, secret_hash TEXT NOT NULL UNIQUE,"
    " created_at TEXT NOT NULL, revoked_at TEXT)",
)


@dataclass(frozen=True)
class TokenRow:
    """A token as kept: its role as the text stored."""

    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


class TokenTable:
    """Tokens in the ledger's own database, so every API process sees the same ones."""

    def __init__(self, database: Database) -> None:
        self.database = database
        with database.transaction() as sql:
            for statement in SCHEMA:
                sql.ddl(statement)

    def add(self, name: str, role: str, secret_hash: str, created_at: datetime) -> bool:
        """Keep a new token; False (and nothing kept) if one has this name already."""
        with self.database.transaction() as sql:
            if sql.execute("SELECT 1 FROM api_tokens WHERE name = ?", (name,)).one():
                return False
            sql.execute(
                "INSERT INTO api_tokens VALUES (?, ?, ?, ?, NULL)",
                (name, role, secret_hash, instant(created_at)),
            )
        return True

    def all(self) -> list[TokenRow]:
        return [
            TokenRow(
                name=row["name"],
                role=row["role"],
                created_at=parse_instant(row["created_at"]),
                revoked_at=parse_instant(row["revoked_at"]) if row["revoked_at"] else None,
            )
            for row in self.database.read("SELECT * FROM api_tokens ORDER BY name")
        ]

    def revoke(self, name: str, at: datetime) -> bool:
        """Mark the token revoked (once: a second revocation keeps the first instant); False
        if there is no such token."""
        with self.database.transaction() as sql:
            row = sql.execute("SELECT revoked_at FROM api_tokens WHERE name = ?", (name,)).one()
            if row is None:
                return False
            if row["revoked_at"] is None:
                sql.execute(
                    "UPDATE api_tokens SET revoked_at = ? WHERE name = ?", (instant(at), name)
                )
        return True

    def live(self, secret_hash: str) -> tuple[str, str] | None:
        """The name and role of the live token with this secret's hash, if there is one."""
        row = self.database.read_one(
            "SELECT name, role FROM api_tokens WHERE secret_hash = ? AND revoked_at IS NULL",
            (secret_hash,),
        )
        return None if row is None else (row["name"], row["role"])
