"""What every verb shares: the database option, the acting principal, errors, progress."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import textwrap
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from api import bootstrap
from api.settings import ConfigurationError, Settings
from domain.errors import LedgerError
from projections.service import LedgerService

PRODUCT = "portfolio-ledger"
UNUSABLE = 2  # the exit code of a command that could not run as asked


class CannotRun(LedgerError):
    """The command cannot run as asked (an unknown name, a file it will not overwrite):
    one line on stderr and exit 2."""


def product_version() -> str:
    try:
        return version(PRODUCT)
    except PackageNotFoundError:
        return "unknown"


class HelpFormatter(argparse.HelpFormatter):
    """Help wrapped at spaces only (never inside a URL or a hyphenated file name), and a
    description's paragraphs (split by blank lines) kept apart."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join(
            textwrap.fill(" ".join(paragraph.split()), width, initial_indent=indent,
                          subsequent_indent=indent, break_on_hyphens=False)
            for paragraph in text.split("\n\n")
        )


def verb(verbs: Any, name: str, summary: str, description: str | None = None,
         ) -> argparse.ArgumentParser:
    """A verb (or an action of one) with its one-line summary, shown in its parent's list,
    and the paragraph its own --help opens with."""
    command: argparse.ArgumentParser = verbs.add_parser(
        name, help=summary, description=description or summary[0].upper() + summary[1:] + ".",
        formatter_class=HelpFormatter,
    )
    return command


def add_db_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--db",
        metavar="URL",
        help="the ledger's database: sqlite:///PATH or "
        "postgresql://USER:PASSWORD@HOST:PORT/DBNAME (default: $PORTFOLIO_LEDGER_DB, "
        "else sqlite:///portfolio-ledger.db)",
    )


def add_actor_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--actor", metavar="NAME",
        help="the principal recorded for the writes (default: cli:<login name>)"
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


def add_portfolio_option(command: argparse.ArgumentParser, summary: str) -> None:
    command.add_argument("--portfolio", metavar="NAME|ID",
                         help=f"{summary}: its name or its id (portfolios list shows both)")


def portfolio_id(service: LedgerService, chosen: str) -> UUID:
    """The portfolio a --portfolio option names, by id or by name (exactly, else ignoring
    case); an unknown or ambiguous one cannot be used."""
    portfolios = list(service.every(service.portfolios))
    try:
        wanted = UUID(chosen)
    except ValueError:
        pass
    else:
        if any(portfolio.id == wanted for portfolio in portfolios):
            return wanted
        raise CannotRun(f"no portfolio with id {chosen} (portfolios list shows them)")
    named = [p for p in portfolios if p.name == chosen] or [
        p for p in portfolios if p.name.casefold() == chosen.casefold()]
    if not named:
        raise CannotRun(f"no portfolio named {chosen!r} (portfolios list shows them)")
    if len(named) > 1:
        raise CannotRun(f"{len(named)} portfolios are named {chosen!r}: give its id instead"
                        " (portfolios list shows them)")
    return named[0].id


def refuse_to_overwrite(target: str | Path, force: bool) -> None:
    """A file is never overwritten without --force."""
    if not force and str(target) != "-" and Path(target).exists():
        raise CannotRun(f"{target} exists: choose another file, or --force to overwrite it")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]],
          right: Sequence[int] = ()) -> list[str]:
    """Columns aligned under a header; the columns numbered in `right` aligned right."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows,
                                                                        strict=False)]

    def line(cells: Sequence[str]) -> str:
        padded = [str(cell).rjust(width) if number in right else str(cell).ljust(width)
                  for number, (cell, width) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(padded).rstrip()

    return [line(headers), *(line(row) for row in rows)]


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
    print(f"{PRODUCT}: error: {message}", file=sys.stderr)
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
