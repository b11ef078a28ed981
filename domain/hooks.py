"""What the application asks of its store, as plain types: the store's modules provide it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

WithinWrite = Callable[[Any], None]  # called with the write's cursor, after its events
# Opened around each write: yields the hook for it (or None), and learns how the write ended.
EachWrite = Callable[[], AbstractContextManager[WithinWrite | None]]
