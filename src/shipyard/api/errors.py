"""One JSON error shape for every failure: ``{"error": "<Name>", "detail": "...", ...}``.

On the Open Inference Protocol's routes (``/v2/...``) ``error`` holds ``"<Name>: <detail>"``:
that protocol's clients (Triton's among them) show ``error`` alone, as the message. The path
is the app's own, wherever it is mounted (``/api/v2/...`` beside the dashboard).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from shipyard.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ShipyardError,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
)
from shipyard.schemas.errors import ErrorRead

logger = logging.getLogger(__name__)

# Most specific first: PayloadTooLarge is an InvalidInput with its own status.
STATUS_BY_KIND: tuple[tuple[type[ShipyardError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (RateLimited, 429),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (Unavailable, 503),
)
RETRY_AFTER_SECONDS = "1"

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorRead, "description": kind.__doc__ or kind.__name__}
    for kind, status in STATUS_BY_KIND
}


def status_of(error: ShipyardError) -> int:
    for kind, status in STATUS_BY_KIND:
        if isinstance(error, kind):
            return status
    return 500


HEADERS_BY_STATUS = {
    401: {"WWW-Authenticate": 'Bearer realm="shipyard"'},
    503: {"Retry-After": RETRY_AFTER_SECONDS},
}


def error_response(status: int, name: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"error": name, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=HEADERS_BY_STATUS.get(status))


OPEN_INFERENCE_ROUTES = "/v2"


def app_path(scope: Scope) -> str:
    """The request's path within the app: without the prefix it is mounted under (its
    ``root_path``: ``/api`` when the dashboard serves it on the same port)."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :] or "/"
    return path


def error_name(scope: Scope, name: str, detail: str) -> str:
    """The ``error`` field: the name, with the detail on the Open Inference routes."""
    path = app_path(scope)
    if path == OPEN_INFERENCE_ROUTES or path.startswith(OPEN_INFERENCE_ROUTES + "/"):
        return f"{name}: {detail}"
    return name


async def _shipyard_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ShipyardError)
    name = error_name(request.scope, type(error).__name__, error.detail)
    response = error_response(status_of(error), name, error.detail, **error.extra())
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        {"loc": [str(part) for part in item.get("loc", ())], "msg": str(item.get("msg", ""))}
        for item in error.errors()
    ]
    first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
    detail = f"{'.'.join(first['loc'])}: {first['msg']}"
    return error_response(
        422, error_name(request.scope, "InvalidRequest", detail), detail, errors=problems
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    names = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
    name = names.get(error.status_code, "HTTPError")
    response = error_response(
        error.status_code, error_name(request.scope, name, str(error.detail)), str(error.detail)
    )
    if error.headers:
        response.headers.update(error.headers)
    return response


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=error)
    return error_response(500, "InternalError", "an unexpected error occurred; it was logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ShipyardError, _shipyard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
