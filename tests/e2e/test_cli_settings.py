"""A setting the command line cannot use is one line on stderr and exit 1, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_support import ENTRY


def test_a_bad_setting_is_named_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PORTFOLIO_LEDGER_MAX_BODY_BYTES": "lots"}
    done = subprocess.run([sys.executable, "-c", ENTRY, "tokens", "list"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "PORTFOLIO_LEDGER_MAX_BODY_BYTES" in lines[0]
    assert not (tmp_path / "portfolio-ledger.db").exists()
