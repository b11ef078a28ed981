"""Peak resident memory of one operation, in a process of its own.

`python -m bench.rss rebuild|verify URL` prints one JSON line: the peak RSS (KiB) after
opening the ledger, the peak after the operation, how many events and how long it took.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from api.settings import store_env
from projections.service import LedgerService

STATUS = Path("/proc/self/status")


def peak_kib() -> int:
    """This process's peak RSS. On Linux, VmHWM: ru_maxrss would also count the parent's
    memory, since the child is forked from it before it execs Python afresh."""
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str]) -> int:
    operation, url = argv
    service = LedgerService(store_env(url))
    try:
        opened = peak_kib()
        events = service.head()
        started = time.perf_counter()
        if operation == "rebuild":
            service.rebuild()
        elif operation == "verify":
            from projections.audit.verify import verify

            found = verify(service.database)
            if not found.ok:
                raise SystemExit(f"verify found a mismatch: {found.first_mismatch}")
        else:
            raise SystemExit(f"unknown operation {operation!r}: rebuild or verify")
        seconds = time.perf_counter() - started
    finally:
        service.close()
    print(json.dumps({"operation": operation, "events": events, "opened_kib": opened,
                      "peak_kib": peak_kib(), "seconds": round(seconds, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
