"""``GET /metrics``: Prometheus text format, read from the process's state at scrape time.

For now the prediction log writer and its spool; the Observability work adds the request,
model and monitoring series. Values are this process's (one worker of ``--workers N``).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shipyard.api.security import authorize
from shipyard.domain.auth import Scope
from shipyard.services.runtime import Runtime

router = APIRouter(tags=["health"])


class LogWriterCollector(Collector):
    def __init__(self, app_state: object) -> None:
        self._state = app_state

    def collect(self) -> Iterator[Metric]:
        runtime: Runtime | None = getattr(self._state, "runtime", None)
        if runtime is None:
            return
        writer = runtime.writer
        yield CounterMetricFamily(
            "shipyard_prediction_log_committed_rows",
            "Rows committed to the prediction log by this process.",
            value=writer.stats.committed_rows,
        )
        yield GaugeMetricFamily(
            "shipyard_prediction_log_pending_rows",
            "Rows waiting for the log writer's next commit.",
            value=writer.pending_rows,
        )
        if writer.spool is None:
            return
        spool = writer.spool.status()
        yield GaugeMetricFamily(
            "shipyard_prediction_log_spool_backlog_rows",
            "Acknowledged rows in the spool journal, waiting for the database.",
            value=spool.backlog_rows,
        )
        yield GaugeMetricFamily(
            "shipyard_prediction_log_spool_bytes",
            "Size of the spool journal.",
            value=spool.size_bytes,
        )
        yield CounterMetricFamily(
            "shipyard_prediction_log_spooled_rows",
            "Rows journaled because the database could not take them.",
            value=spool.spooled_rows,
        )
        yield CounterMetricFamily(
            "shipyard_prediction_log_replayed_rows",
            "Rows replayed from the spool journal into the database.",
            value=spool.replayed_rows,
        )


def metrics_registry(app_state: object) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LogWriterCollector(app_state))
    return registry


@router.get("/metrics", response_class=Response)
async def get_metrics(request: Request) -> Response:
    """Prometheus metrics of this process. Admin only, unless ``auth.public_metrics``."""
    runtime: Runtime = request.app.state.runtime
    if not runtime.settings.auth.public_metrics:
        await authorize(request, Scope.ADMIN)
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
