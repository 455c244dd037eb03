"""Traffic of a served model over time: requests, errors, latency and predicted labels."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from shipyard.api.deps import RuntimeDep
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.security import ReadCaller
from shipyard.config import Duration
from shipyard.errors import InvalidInput, ModelNotFound
from shipyard.schemas.traffic import TrafficRead
from shipyard.services.traffic import flush_request_counts, model_traffic

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/models", tags=["monitoring"])
LONGEST_WINDOW = timedelta(days=90)


@router.get("/{name}/traffic", response_model=TrafficRead, responses=ERROR_RESPONSES)
async def get_traffic(
    name: str,
    runtime: RuntimeDep,
    _caller: ReadCaller,
    window: Annotated[
        Duration, Query(description="How far back, e.g. 1h, 24h, 7d (at most 90d).")
    ] = timedelta(hours=24),
    buckets: Annotated[int, Query(ge=1, le=500, description="Points on the time axis.")] = 48,
) -> TrafficRead:
    """Requests, 4xx, 5xx, latency percentiles and predicted labels per time bucket, summed
    over every worker and replica (each stores its counts every few seconds)."""
    if name not in runtime.models.names:
        raise ModelNotFound(name)
    if window <= timedelta(0) or window > LONGEST_WINDOW:
        raise InvalidInput(f"window must be between 1m and 90d, not {window}")
    # This process's latest counts first, so an answer includes the requests just made here.
    try:
        await asyncio.to_thread(flush_request_counts, runtime.database, runtime.requests)
    except Exception:  # kept for the next flush; the stored counts still answer (or fail)
        logger.warning("request counts not stored before answering traffic", exc_info=True)
    return await asyncio.to_thread(model_traffic, runtime.database, name, window, buckets)
