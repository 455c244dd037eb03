"""shipyard with the prediction log switched off, to measure what the log costs.

Not a product setting on purpose: a server that answers without logging breaks shipyard's
promise, so only the benchmark builds one.

    uvicorn bench.app_without_log:create --factory --port 8002
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Future

from fastapi import FastAPI

from shipyard.api.app import create_app
from shipyard.config import load_settings
from shipyard.db.writer import PredictionLogWriter
from shipyard.domain.prediction import IdempotentRequest, PredictionEntry
from shipyard.services.runtime import build_runtime


class DiscardingWriter(PredictionLogWriter):
    """Acknowledges rows at once and writes nothing."""

    def submit(
        self, entries: Sequence[PredictionEntry], claim: IdempotentRequest | None = None
    ) -> Future[bool]:
        done: Future[bool] = Future()
        done.set_result(True)
        return done

    def submit_from_loop(
        self, entries: Sequence[PredictionEntry], claim: IdempotentRequest | None = None
    ) -> asyncio.Future[bool]:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        done.set_result(True)
        return done


def create() -> FastAPI:
    settings = load_settings()
    runtime = build_runtime(settings)
    runtime.writer = DiscardingWriter(runtime.database, max_batch_rows=1, max_pending_rows=1)
    return create_app(settings, runtime=runtime)
