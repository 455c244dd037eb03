"""Probes: liveness touches nothing; readiness checks the model and the database."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shipyard.api.deps import RuntimeDep
from shipyard.schemas.health import HealthRead, LivenessRead, ReadinessRead, SpoolRead
from shipyard.schemas.open_inference import ServerLiveRead, ServerReadyRead
from shipyard.services.runtime import Runtime

router = APIRouter(tags=["health"])


def _check_database(runtime: Runtime) -> tuple[bool, str | None]:
    reachable = runtime.database.ping()
    return reachable, runtime.refresh_schema_problem() if reachable else None


def _readiness(runtime: Runtime, database_ok: bool, schema: str | None) -> ReadinessRead:
    models = {name: runtime.models.is_loaded(name) for name in runtime.models.names}
    reasons = [
        f"model {name} not loaded: {runtime.load_errors.get(name, 'loading')}"
        for name, loaded in models.items()
        if not loaded
    ]
    if runtime.draining:
        reasons.insert(0, "shutting down: finishing the requests in flight")
    if not runtime.writer.is_running:
        reasons.append("the prediction log writer is not running")
    spool = _spool(runtime)
    if spool is not None and spool.full:
        reasons.append("the database is down and the spool journal is full")
    if not database_ok and spool is None:
        # Under the spool policy rows still get acknowledged: the instance stays ready.
        reasons.append("prediction log database unreachable")
    elif schema:
        reasons.append(schema)
    return ReadinessRead(
        status="ready" if not reasons else "not ready",
        models=models,
        database=database_ok,
        reasons=reasons,
        spool=spool,
    )


def _spool(runtime: Runtime) -> SpoolRead | None:
    if runtime.writer.spool is None:
        return None
    return SpoolRead.model_validate(runtime.writer.spool.status(), from_attributes=True)


@router.get("/livez", response_model=LivenessRead)
async def get_liveness() -> LivenessRead:
    """The process answers. Touches no dependency, so a database outage restarts nothing."""
    return LivenessRead()


@router.get("/readyz", response_model=ReadinessRead, responses={503: {"model": ReadinessRead}})
async def get_readiness(runtime: RuntimeDep) -> JSONResponse:
    """200 when every served model is loaded and predictions can be logged, else 503.

    Under the ``spool`` policy a database outage keeps the instance ready while the journal
    has room; ``spool.backlog_rows`` shows what waits for the database."""
    readiness = _readiness(runtime, *await asyncio.to_thread(_check_database, runtime))
    status = 200 if readiness.status == "ready" else 503
    return JSONResponse(readiness.model_dump(), status_code=status)


@router.get("/ping", response_model=ReadinessRead, responses={503: {"model": ReadinessRead}})
async def get_ping(runtime: RuntimeDep) -> JSONResponse:
    """``mlflow models serve``'s probe, which MLflow's clients wait on: ``/readyz``."""
    return await get_readiness(runtime)


@router.get("/v2/health/live", response_model=ServerLiveRead)
async def get_v2_liveness() -> ServerLiveRead:
    """The Open Inference Protocol's liveness probe: ``/livez``."""
    return ServerLiveRead(live=True)


@router.get(
    "/v2/health/ready", response_model=ServerReadyRead, responses={503: {"model": ServerReadyRead}}
)
async def get_v2_readiness(runtime: RuntimeDep) -> JSONResponse:
    """The Open Inference Protocol's readiness probe: ``/readyz``, in the protocol's shape."""
    readiness = _readiness(runtime, *await asyncio.to_thread(_check_database, runtime))
    ready = readiness.status == "ready"
    body = ServerReadyRead(ready=ready, reasons=readiness.reasons)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/health", response_model=HealthRead)
async def get_health(runtime: RuntimeDep) -> HealthRead:
    """A JSON summary for uptime monitors: status, model_loaded, version."""
    database_ok = await asyncio.to_thread(runtime.database.ping)
    loaded = runtime.models.loaded()
    default = loaded.get(runtime.models.default)
    versions = {name: served.version for name, served in loaded.items()}
    return HealthRead(
        status="ok"
        if database_ok and runtime.models.all_loaded() and not runtime.durability_problems
        else "degraded",
        model_loaded=default is not None,
        model=runtime.models.default,
        version=default.version if default else None,
        versions=versions,
        database=database_ok,
        shipyard_version=runtime.version,
        profile=runtime.settings.env,
        durability=runtime.durability_problems,
        auth="enabled" if runtime.settings.auth.enabled else "disabled",
        rate_limits=runtime.rate_limiter.state,
    )
