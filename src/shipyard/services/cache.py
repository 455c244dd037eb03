"""A small time-bounded cache for credential lookups (one per process, shared by threads)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")

_MAX_ENTRIES = 10_000  # names never seen again (or sprayed by an attacker) must not pile up


class TimedCache(Generic[V]):
    """Remembers each looked-up value for ``seconds``: how stale an answer may be."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._entries: dict[str, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def peek(self, key: str) -> tuple[bool, V | None]:
        """(True, value) while ``key`` is fresh; (False, None) when it must be looked up."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def get(self, key: str, look_up: Callable[[str], V]) -> V:
        fresh, value = self.peek(key)
        if fresh:
            return value  # type: ignore[return-value]
        value = look_up(key)
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self._seconds, value)
        return value
