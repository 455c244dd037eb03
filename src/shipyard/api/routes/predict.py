"""Prediction endpoints. The body is validated against the served model's own schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from shipyard.api.deps import RequestIdDep, RuntimeDep
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.security import PredictCaller
from shipyard.errors import UnsupportedMediaType
from shipyard.schemas.predictions import PredictResponse
from shipyard.services import predicting

router = APIRouter(tags=["predict"])

PREDICT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "object"},
                        {"type": "array", "items": {"type": "object"}, "minItems": 1},
                    ]
                }
            }
        },
    }
}


def _require_json(request: Request) -> None:
    """Refuse bodies not declared as JSON: a plain HTML form cannot post predictions."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(content_type)


IDEMPOTENCY_KEY = Header(
    alias="Idempotency-Key",
    min_length=1,
    max_length=200,
    pattern=r"^[\x21-\x7e]+$",
    description="Send the same key when you retry: the first answer comes back, no new row.",
)


async def _predict(
    runtime: RuntimeDep,
    name: str,
    request: Request,
    response: Response,
    request_id: str,
    idempotency_key: str | None,
    caller: PredictCaller,
) -> PredictResponse:
    _require_json(request)
    outcome = await predicting.predict(
        runtime,
        name,
        await request.body(),
        request_id=request_id,
        caller_id=caller.caller_id,
        idempotency_key=idempotency_key,
    )
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return outcome.response


@router.post(
    "/v1/models/{name}/predict",
    response_model=PredictResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=PREDICT_BODY,
)
async def predict_with_model(
    name: str,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    request_id: RequestIdDep,
    caller: PredictCaller,
    idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
) -> PredictResponse:
    """Score one record (a JSON object) or a list of records with the served version.

    Every record is logged before the answer is sent.
    """
    return await _predict(runtime, name, request, response, request_id, idempotency_key, caller)


@router.post(
    "/predict",
    response_model=PredictResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=PREDICT_BODY,
)
async def predict_with_default_model(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    request_id: RequestIdDep,
    caller: PredictCaller,
    idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
) -> PredictResponse:
    """The short path: the same as ``/v1/models/{default}/predict``."""
    return await _predict(
        runtime, runtime.models.default, request, response, request_id, idempotency_key, caller
    )
