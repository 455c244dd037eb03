"""SIGTERM drains before it stops.

A platform that stops a replica (Kubernetes, Render, a rolling deploy) sends SIGTERM and
keeps routing requests to it for a few seconds until it sees readiness fail. So on SIGTERM
shipyard first answers ``/readyz`` with 503 while still serving predictions, waits
``drain_seconds``, and only then lets uvicorn's graceful shutdown run: stop accepting
connections, finish the requests in flight, then the lifespan commits what the log writer
holds. A second SIGTERM, or SIGINT (Ctrl+C), stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from shipyard.services.runtime import Runtime

logger = logging.getLogger(__name__)


@contextmanager
def drain_on_sigterm(runtime: Runtime, seconds: float) -> Iterator[None]:
    """Wrap the server's SIGTERM handler (uvicorn's) with a readiness-first drain."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield  # signals belong to the main thread (not there under a test client)
        return
    loop = asyncio.get_running_loop()
    previous: Any = signal.getsignal(signal.SIGTERM)

    def stop_now(sig: int, frame: FrameType | None) -> None:
        if callable(previous):
            previous(sig, frame)

    def on_sigterm(sig: int, frame: FrameType | None) -> None:
        if runtime.draining:
            stop_now(sig, frame)
            return
        runtime.begin_drain()
        logger.info("SIGTERM: not ready any more; stopping in %g s", seconds)
        loop.call_soon_threadsafe(loop.call_later, seconds, stop_now, sig, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
