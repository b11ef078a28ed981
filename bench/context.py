"""What every figure gets: the store, the sizes of this run, and generated logs to share."""

from __future__ import annotations

import importlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.generate import Built, generate
from bench.harness import NotBuilt
from bench.stores import Store
from domain.application import PortfolioLedger
from projections.service import LedgerService


def requires(module: str, *names: str) -> Any:
    """A part of the ledger a figure needs, or NotBuilt when it is not written yet."""
    try:
        found = importlib.import_module(module)
    except ImportError as error:
        if error.name and module.startswith(error.name.split(".")[0]) and (
                error.name == module or module.startswith(error.name)):
            raise NotBuilt(module) from None
        raise
    for name in names:
        if not hasattr(found, name):
            raise NotBuilt(f"{module}.{name}")
    return found


@dataclass
class Log:
    """A generated log in its own database, with the views caught up when asked."""

    url: str
    env: dict[str, str]
    built: Built
    caught_up: bool = False


@dataclass
class Context:
    """One store's share of a run."""

    store: Store
    quick: bool
    out: Path
    verbose: bool = True
    logs: dict[tuple[Any, ...], Log] = field(default_factory=dict)

    @property
    def repeats(self) -> int:
        return 3 if self.quick else 5

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def say(self, message: str) -> None:
        if self.verbose:
            print(f"  [{self.store.kind}] {message}", file=sys.stderr, flush=True)

    def log(self, events: int, *, caught_up: bool = False, **plan: Any) -> Log:
        """A shared, read-only generated log of `events` events (built once per run)."""
        key = (events, tuple(sorted(plan.items())))
        log = self.logs.get(key)
        if log is None:
            log = self.fresh_log(f"log{events}{len(self.logs)}", events, **plan)
            self.logs[key] = log
        if caught_up and not log.caught_up:
            started = time.perf_counter()
            service = LedgerService(log.env)
            try:
                service.catch_up()
            finally:
                service.close()
            log.caught_up = True
            seconds = time.perf_counter() - started
            self.say(f"views caught up on {events:,} events in {seconds:.1f}s")
        return log

    def fresh_log(self, tag: str, events: int, **plan: Any) -> Log:
        """A generated log of its own, for a figure that writes to it."""
        url = self.store.url(tag)
        env = self.store.env(url)
        started = time.perf_counter()
        ledger = PortfolioLedger(env)
        try:
            built = generate(ledger, events, **plan)
        finally:
            ledger.close()
        self.say(f"generated {built.events:,} events in {time.perf_counter() - started:.1f}s")
        return Log(url, env, built)

    def discard(self, log: Log) -> None:
        """Drop a big log's database once no figure needs it."""
        for key, known in list(self.logs.items()):
            if known is log:
                del self.logs[key]
        self.store.drop(log.url)
