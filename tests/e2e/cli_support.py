"""The command line as a user runs it: the real entry point in a child process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ENTRY = "import sys; from api.cli import main; sys.exit(main())"
# A mapping for a CSV of Portfolio, Code, Name and Budget columns.
MAPPING = """
[columns]
portfolio = "Portfolio"
code = "Code"
name = "Name"
requested_budget = "Budget"
"""


def ledger(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`portfolio-ledger ARGS...` in the folder `cwd`, its exit code and output captured."""
    return subprocess.run([sys.executable, "-c", ENTRY, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)
