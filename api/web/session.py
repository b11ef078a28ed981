"""Signed session cookies: who is signed in, as what, until when, and their CSRF token.

The cookie never holds a token's secret. It holds the principal's name and role, an expiry and
a random CSRF token, signed with HMAC-SHA256 under a key kept in the ledger's own database, so
every API process sharing one PostgreSQL accepts the sessions of the others.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from api.tokens import Role
from projections.database import Database, instant

COOKIE = "pl_session"
SIGNIN_COOKIE = "pl_signin"
LIFETIME_SECONDS = 8 * 60 * 60
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS web_session_keys ("
    " id INTEGER PRIMARY KEY, secret TEXT NOT NULL, created_at TEXT NOT NULL)"
)


class SessionKey:
    """The session-signing key, made once per ledger database and shared by its processes."""

    def __init__(self, database: Database) -> None:
        with database.transaction() as sql:
            sql.ddl(SCHEMA)
            sql.execute(
                "INSERT INTO web_session_keys (id, secret, created_at) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                (secrets.token_hex(32), instant(datetime.now(UTC))),
            )
        row = database.read_one("SELECT secret FROM web_session_keys WHERE id = 1")
        assert row is not None
        self._key = bytes.fromhex(row["secret"])

    def sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    def verify(self, payload: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(payload), signature)


@dataclass(frozen=True)
class Session:
    """A signed-in principal: the name written into every event they cause, and their role."""

    name: str
    role: Role
    csrf: str
    expires: int

    @classmethod
    def start(cls, name: str, role: Role) -> Session:
        return cls(name, role, secrets.token_urlsafe(24), int(time.time()) + LIFETIME_SECONDS)

    def may(self, *roles: Role) -> bool:
        """Whether this role is among those allowed; an admin may do everything."""
        return self.role is Role.ADMIN or self.role in roles

    @property
    def decides(self) -> bool:
        return self.may(Role.BOARD)

    @property
    def audits(self) -> bool:
        return self.may(Role.AUDITOR)

    def accepts(self, csrf: str | None) -> bool:
        return bool(csrf) and hmac.compare_digest(self.csrf, csrf or "")


def seal(session: Session, key: SessionKey) -> str:
    """The cookie value: the session as base64 JSON, a dot, and its HMAC."""
    payload = base64.urlsafe_b64encode(json.dumps(asdict(session)).encode())
    return f"{payload.decode()}.{key.sign(payload)}"


def unseal(cookie: str | None, key: SessionKey, now: float | None = None) -> Session | None:
    """The session a cookie carries, or None if it is missing, forged or expired."""
    if not cookie or "." not in cookie:
        return None
    payload, signature = cookie.rsplit(".", 1)
    if not key.verify(payload.encode(), signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        session = Session(str(data["name"]), Role(data["role"]), str(data["csrf"]),
                          int(data["expires"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    return session if session.expires > (now if now is not None else time.time()) else None
