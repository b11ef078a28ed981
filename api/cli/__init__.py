"""`portfolio-ledger`: one entry point, one module per verb, all on the same ledger service."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from api.cli import audit, demo, follow, importing, rebuild, serve, tokens
from api.cli.common import fail
from domain.errors import LedgerError

VERBS = (serve, demo, importing, tokens, rebuild, audit, follow)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="portfolio-ledger",
        description="An event-sourced, tamper-evident ledger of a portfolio board's decisions.",
    )
    verbs = root.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module in VERBS:
        module.register(verbs)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
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
