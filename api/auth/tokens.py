"""Bearer tokens: made by the command line, stored only as hashes, each naming a principal."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from domain.errors import Conflict, InvalidInput, NotFound
from projections.store.tokens import TokenTable

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$")


class Role(StrEnum):
    VIEWER = "viewer"
    AUDITOR = "auditor"
    MANAGER = "manager"
    BOARD = "board"
    ADMIN = "admin"


class TokenNotFound(NotFound):
    """No token has this name (a token is known by its name, never by an id)."""

    kind = "token"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.args = (f"no token named {name}",)


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


class PrincipalCache:
    """Principals this process has recently found behind a secret's digest, for a few seconds.

    Only live tokens are remembered, never misses, so a new token works at once. An entry
    is trusted for `seconds` after it was read from the database: a token revoked by another
    process stops working here within that time; one revoked through this process at once.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.generation = 0  # bumped by every revocation, so a read it overtook is not kept
        self._found: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, secret_hash: str) -> Principal | None:
        """The principal remembered for this digest, unless it has expired."""
        entry = self._found.get(secret_hash)
        if entry is None:
            return None
        if self.clock() >= entry[1]:
            with self._lock:
                if self._found.get(secret_hash) is entry:
                    del self._found[secret_hash]
            return None
        return entry[0]

    def put(self, secret_hash: str, principal: Principal, read_at: float, generation: int) -> None:
        """Remember a principal read at `read_at` (this cache's clock), unless a revocation
        happened since the read began (`generation`)."""
        if self.seconds <= 0:
            return
        with self._lock:
            if generation == self.generation:
                self._found[secret_hash] = (principal, read_at + self.seconds)

    def forget(self, name: str) -> None:
        """Drop every entry of the named token, and any read of it still under way."""
        with self._lock:
            self.generation += 1
            stale = [key for key, (who, _) in self._found.items() if who.name == name]
            for key in stale:
                del self._found[key]


class TokenStore:
    """Tokens in the ledger's own database (`projections.store.tokens`), so every API process
    sees the same ones.

    With `cache_seconds` above 0, `authenticate` answers from a per-process cache for that
    long after reading a token; `revoke` through this store takes effect here at once.
    """

    def __init__(
        self,
        table: TokenTable,
        cache_seconds: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self.cache = PrincipalCache(cache_seconds, clock)

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
        if not self.table.add(name, checked_role.value, digest(secret), datetime.now(UTC)):
            raise TokenExists(name)
        return secret

    def list(self) -> list[TokenInfo]:
        return [
            TokenInfo(row.name, Role(row.role), row.created_at, row.revoked_at)
            for row in self.table.all()
        ]

    def revoke(self, name: str) -> None:
        """Revoke a token: every process refuses it within its cache's seconds, this one now."""
        if not self.table.revoke(name, datetime.now(UTC)):
            raise TokenNotFound(name)
        self.cache.forget(name)

    def remembered(self, secret: str) -> Principal | None:
        """The principal this process's cache holds for the secret, without asking the database."""
        return self.cache.get(digest(secret))

    def authenticate(self, secret: str) -> Principal | None:
        """The principal a live token stands for, or None."""
        secret_hash = digest(secret)
        found = self.cache.get(secret_hash)
        if found is not None:
            return found
        read_at, generation = self.cache.clock(), self.cache.generation
        row = self.table.live(secret_hash)
        if row is None:
            return None
        found = Principal(row[0], Role(row[1]))
        self.cache.put(secret_hash, found, read_at, generation)
        return found
