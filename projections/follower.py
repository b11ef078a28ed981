"""The follower: keeps the projections current for every process that shares one database."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import TextIO

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
)

from domain.errors import StoreUnavailable
from projections.halts import Halt
from projections.service import LedgerService

INTERVAL = 0.2
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 10.0
LOST = (StoreUnavailable, OperationalError, InterfaceError)
# What opening a service raises when another process is creating the same tables at once.
RACED = (IntegrityError, InternalError)


class StopRequested(Exception):
    """Raised between two batches once the follower has been told to stop."""


class Follower:
    """Catches the views up with the log, then polls for new events, until told to stop.

    It polls every `interval` seconds (no LISTEN/NOTIFY: a poll is one indexed query). Each
    batch commits with its tracking position, so stopping or dying between batches loses
    nothing; other followers and API processes on the same database may project at the same
    time (the projector retries from where they got). When the store is lost it logs one line,
    backs off (doubling, capped) and opens a fresh ledger service, never giving up. A view
    halted at an event it cannot apply is logged in one line (and again once it goes on); the
    other views keep moving, and the follower exits 1 if a view is still halted when it stops.
    """

    def __init__(
        self,
        open_service: Callable[[], LedgerService],
        stop: threading.Event,
        *,
        interval: float = INTERVAL,
        first_backoff: float = FIRST_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        out: TextIO = sys.stdout,
        err: TextIO = sys.stderr,
    ) -> None:
        self.open_service = open_service
        self.stop = stop
        self.interval = interval
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.out = out
        self.err = err
        self.position = 0
        self.halted: dict[str, Halt] = {}  # as last told
        self._service: LedgerService | None = None

    def run(self) -> int:
        """Follow the log until stopped; returns the exit status: 1 if a view is halted."""
        backoff = self.first_backoff
        started = False
        while not self.stop.is_set():
            try:
                service = self._connected()
                if not started:
                    self.position = min(service.positions().values(), default=0)
                    self._say(f"following {service.store} from position {self.position}")
                    started = True
                self.position = service.catch_up(self._between_batches)
                self._tell_halts(service.halted())
            except StopRequested:
                break
            except LOST as error:
                self._disconnect()
                detail = str(error).splitlines()[0] if str(error) else type(error).__name__
                self._complain(f"store unavailable ({detail}); retrying in {backoff:g} s")
                self.stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = self.first_backoff
            self.stop.wait(self.interval)
        self._disconnect()
        self._say(f"stopped at position {self.position}")
        return 1 if self.halted else 0

    def _connected(self) -> LedgerService:
        if self._service is None:
            try:
                self._service = self.open_service()
            except RACED as error:
                detail = f"another process is setting up the store: {error}"
                raise StoreUnavailable(detail) from None
        return self._service

    def _disconnect(self) -> None:
        service, self._service = self._service, None
        if service is not None:
            with suppress(*LOST):
                service.close()

    def _tell_halts(self, halted: list[Halt]) -> None:
        """One line for each view that halted, or halted elsewhere, and for each that resumed."""
        now = {halt.projection: halt for halt in halted}
        for name, halt in now.items():
            if not halt.same_as(self.halted.get(name)):
                self._complain(f"{halt.line}; the other projections go on")
        for name, halt in self.halted.items():
            if name not in now:
                self._say(f"projection {name} applied position {halt.position} and goes on")
        self.halted = now

    def _between_batches(self, done: int, total: int) -> None:
        self.position = done
        if self.stop.is_set():
            raise StopRequested

    def _say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def _complain(self, line: str) -> None:
        print(f"portfolio-ledger: {line}", file=self.err, flush=True)
