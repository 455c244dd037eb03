"""Prediction endpoints. The body is validated against the served model's own schema."""

from __future__ import annotations

from fastapi import APIRouter, Request

from shipyard.api.deps import RequestIdDep, RuntimeDep
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.errors import UnsupportedMediaType
from shipyard.schemas.predictions import PredictedRecordRead, PredictResponse
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


async def _predict(
    runtime: RuntimeDep, name: str, request: Request, request_id: str
) -> PredictResponse:
    _require_json(request)
    outcome = await predicting.predict(runtime, name, await request.body(), request_id=request_id)
    return PredictResponse(
        request_id=outcome.request_id,
        predictions=[
            PredictedRecordRead(
                prediction_id=entry.id,
                model=entry.model_name,
                version=entry.model_version,
                label=entry.label,
                probabilities=entry.probabilities,
                latency_ms=round(entry.latency_ms, 3),
            )
            for entry in outcome.entries
        ],
    )


@router.post(
    "/v1/models/{name}/predict",
    response_model=PredictResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=PREDICT_BODY,
)
async def predict_with_model(
    name: str, request: Request, runtime: RuntimeDep, request_id: RequestIdDep
) -> PredictResponse:
    """Score one record (a JSON object) or a list of records with the served version.

    Every record is logged before the answer is sent.
    """
    return await _predict(runtime, name, request, request_id)


@router.post(
    "/predict",
    response_model=PredictResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=PREDICT_BODY,
)
async def predict_with_default_model(
    request: Request, runtime: RuntimeDep, request_id: RequestIdDep
) -> PredictResponse:
    """The short path: the same as ``/v1/models/{default}/predict``."""
    return await _predict(runtime, runtime.models.default, request, request_id)
