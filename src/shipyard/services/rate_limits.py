"""Per-credential rate limits with the ``limits`` library (moving windows).

A moving window counts exactly: "5/minute" never lets a 6th request through within any 60 s.
The cheaper sliding-window counter only approximates that: just after a window boundary it
weighs the previous window's count down and lets a 4th request of "3/minute" through (a test
caught it).

Counts live in memory (each process alone) or in Redis (shared by every worker and replica).
When Redis cannot be reached the limiter follows ``on_storage_down``: ``allow`` serves
without counting (a dependency of the limiter must not take the predictions down with it),
``deny`` refuses with 503. Either way the failure is logged and shown in ``/health``.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Literal

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from shipyard.config import RateLimitSettings
from shipyard.errors import RateLimited, RateLimitStorageUnavailable

logger = logging.getLogger(__name__)

_RECENT_SECONDS = 30.0  # a storage failure this recent makes /health say "unreachable"


def _async_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


class RateLimiter:
    """Counts requests per identity against one rate (``None``: no limit)."""

    def __init__(
        self, rate: str | None, settings: RateLimitSettings, *, always_deny_when_down: bool = False
    ) -> None:
        self._rate = rate
        self._item = parse(rate) if rate else None
        storage = storage_from_string(_async_uri(settings.storage_uri), wrap_exceptions=True)
        self._limiter = MovingWindowRateLimiter(storage)
        self._deny_when_down = always_deny_when_down or settings.on_storage_down == "deny"
        self._last_failure = -math.inf
        self.storage_failures = 0

    @property
    def state(self) -> Literal["off", "ok", "unreachable"]:
        """``off``, ``ok`` or ``unreachable`` (the store failed in the last 30 s)."""
        if self._item is None:
            return "off"
        recent = time.monotonic() - self._last_failure < _RECENT_SECONDS
        return "unreachable" if recent else "ok"

    async def check(self, identity: str) -> None:
        """Count one request of ``identity``; raise :class:`RateLimited` past the limit."""
        if await self._counted(identity):
            return
        raise RateLimited(str(self._rate), await self._retry_after(identity))

    async def forget(self, identity: str) -> None:
        """Start ``identity``'s count afresh (a login that succeeded)."""
        if self._item is None:
            return
        try:
            await self._limiter.clear(self._item, identity)
        except StorageError as failure:
            self._storage_failed(failure)

    async def _counted(self, identity: str) -> bool:
        """True when ``identity`` is within its limit (or no limit applies)."""
        if self._item is None:
            return True
        try:
            return await self._limiter.hit(self._item, identity)
        except StorageError as failure:
            self._storage_failed(failure)
            if self._deny_when_down:
                raise RateLimitStorageUnavailable() from failure
            return True

    async def _retry_after(self, identity: str) -> int:
        assert self._item is not None
        try:
            stats = await self._limiter.get_window_stats(self._item, identity)
        except StorageError:
            return 1
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _storage_failed(self, failure: StorageError) -> None:
        self.storage_failures += 1
        now = time.monotonic()
        if now - self._last_failure >= _RECENT_SECONDS:  # once per outage, not per request
            logger.error(
                "rate-limit store unreachable (%s); %s",
                failure.storage_error,
                "refusing requests" if self._deny_when_down else "serving without limits",
            )
        self._last_failure = now
