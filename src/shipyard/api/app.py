"""The app factory. ``create_app()`` builds nothing at import time; the lifespan starts the
runtime (log writer, models) and stops it after the last request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from shipyard import __version__
from shipyard.api.draining import drain_on_sigterm
from shipyard.api.errors import install_error_handlers
from shipyard.api.middleware import (
    BodySizeLimitMiddleware,
    RejectNulMiddleware,
    SecurityHeadersMiddleware,
)
from shipyard.api.observing import RequestObserver
from shipyard.api.openapi import build_openapi
from shipyard.api.routes import (
    access,
    auth,
    health,
    lifecycle,
    metrics,
    models,
    monitoring,
    open_inference,
    predict,
    predictions,
    traffic,
)
from shipyard.config import Settings, load_settings
from shipyard.services.alerting import Alerts, check_periodically
from shipyard.services.hot_swap import VersionWatcher, follow_registry
from shipyard.services.monitoring_schedule import monitor_periodically
from shipyard.services.retention import prune_periodically
from shipyard.services.retrain_schedule import RetrainPolicy
from shipyard.services.runtime import Runtime, build_runtime
from shipyard.services.traffic import flush_periodically
from shipyard.telemetry.logs import configure_logging
from shipyard.telemetry.notifications import Notifier

CORS_HEADERS = ["Content-Type", "X-API-Key", "Authorization", "Idempotency-Key", "X-Request-ID"]


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the API for ``settings`` (read from the environment when not given)."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.resolved_log_format())
    docs = settings.docs_are_enabled()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Built first: an alert URL apprise cannot use stops the start before anything runs.
        notifier = Notifier([url.get_secret_value() for url in settings.alerts.urls])
        active = runtime or build_runtime(settings)
        app.state.runtime = active
        await asyncio.to_thread(active.start)
        retention = settings.retention
        schedules = [asyncio.create_task(flush_periodically(active.database, active.requests))]
        if retention.max_age is not None:
            schedules.append(
                asyncio.create_task(
                    prune_periodically(active.database, retention.max_age, retention.every)
                )
            )
        alerts = Alerts(active, notifier)
        active.on_findings = alerts.dispatch
        app.state.version_watcher = watcher = VersionWatcher(active)
        app.state.notifier = notifier
        policy = RetrainPolicy(active, notifier, after_retrain=watcher.follow)
        active.report_listeners += [alerts.after_report, policy.after_report]
        if settings.serving.follow_every is not None:
            schedules.append(
                asyncio.create_task(follow_registry(watcher, settings.serving.follow_every))
            )
        if settings.alerts.every is not None:
            schedules.append(asyncio.create_task(check_periodically(alerts, settings.alerts.every)))
        if settings.monitoring.every is not None:
            schedules.append(asyncio.create_task(monitor_periodically(active)))
        try:
            with drain_on_sigterm(active, settings.server.drain_seconds):
                yield
        finally:
            for schedule in schedules:
                schedule.cancel()
            # A run in progress finishes its thread before the database goes away.
            await asyncio.gather(*schedules, return_exceptions=True)
            await asyncio.to_thread(active.stop)

    app = FastAPI(
        title="shipyard",
        version=__version__,
        description="Predictions from registered models; every answered record is logged.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        # FastAPI's built-in OpenTelemetry bridge asks the OpenTelemetry API on every request
        # whether a provider is configured (8 % of a prediction's CPU here): off unless
        # traces are wanted. Metrics and logs have their own pipelines (/metrics, structlog).
        telemetry={
            "tracing": settings.server.tracing,
            "auto_configure": settings.server.tracing,
            "operation_spans": False,
            "metrics": False,
            "logs": False,
        },
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.serving.max_body_bytes)
    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_credentials=False,  # keys are headers, never cookies
            allow_methods=["GET", "POST"],
            allow_headers=CORS_HEADERS,
            expose_headers=["X-Request-ID", "Retry-After", "Idempotent-Replayed"],
        )
    app.add_middleware(RejectNulMiddleware)
    app.add_middleware(RequestObserver, access_log=settings.server.access_log)
    # Outermost of shipyard's: every answer, the observer's own 500 included, has the headers.
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.env == "prod")
    predict.add_predict_routes(app)  # first: routes are matched in order; this is the hot path
    open_inference.add_infer_routes(app)
    routers = (
        health.router,
        metrics.router,
        auth.router,
        access.router,
        models.router,
        lifecycle.router,
        monitoring.router,
        predictions.router,
        traffic.router,
        open_inference.router,
    )
    for router in routers:
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, app.state.runtime)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
