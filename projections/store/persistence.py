"""Which recorders the application gets: the ledger's own, named in the library's environment.

The application (`domain.application.PortfolioLedger`) knows no store: the library builds the
one `PERSISTENCE_MODULE` names. For SQLite and PostgreSQL that is the ledger's factory
(`projections.store.sqlite`, `projections.store.postgres`), whose recorders do a write's other
work in its own transaction and create their tables under the ledger's schema lock.
"""

from __future__ import annotations

from eventsourcing.utils import get_topic

from projections.store.postgres import PostgresLedgerFactory
from projections.store.sqlite import SQLiteLedgerFactory

FACTORY_TOPICS = {
    "eventsourcing.sqlite": get_topic(SQLiteLedgerFactory),
    "eventsourcing.postgres": get_topic(PostgresLedgerFactory),
}
LEDGER_FACTORIES = frozenset(FACTORY_TOPICS.values())


def ledger_env(env: dict[str, str]) -> dict[str, str]:
    """The library's environment naming the ledger's recorders for its store (an environment
    that names them already, or another store, as it is)."""
    topic = FACTORY_TOPICS.get(env.get("PERSISTENCE_MODULE", ""))
    return {**env, "PERSISTENCE_MODULE": topic} if topic else env


def records_within_writes(env: dict[str, str]) -> bool:
    """Whether the environment names one of the ledger's recorders."""
    return env.get("PERSISTENCE_MODULE", "") in LEDGER_FACTORIES
