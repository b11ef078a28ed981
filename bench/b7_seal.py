"""B7: sealing (Merkle) and full verify, events per second, against SHA-256 over the same bytes."""

from __future__ import annotations

from bench.context import Context, requires
from bench.harness import NotBuilt, Result, Target, interleave, rate
from bench.raw import hash_bytes, notifications
from projections.service import LedgerService

FIGURE = "B7"
TARGET = Target(">=", 0.3)


def run(ctx: Context) -> list[Result]:
    seal = requires("projections.audit.seal", "Seal", "leaf_input")
    audit = requires("projections.audit.verify", "verify")
    events = ctx.size(100_000, 1_000)
    log = ctx.log(events, caught_up=True)
    service = LedgerService(log.env)
    try:
        if "seal" not in service.views():
            raise NotBuilt("the seal view in LedgerService")
        blobs = [seal.leaf_input(n.id, n.originator_id, n.originator_version, n.topic,
                                 bytes(n.state)) for n in notifications(service.app)]
        size = sum(len(blob) for blob in blobs) / len(blobs)

        def sealing() -> int:
            service.rebuild(["seal"])
            return len(blobs)

        def verifying() -> int:
            found = audit.verify(service.database)
            if not found.ok:
                raise AssertionError(f"verify found a mismatch: {found.first_mismatch}")
            return int(found.events_checked)

        def reading_and_hashing() -> int:
            return hash_bytes([seal.leaf_input(n.id, n.originator_id, n.originator_version,
                                               n.topic, bytes(n.state))
                               for n in notifications(service.app)])

        hashing = lambda: rate(lambda: hash_bytes(blobs))  # noqa: E731
        sealed = interleave(lambda: rate(sealing), hashing, ctx.repeats)
        verified = interleave(lambda: rate(verifying), hashing, ctx.repeats)
        floor = interleave(lambda: rate(verifying), lambda: rate(reading_and_hashing),
                           ctx.repeats)
    finally:
        service.close()
    note = f"{len(blobs):,} events, leaf input {size:,.0f} B on average"
    return [
        Result.measured(FIGURE, "seal events/s (rebuild of the seal view)", ctx.store.kind,
                        "ev/s", sealed, TARGET, note),
        Result.measured(FIGURE, "verify events/s", ctx.store.kind, "ev/s", verified, TARGET,
                        note),
        Result.measured(FIGURE, "verify vs reading the log + SHA-256", ctx.store.kind, "ev/s",
                        floor, None, "information: the floor of any verify reads the log"),
    ]
