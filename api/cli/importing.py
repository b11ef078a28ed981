"""`import`: portfolios, projects and reports from a CSV export (placeholder)."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.common import add_actor_option, add_db_option, fail


def register(verbs: Any) -> None:
    command = verbs.add_parser("import", help="import a CSV export through a mapping file")
    command.add_argument("file")
    command.add_argument("--mapping", required=True)
    command.add_argument("--on-error", choices=("skip", "stop"), default="stop")
    add_db_option(command)
    add_actor_option(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return fail("import: not yet", 2)
