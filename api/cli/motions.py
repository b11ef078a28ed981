"""`motions list|vote`: the motions before the board, and a board member's vote on one."""

from __future__ import annotations

import argparse
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
from projections.models import MotionRecord
from projections.report import money

STATUSES = ("open", "carried", "rejected", "withdrawn", "lapsed", "expired")
ROLE = "board"  # a vote from the command line is a board member's


def register(verbs: Any) -> None:
    command = verb(verbs, "motions", "list the motions before the board, or vote on one")
    actions = command.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = verb(actions, "list", "list motions: what each would decide, and its votes",
                   "List motions, oldest first: each one's id, portfolio, kind and terms,"
                   "\nwho proposed it, where it stands and its approvals out of those"
                   " required.")
    add_portfolio_option(listing, "only this portfolio's motions")
    listing.add_argument("--status", choices=STATUSES, help="only motions in this status")
    add_db_option(listing)
    listing.set_defaults(run=run_list)

    voting = verb(actions, "vote", "approve or reject a motion, as a board member",
                  "Vote on a motion as the board member --actor names (recorded with the"
                  "\nrole board). The proposer cannot vote on their own motion, nobody votes"
                  "\ntwice; the approval that reaches the bar records the decision.")
    voting.add_argument("motion_id", metavar="MOTION_ID", help="the motion's id (motions list)")
    choice = voting.add_mutually_exclusive_group(required=True)
    choice.add_argument("--approve", action="store_const", const="approve", dest="vote",
                        help="approve the motion")
    choice.add_argument("--reject", action="store_const", const="reject", dest="vote",
                        help="reject it (one rejection closes it)")
    voting.add_argument("--comment", metavar="TEXT", help="what the vote is given with")
    add_actor_option(voting)
    add_db_option(voting)
    voting.set_defaults(run=run_vote)


def terms(motion: MotionRecord, currency: str) -> str:
    if motion.budget is not None:
        return f"budget {money(motion.budget, currency)}"
    if motion.policy is not None:
        return (f"{motion.policy.approvals_required} approvals,"
                f" {motion.policy.motion_days} days")
    amount = f" {money(motion.amount, currency)}" if motion.amount is not None else ""
    return f"project {motion.project_id}{amount}"


def run_list(args: argparse.Namespace) -> int:
    service = open_ledger(args)
    try:
        chosen = portfolio_id(service, args.portfolio) if args.portfolio else None
        portfolios = {p.id: p for p in service.every(service.portfolios)}
        motions = list(service.every(service.motions, portfolio_id=chosen, status=args.status))
    finally:
        service.close()
    if not motions:
        print("no motions" + (f" {args.status}" if args.status else ""))
        return 0
    rows = []
    for m in motions:
        portfolio = portfolios.get(m.portfolio_id)
        currency = portfolio.currency if portfolio else ""
        rows.append((str(m.id), portfolio.name if portfolio else str(m.portfolio_id), m.kind,
                     terms(m, currency), m.proposed_by, m.status,
                     f"{len(m.approvals)}/{m.required}", str(len(m.rejections))))
    headers = ("ID", "PORTFOLIO", "KIND", "TERMS", "PROPOSED BY", "STATUS", "APPROVALS",
               "REJECTIONS")
    for line in table(headers, rows, right=(6, 7)):
        print(line)
    return 0


def run_vote(args: argparse.Namespace) -> int:
    try:
        motion_id = UUID(args.motion_id)
    except ValueError:
        raise CannotRun(f"{args.motion_id!r} is not a motion id (motions list shows them)")\
            from None
    service = open_ledger(args)
    try:
        motion = service.vote(motion_id, args.vote, actor=actor(args), role=ROLE,
                              comment=args.comment)
    finally:
        service.close()
    carried = f"; carried as decision {motion.decision_id}" if motion.decision_id else ""
    print(f"{args.vote}d motion {motion.id}: {motion.status},"
          f" {len(motion.approvals)}/{motion.required} approvals{carried}")
    return 0
