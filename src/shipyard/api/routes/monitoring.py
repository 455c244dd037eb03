"""Monitoring runs of a served model: read them, or run one now."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from shipyard.api.deps import RuntimeDep
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.security import AdminCaller, ReadCaller
from shipyard.config import Duration
from shipyard.errors import ModelNotFound
from shipyard.schemas.monitoring import MonitoringPage, MonitoringReport
from shipyard.services.monitoring import monitor_model, recent_reports
from shipyard.services.runtime import Runtime

router = APIRouter(prefix="/v1/models", tags=["monitoring"])


def _served(runtime: Runtime, name: str) -> None:
    if name not in runtime.models.names:
        raise ModelNotFound(name)


@router.get("/{name}/monitoring", response_model=MonitoringPage, responses=ERROR_RESPONSES)
async def get_monitoring(
    name: str,
    runtime: RuntimeDep,
    _caller: ReadCaller,
    limit: Annotated[int, Query(ge=1, le=500, description="Most runs in the history.")] = 20,
) -> MonitoringPage:
    """The latest monitoring run of the model, and the runs before it (newest first)."""
    _served(runtime, name)
    reports = await asyncio.to_thread(recent_reports, runtime.database, name, limit)
    return MonitoringPage(latest=reports[0] if reports else None, history=reports)


@router.post(
    "/{name}/monitoring",
    response_model=MonitoringReport,
    status_code=201,
    responses=ERROR_RESPONSES,
)
async def run_monitoring(
    name: str,
    runtime: RuntimeDep,
    _caller: AdminCaller,
    window: Annotated[
        Duration | None,
        Query(description="How far back to read the log, e.g. 24h (default: the setting)."),
    ] = None,
) -> MonitoringReport:
    """Run monitoring of the served version now, over the window that ends now."""
    _served(runtime, name)
    served = runtime.models.get(name)
    settings = runtime.settings
    done = await asyncio.to_thread(
        monitor_model,
        runtime.database,
        runtime.registry,
        settings.serving,
        settings.reports_dir(),
        name,
        window=window or settings.monitoring.window,
        served=served,
        max_rows=settings.monitoring.max_rows,
    )
    await asyncio.to_thread(runtime.report_done, done.report)
    return done.report
