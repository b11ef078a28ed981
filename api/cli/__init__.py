"""`portfolio-ledger`: one entry point, one module per verb, all on the same ledger service."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from api.cli import (
    audit,
    demo,
    follow,
    importing,
    motions,
    portfolios,
    rebuild,
    scenario,
    serve,
    tokens,
)
from api.cli.common import PRODUCT, UNUSABLE, CannotRun, HelpFormatter, fail, product_version
from domain.errors import LedgerError

VERBS = (serve, demo, importing, portfolios, motions, scenario, tokens, rebuild, audit, follow)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog=PRODUCT, formatter_class=HelpFormatter,
        description="An event-sourced, tamper-evident ledger of a portfolio board's decisions.",
        epilog=f"'{PRODUCT} VERB --help' tells what a verb does and takes.",
    )
    root.add_argument("--version", action="version", version=f"{PRODUCT} {product_version()}",
                      help="print the version and exit")
    verbs = root.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module in VERBS:
        module.register(verbs)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CannotRun as error:
        return fail(str(error), UNUSABLE)
    except LedgerError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
