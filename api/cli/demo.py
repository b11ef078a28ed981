"""`demo`: a deterministic demo ledger (placeholder until the demo lands)."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.common import add_db_option, fail


def register(verbs: Any) -> None:
    command = verbs.add_parser("demo", help="build a realistic demo ledger and print tokens")
    command.add_argument("--serve", action="store_true", help="then serve it")
    add_db_option(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return fail("demo: not yet", 2)
