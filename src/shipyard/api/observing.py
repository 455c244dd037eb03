"""What the server records of each HTTP request: its id, its metrics, its log line.

The request id is the caller's ``X-Request-ID`` when it is safe to echo, else a new one. It
is echoed on the answer, bound to every log line written while the request is served, and
stored on each prediction row. Once the answer is sent, the request is counted and timed in
``/metrics`` (by route template, never by raw path) and, unless the access log is off,
logged as one line with what the predict routes add: model, version, label, probability.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import time
from collections import Counter
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shipyard.telemetry.logs import access_logger
from shipyard.telemetry.metrics import UNMATCHED_ROUTE

REQUEST_ID_HEADER = "x-request-id"
CLIENT_GONE = 499
"""Status recorded for a request whose caller disconnected before the answer (as nginx
does): counted apart from the server's errors."""
_INTERNAL_ERROR = (
    b'{"error":"InternalError","detail":"an unexpected error occurred; it was logged"}'
)
_INTERNAL_ERROR_START: Message = {
    "type": "http.response.start",
    "status": 500,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
    ],
}
_INTERNAL_ERROR_BODY: Message = {"type": "http.response.body", "body": _INTERNAL_ERROR}
SCORING_ROUTES = frozenset(
    {
        "/v1/models/{name}/predict",
        "/predict",
        "/v1/models/{name}/invocations",
        "/invocations",
        "/v2/models/{name}/infer",
        "/v2/models/{name}/versions/{version}/infer",
    }
)
"""Routes whose requests are counted per model over time (``GET …/traffic``)."""
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PREDICTION_STATE = "prediction"
logger = logging.getLogger("shipyard.api")


class RequestIds:
    """New request ids: 80 random bits drawn once per process, then a counter. Unique, cheap
    (no system call per request), and never a secret: they only correlate lines and rows."""

    def __init__(self) -> None:
        self._prefix = os.urandom(10).hex()
        self._counter = itertools.count(1)

    def new(self) -> str:
        return f"{self._prefix}{next(self._counter):012x}"


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", ""))


def note_predictions(scope: Scope, predictions: list[dict[str, Any]]) -> None:
    """Let the request's log line say what was predicted (the answer's ``predictions``)."""
    scope.setdefault("state", {})[_PREDICTION_STATE] = predictions


def _prediction_fields(predictions: list[dict[str, Any]]) -> dict[str, Any]:
    if not predictions:
        return {}
    first = predictions[0]
    fields: dict[str, Any] = {
        "model": first["model"],
        "version": first["version"],
        "records": len(predictions),
    }
    if len(predictions) == 1:
        fields["label"] = first["label"]
        fields["probability"] = first["probabilities"][first["label"]]
    else:
        fields["labels"] = dict(Counter(p["label"] for p in predictions))
    return fields


class RequestObserver:
    """Pure ASGI middleware; the outermost of shipyard's own."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log
        self._ids = RequestIds()
        self._log = access_logger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = sent if _SAFE_REQUEST_ID.match(sent) else self._ids.new()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (REQUEST_ID_HEADER.encode(), request_id.encode())
        status = 0  # no answer started yet

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_observed)
        except asyncio.CancelledError:
            status = status or CLIENT_GONE  # the caller hung up: not the server's error
            raise
        except Exception:
            # Answered here rather than by Starlette's outermost handler, so that the line
            # logged and the 500 sent both carry the request id.
            logger.exception("unhandled error")
            if status:
                raise  # the answer has begun: nothing else can be sent
            await send_observed(_INTERNAL_ERROR_START)
            await send_observed(_INTERNAL_ERROR_BODY)
        finally:
            structlog.contextvars.reset_contextvars(**bound)
            self._finished(scope, request_id, status or 500, time.perf_counter() - started)

    def _finished(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
        runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
        if runtime is not None:
            runtime.metrics.request_finished(scope["method"], route, status, seconds)
            if route in SCORING_ROUTES:
                model = scope.get("path_params", {}).get("name") or runtime.models.default
                # Only served models: a made-up name (refused, or even unauthenticated) must
                # not become rows of its own.
                if model in runtime.models.names:
                    runtime.requests.add(model, status, seconds)
        if not self.access_log:
            return
        predictions = scope.get("state", {}).get(_PREDICTION_STATE)
        self._log.info(
            "request",
            request_id=request_id,
            method=scope["method"],
            path=scope["path"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000.0, 3),
            **(_prediction_fields(predictions) if predictions else {}),
        )
