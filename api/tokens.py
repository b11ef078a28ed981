"""Bearer tokens: made by the command line, stored only as hashes, each naming a principal."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from domain.errors import Conflict, InvalidInput, NotFound
from projections.database import Database, instant, parse_instant

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$")
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS api_tokens ("
    " name TEXT PRIMARY KEY, role TEXT NOT NULL, secret_hash TEXT NOT NULL UNIQUE,"
    " created_at TEXT NOT NULL, revoked_at TEXT)",
)


class Role(StrEnum):
    VIEWER = "viewer"
    AUDITOR = "auditor"
    MANAGER = "manager"
    BOARD = "board"
    ADMIN = "admin"


class TokenNotFound(NotFound):
    kind = "token"


class TokenExists(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"a token named {name!r} already exists")


@dataclass(frozen=True)
class Principal:
    """Who is asking: the token's name is the actor written into every event they cause."""

    name: str
    role: Role


@dataclass(frozen=True)
class TokenInfo:
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


def digest(secret: str) -> str:
    """Secrets are 256 random bits, so one SHA-256 pass is a safe and fast hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """Tokens in the ledger's own database, so every API process sees the same ones."""

    def __init__(self, database: Database) -> None:
        self.database = database
        with database.transaction() as sql:
            for statement in SCHEMA:
                sql.ddl(statement)

    def create(self, name: str, role: Role | str) -> str:
        """Make a token and return its secret; only its hash is kept."""
        if not NAME.match(name or ""):
            raise InvalidInput(
                "name", "use 1-64 letters, digits and . _ : @ -, starting alphanumeric"
            )
        try:
            checked_role = Role(role)
        except ValueError:
            raise InvalidInput("role", f"must be one of {', '.join(Role)}") from None
        secret = f"plt_{secrets.token_urlsafe(32)}"
        with self.database.transaction() as sql:
            if sql.execute("SELECT 1 FROM api_tokens WHERE name = ?", (name,)).one():
                raise TokenExists(name)
            sql.execute(
                "INSERT INTO api_tokens VALUES (?, ?, ?, ?, NULL)",
                (name, checked_role.value, digest(secret), instant(datetime.now(UTC))),
            )
        return secret

    def list(self) -> list[TokenInfo]:
        return [
            TokenInfo(
                name=row["name"],
                role=Role(row["role"]),
                created_at=parse_instant(row["created_at"]),
                revoked_at=parse_instant(row["revoked_at"]) if row["revoked_at"] else None,
            )
            for row in self.database.read("SELECT * FROM api_tokens ORDER BY name")
        ]

    def revoke(self, name: str) -> None:
        with self.database.transaction() as sql:
            row = sql.execute("SELECT revoked_at FROM api_tokens WHERE name = ?", (name,)).one()
            if row is None:
                raise TokenNotFound(name)
            if row["revoked_at"] is None:
                sql.execute(
                    "UPDATE api_tokens SET revoked_at = ? WHERE name = ?",
                    (instant(datetime.now(UTC)), name),
                )

    def is_live(self, name: str, role: Role) -> bool:
        """Whether the named token still exists with this role and is not revoked."""
        return (
            self.database.read_one(
                "SELECT 1 AS live FROM api_tokens"
                " WHERE name = ? AND role = ? AND revoked_at IS NULL",
                (name, role.value),
            )
            is not None
        )

    def authenticate(self, secret: str) -> Principal | None:
        """The principal a live token stands for, or None."""
        row = self.database.read_one(
            "SELECT name, role FROM api_tokens WHERE secret_hash = ? AND revoked_at IS NULL",
            (digest(secret),),
        )
        return None if row is None else Principal(row["name"], Role(row["role"]))
