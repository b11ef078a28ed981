"""`python -m bench.report [results.json]`: a results file as the Markdown table of RESULTS.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.harness import Result, markdown

DEFAULT = Path(__file__).resolve().parent / "out" / "results.json"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    document = json.loads(path.read_text())
    results = []
    for row in document["results"]:
        spread = row.pop("spread")
        results.append(Result(**row, spread=tuple(spread) if spread else None))
    results.sort(key=lambda r: (r.figure, r.store == "postgresql"))
    print(markdown(results))
    print(f"\n{document['mode']} run, {document['seconds']:.0f}s, finished {document['finished']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
