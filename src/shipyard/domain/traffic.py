"""Scoring requests counted per minute, model, status and latency bound, in memory until the
server adds them to SQL (``request_counts``). Unlike ``/metrics``, which is each process's
own, the SQL counts add up every worker and replica, so the dashboard can chart requests,
errors and latency over time for the whole service."""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

REQUEST_SECONDS_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0,
)  # fmt: skip
"""Latency bounds (seconds) of requests, in ``/metrics`` and in ``request_counts``."""
SLOWEST_BOUND = 3600.0
"""The bound of requests slower than the last histogram bucket ("an hour or less")."""
LATENCY_BOUNDS = (*REQUEST_SECONDS_BUCKETS, SLOWEST_BOUND)


@dataclass(frozen=True)
class RequestCount:
    """Requests of one minute, model and status whose duration was at most ``le_seconds``
    (and above the bound before it)."""

    minute: datetime
    model: str
    status: int
    le_seconds: float
    count: int


def latency_bound(seconds: float) -> float:
    """The smallest bound at or above ``seconds``."""
    index = bisect.bisect_left(LATENCY_BOUNDS, seconds)
    return LATENCY_BOUNDS[min(index, len(LATENCY_BOUNDS) - 1)]


class RequestTally:
    """Thread-safe counts, taken out whole by the flush and given back if it failed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[datetime, str, int, float]] = Counter()

    def add(self, model: str, status: int, seconds: float, *, now: datetime | None = None) -> None:
        minute = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        key = (minute, model, status, latency_bound(seconds))
        with self._lock:
            self._counts[key] += 1

    def take(self) -> list[RequestCount]:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return [RequestCount(*key, count) for key, count in counts.items()]

    def give_back(self, counts: list[RequestCount]) -> None:
        """Counts a flush could not store: kept for the next one."""
        with self._lock:
            for c in counts:
                self._counts[(c.minute, c.model, c.status, c.le_seconds)] += c.count
