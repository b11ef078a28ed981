"""`portfolios list`: the portfolios with their ids, names and budgets."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.common import add_db_option, open_ledger, table, verb
from projections.report import money


def register(verbs: Any) -> None:
    command = verb(verbs, "portfolios", "list the portfolios")
    actions = command.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = verb(actions, "list", "list every portfolio: its id, name and budget",
                   "List every portfolio, oldest first: its id and name (either names it to"
                   "\n--portfolio), its budget and how much of it is allocated and available.")
    add_db_option(listing)
    listing.set_defaults(run=run_list)


def run_list(args: argparse.Namespace) -> int:
    service = open_ledger(args)
    try:
        portfolios = list(service.every(service.portfolios))
    finally:
        service.close()
    if not portfolios:
        print("no portfolios yet")
        return 0
    rows = [(str(p.id), p.name, money(p.budget, p.currency), money(p.allocated, p.currency),
             money(p.available, p.currency)) for p in portfolios]
    for line in table(("ID", "NAME", "BUDGET", "ALLOCATED", "AVAILABLE"), rows, right=(2, 3, 4)):
        print(line)
    return 0
