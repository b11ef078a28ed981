"""`scenario`: the exact best selection of a portfolio's candidates under a budget, recorded as
the board's scenario, and what it would change against the plan of record."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from api.cli.common import (
    CannotRun,
    actor,
    add_actor_option,
    add_db_option,
    add_portfolio_option,
    open_ledger,
    portfolio_id,
    table,
    verb,
)
from projections.report import money


def register(verbs: Any) -> None:
    command = verb(
        verbs, "scenario", "record the best selection of a portfolio's projects for a budget",
        "Solve exactly (a 0-1 integer programme, HiGHS) which of the portfolio's candidates"
        " (projects neither discontinued nor completed) give the most total score, or benefit,"
        " within the budget, and record it as a scenario a decision may cite. Prints the"
        " selection and what it changes: the proposals to start, the active or paused projects"
        " to stop, the rest to keep.",
    )
    add_portfolio_option(command, "the portfolio")
    command.add_argument("--budget", metavar="AMOUNT",
                         help="the budget to select within (default: the portfolio's envelope)")
    command.add_argument("--maximize", choices=("score", "benefit"), default="score",
                         help="what the selection maximises (default: score)")
    command.add_argument("--name", metavar="TEXT",
                         help="the scenario's name (default: 'Best for BUDGET')")
    add_actor_option(command)
    add_db_option(command)
    command.set_defaults(run=run)


def amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise CannotRun(f"--budget {text!r} is not an amount") from None


def run(args: argparse.Namespace) -> int:
    if not args.portfolio:
        raise CannotRun("--portfolio is required: a portfolio's name or id")
    service = open_ledger(args)
    try:
        chosen = portfolio_id(service, args.portfolio)
        portfolio = service.portfolio(chosen)
        budget = amount(args.budget)
        name = args.name or f"Best for {money(budget or portfolio.budget, portfolio.currency)}"
        made = service.record_scenario(chosen, actor=actor(args), name=name,
                                       maximize=args.maximize, budget=budget)
        ranking = {item.project_id: item for item in service.ranking(chosen).items}
    finally:
        service.close()
    currency = portfolio.currency

    def label(ident: UUID) -> str:
        item = ranking.get(ident)
        return (item.code or item.name) if item else str(ident)

    print(f"scenario {made.id}: {made.name}")
    print(f"maximising {args.maximize} within {money(made.inputs['budget'], currency)}:"
          f" {made.status}, by {made.solver}")
    print(f"selected {len(made.selected)} projects costing {money(made.total_cost, currency)},"
          f" total {args.maximize} {made.total_value}")
    rows = [(label(ident), ranking[ident].name if ident in ranking else "",
             money(ranking[ident].cost, currency) if ident in ranking else "",
             str(ranking[ident].score or "") if ident in ranking else "")
            for ident in made.selected]
    if rows:
        for line in table(("CODE", "NAME", "COST", "SCORE"), rows, right=(2, 3)):
            print(line)
    for what in ("start", "stop", "keep"):
        ids = getattr(made.changes, what)
        print(f"{what}: {', '.join(label(i) for i in ids) if ids else 'none'}")
    return 0
