"""What every verb shares: the database option, the acting principal, errors, progress."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from pydantic import ValidationError

from api import bootstrap
from api.settings import ConfigurationError, Settings
from projections.service import LedgerService


def add_db_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--db",
        metavar="URL",
        help="sqlite:///path or postgresql://user:password@host:port/dbname "
        "(default: $PORTFOLIO_LEDGER_DB, else sqlite:///portfolio-ledger.db)",
    )


def add_actor_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--actor", metavar="NAME", help="principal recorded for writes (default: cli:<login name>)"
    )


def settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {"db": args.db} if getattr(args, "db", None) else {}
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigurationError(setting_problem(error)) from None


def setting_problem(error: ValidationError) -> str:
    """A bad setting as one line: which variable, and what is wrong with it."""
    first = error.errors()[0]
    name = "PORTFOLIO_LEDGER_" + "_".join(str(part) for part in first["loc"]).upper()
    return f"bad setting {name}: {first['msg']}"


def open_ledger(args: argparse.Namespace) -> LedgerService:
    """The ledger service on the chosen store, with its views brought up to date."""
    return open_stores(args).service


def open_stores(args: argparse.Namespace, *, catch_up: bool = True) -> bootstrap.Ledger:
    """The ledger on the chosen store with the stores beside it (tokens, sessions)."""
    return bootstrap.open_ledger(settings(args), catch_up=catch_up)


def actor(args: argparse.Namespace) -> str:
    if getattr(args, "actor", None):
        return str(args.actor)
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = os.environ.get("USER", "unknown")
    return f"cli:{login}"


def fail(message: str, code: int = 1) -> int:
    """One line on stderr and a non-zero exit."""
    print(f"portfolio-ledger: error: {message}", file=sys.stderr)
    return code


class Progress:
    """A one-line progress counter on a terminal; silent when piped."""

    def __init__(self, label: str, stream: Any = sys.stderr) -> None:
        self.label = label
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int) -> None:
        if self.enabled:
            self.stream.write(f"\r{self.label}: {done:,}/{total:,}")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
