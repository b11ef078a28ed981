"""Bulk writes (an import, the demo): commands applied in groups, each all or nothing, by the
same steps as the single commands, and recorded in chunks, each one atomic write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import deepcopy
from typing import Any, cast
from uuid import UUID

from domain.commands import Command
from domain.errors import CommandRefused, GovernanceError
from domain.motion import Motion
from domain.portfolio import Portfolio
from domain.project import Project
from domain.work import NEW, Held, Work

SaveAll = Callable[[list[Held]], int]  # one atomic write of their pending events; how many


class Batch:
    """Commands applied to the aggregates in hand, and written when asked (or once
    `write_every` events are pending): each write records everything applied since the last,
    in the order it happened, in one atomic write.

    An `apply` is all or nothing: when a command is refused (CommandRefused names it), the
    batch stands as it did before the group. Between writes it keeps every portfolio and the
    last `hold_projects` projects it took in hand; a project let go is read again when a
    command names it. A dry run checks every command as a real batch would, and records
    nothing.
    """

    def __init__(
        self,
        work: Work,
        save_all: SaveAll,
        *,
        write_every: int | None = None,
        hold_projects: int = 0,
        dry_run: bool = False,
    ) -> None:
        self.work = work
        self._save_all = save_all
        self.write_every = write_every
        self.hold_projects = hold_projects
        self.dry_run = dry_run
        self.pending = 0  # events applied since the last write
        self.events = 0  # events recorded (on a dry run: checked, then let go)
        # A dry run's aggregates as its last write left them: nothing recorded says so.
        self._bases: dict[UUID, Held] = {}

    def apply(self, commands: Sequence[Command]) -> None:
        """Apply the commands in order, all or none; write if `write_every` events are pending."""
        self._run(commands, keep=True)
        if self.write_every is not None and self.pending >= self.write_every:
            self.write()

    def check(self, commands: Sequence[Command]) -> None:
        """Refuse the commands (CommandRefused) if applying them now would; keep nothing."""
        self._run(commands, keep=False)

    def write(self) -> None:
        """Record what was applied since the last write, in one atomic write."""
        held = self.work.held
        changed = [aggregate for aggregate in held.values() if aggregate.pending_events]
        if changed and self.dry_run:
            for aggregate in changed:
                aggregate.collect_events()
            self.events += self.pending
        elif changed:
            self.events += self._save_all(changed)
        self.pending = 0
        self._let_go_of_projects({aggregate.id for aggregate in changed})
        if self.dry_run:
            for aggregate in changed:
                if aggregate.id in held:
                    self._bases[aggregate.id] = deepcopy(aggregate)

    def _run(self, commands: Sequence[Command], *, keep: bool) -> None:
        work = self.work
        touches: dict[UUID, int] = {}
        work.touches = touches
        kept = False
        try:
            for index, command in enumerate(commands):
                try:
                    work.apply(command)
                except GovernanceError as error:
                    raise CommandRefused(index, error) from error
            if keep:
                self.pending += sum(
                    len(work.held[ident].pending_events) - max(before, 0)
                    for ident, before in touches.items()
                    if ident in work.held
                )
                kept = True
        finally:
            work.touches = None
            if not kept:
                self._undo(touches)

    def _undo(self, touches: dict[UUID, int]) -> None:
        """Put every aggregate the group touched back as it stood before the group."""
        work = self.work
        for ident, before in touches.items():
            aggregate = work.held.get(ident)
            if aggregate is None:
                continue
            if before == NEW:
                work.unmake(ident)
            elif len(aggregate.pending_events) != before:
                work.held[ident] = self._rebuilt(aggregate, before)

    def _rebuilt(self, aggregate: Held, pending: int) -> Held:
        """The aggregate as the last write left it, with its first `pending` events since
        applied again: the events of the groups before this one."""
        events = aggregate.pending_events[:pending]
        recorded = aggregate.version - len(aggregate.pending_events)
        if aggregate.id in self._bases:
            rebuilt: Any = deepcopy(self._bases[aggregate.id])
        elif recorded == 0:
            rebuilt = None  # nothing of it is recorded: its first event creates it
        elif isinstance(aggregate, Portfolio):
            rebuilt = self.work.load(Portfolio, aggregate.id, recorded)
        elif isinstance(aggregate, Motion):
            rebuilt = self.work.load(Motion, aggregate.id, recorded)
        else:
            rebuilt = self.work.load(Project, aggregate.id, recorded)
        for event in events:
            rebuilt = event.mutate(rebuilt)
        rebuilt.pending_events.extend(events)
        return cast(Held, rebuilt)

    def _let_go_of_projects(self, changed: set[UUID]) -> None:
        """Keep the portfolios and the last `hold_projects` projects taken in hand."""
        held = self.work.held
        projects = [ident for ident, aggregate in held.items() if isinstance(aggregate, Project)]
        for ident in projects[: max(0, len(projects) - self.hold_projects)]:
            if self.dry_run and (ident in changed or ident in self._bases):
                self.work.forgotten.add(ident)
            self._bases.pop(ident, None)
            self.work.let_go(ident)

