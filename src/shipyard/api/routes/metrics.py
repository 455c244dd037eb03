"""``GET /metrics``: Prometheus text format.

Counters and histograms are kept as events happen; levels are read at scrape time (see
:mod:`shipyard.telemetry.metrics` and :mod:`shipyard.services.levels`, and
docs/monitoring.md for every series). Values are this process's (one worker of
``--workers N``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shipyard.api.security import authorize
from shipyard.domain.auth import Scope
from shipyard.services.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
async def get_metrics(request: Request) -> Response:
    """Prometheus metrics of this process. Admin only, unless ``auth.public_metrics``."""
    runtime: Runtime = request.app.state.runtime
    if not runtime.settings.auth.public_metrics:
        await authorize(request, Scope.ADMIN)
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
