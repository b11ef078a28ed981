"""The one settings object: PORTFOLIO_LEDGER_* in, the event store's own environment out
(naming the ledger's recorders for the store, projections/store/persistence.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.errors import LedgerError
from projections.store.persistence import ledger_env

DEFAULT_DB = "sqlite:///portfolio-ledger.db"


class ConfigurationError(LedgerError):
    """A setting cannot be used as given."""


class Settings(BaseSettings):
    """Everything an operator can set, read from PORTFOLIO_LEDGER_* variables."""

    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_LEDGER_", extra="ignore")

    db: str = DEFAULT_DB
    pool_size: int = 5
    max_overflow: int = 10
    connect_timeout: int = 5
    signing_key: str | None = None
    signing_key_file: Path | None = None
    token_cache_seconds: Annotated[
        float,
        Field(
            ge=0,
            description="How long a process trusts a token it has looked up: a token revoked "
            "elsewhere stops working on every API process within this many seconds (0: at "
            "once, at the price of a database read per request).",
        ),
    ] = 5.0
    max_body_bytes: Annotated[
        int,
        Field(
            gt=0,
            description="The largest request body the server reads, in bytes (1 MiB by "
            "default): a larger one is answered 413 before any of it is parsed, whether it "
            "declares its Content-Length or arrives in chunks.",
        ),
    ] = 1024 * 1024

    @property
    def store(self) -> Literal["sqlite", "postgresql"]:
        return "postgresql" if self.db.startswith("postgres") else "sqlite"

    def store_env(self) -> dict[str, str]:
        """The `eventsourcing` library's environment for this database URL."""
        env = store_env(self.db)
        if self.store == "postgresql":
            env["POSTGRES_POOL_SIZE"] = str(self.pool_size)
            env["POSTGRES_MAX_OVERFLOW"] = str(self.max_overflow)
            env["POSTGRES_CONNECT_TIMEOUT"] = str(self.connect_timeout)
        return env


def store_env(url: str) -> dict[str, str]:
    """Map `sqlite:///path` or `postgresql://user:password@host:port/dbname` to library keys,
    `PERSISTENCE_MODULE` naming the ledger's recorders for that store."""
    return ledger_env(library_env(url))


def library_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise ConfigurationError(
                f"bad database URL {url!r}: "
                "use sqlite:///relative/path.db or sqlite:////absolute/path.db"
            )
        path = Path(unquote(parts.path[1:]))
        if not path.parent.is_dir() and str(path.parent) != "":
            raise ConfigurationError(
                f"bad database URL {url!r}: folder {path.parent} does not exist"
            )
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    if parts.scheme in ("postgresql", "postgres"):
        dbname = unquote(parts.path.lstrip("/"))
        if not parts.hostname or not dbname or "/" in dbname:
            raise ConfigurationError(
                f"bad database URL {url!r}: use postgresql://user:password@host:port/dbname"
            )
        try:
            port = parts.port or 5432
        except ValueError:
            raise ConfigurationError(
                f"bad database URL {url!r}: the port is not a number"
            ) from None
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(port),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": "public",
            "POSTGRES_CONNECT_TIMEOUT": "5",
            # Check a pooled connection before use: after a server restart or a dropped
            # connection, the next request gets a fresh one instead of an error.
            "POSTGRES_PRE_PING": "y",
            # A write's or a catch-up's transaction does the views' work between statements
            # (exactly once needs the rows and the tracking in one transaction): on a loaded
            # machine a large batch can pause longer than the library's 5 seconds, which would
            # end the session mid-batch. An abandoned transaction still ends, after a minute.
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "60",
        }
    raise ConfigurationError(
        f"bad database URL {url!r}: the scheme must be sqlite:// or postgresql://"
    )
