"""`project --follow`: keep the projections current for API processes sharing a database."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.common import add_db_option, open_ledger


def register(verbs: Any) -> None:
    command = verbs.add_parser("project", help="bring the projections up to date")
    command.add_argument("--follow", action="store_true", help="keep following new events")
    add_db_option(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    service = open_ledger(args)
    try:
        print(f"projections at position {service.catch_up()}")
    finally:
        service.close()
    return 0
