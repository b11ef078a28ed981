"""Page sessions: a random id in the cookie, its hash in the ledger's database.

The cookie holds nothing but the id (256 random bits). The database keeps its SHA-256 hash
with the principal's name and role, the token the session was signed in with (by its hash,
as the token store keeps it) and the expiry, so every API process sharing one PostgreSQL
accepts the sessions of the others with no secret of its own, and nothing a read of the
database finds can be turned back into a cookie. Signing out deletes the row; revoking the
token ends its sessions at once, since each lookup joins the token and checks it is live
(their rows are cleared once expired). No process caches a session: each page request is one
lookup by primary key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from api.auth.tokens import Role, digest
from projections.store.sessions import SessionTable

COOKIE = "pl_session"
SIGNIN_COOKIE = "pl_signin"
LIFETIME_SECONDS = 8 * 60 * 60


@dataclass(frozen=True)
class Session:
    """A signed-in principal: the name written into every event they cause, and their role."""

    name: str
    role: Role
    csrf: str
    expires: datetime

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


@dataclass(frozen=True)
class Started:
    """A new session and the cookie value that stands for it (shown to this browser alone)."""

    session: Session
    cookie: str


def csrf_token(session_id: str) -> str:
    """The session's CSRF token, derived from its id: no column holds it, so a read of the
    database cannot produce it, and a page needs nothing but the cookie to print it."""
    mac = hmac.new(session_id.encode(), b"portfolio-ledger csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


class SessionStore:
    """Sessions in the ledger's own database (`projections.store.sessions`), beside the
    tokens they were signed in with."""

    def __init__(self, table: SessionTable) -> None:
        self.table = table

    def start(self, secret: str, now: datetime | None = None) -> Started | None:
        """Sign in with a token's secret: a new session for the principal it names, or None
        if the token is unknown or revoked. Expired sessions are deleted on the way."""
        moment = now or datetime.now(UTC)
        session_id = secrets.token_urlsafe(32)
        expires = moment + timedelta(seconds=LIFETIME_SECONDS)
        # Expired sessions go on the way, by the expiry index: no request waits for a sweep.
        row = self.table.start(digest(session_id), digest(secret), expires, moment)
        if row is None:
            return None
        session = Session(row.name, Role(row.role), csrf_token(session_id), expires)
        return Started(session, session_id)

    def find(self, cookie: str | None, now: datetime | None = None) -> Session | None:
        """The session a cookie stands for, if it exists, has not expired and its token is
        live: one lookup by primary key, joined to the token by its unique hash."""
        if not cookie:
            return None
        row = self.table.find(digest(cookie), now or datetime.now(UTC))
        if row is None:
            return None
        return Session(row.name, Role(row.role), csrf_token(cookie), row.expires_at)

    def end(self, cookie: str | None) -> None:
        """Sign out: the session's row goes, so its cookie fails on every process."""
        if cookie:
            self.table.end(digest(cookie))

