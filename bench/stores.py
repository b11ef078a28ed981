"""Throwaway stores for one benchmark run: SQLite files in a temp dir, PostgreSQL databases
named pl_bench_<pid>_<tag>, all removed when the run ends."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import psycopg

from api.settings import store_env

POSTGRES_ADMIN = os.environ.get(
    "PORTFOLIO_LEDGER_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
STORES = ("sqlite", "postgresql")


class Store:
    """One kind of store; `url(tag)` gives a fresh, empty database for each tag."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._made: list[str] = []
        self._folder: Path | None = None

    def url(self, tag: str) -> str:
        if self.kind == "sqlite":
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="pl_bench_"))
            path = self._folder / f"{tag}.db"
            if path.exists():
                raise ValueError(f"the database {tag!r} exists already")
            self._made.append(tag)
            return f"sqlite:///{path}"
        name = f"pl_bench_{os.getpid()}_{tag}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        self._made.append(name)
        return f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{name}"

    def env(self, url: str) -> dict[str, str]:
        return store_env(url)

    def drop(self, url: str) -> None:
        """Remove one database early (the big ones), rather than at the end of the run."""
        if self.kind == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._made:
            self._made.remove(name)

    def close(self) -> None:
        if self.kind == "sqlite":
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
            return
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            for name in self._made:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._made.clear()


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be benchmarked here, or None."""
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as error:
        first = (str(error).strip().splitlines() or ["no answer"])[0]
        return f"PostgreSQL at {POSTGRES_ADMIN} is unreachable: {first}"
