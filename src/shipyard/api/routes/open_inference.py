"""The Open Inference Protocol (KServe V2) over REST: model metadata and readiness, and
inference through the same path as ``/predict`` (credentials, rate limits, validation,
batching, the prediction log, metrics). The server probes are in ``health``.

Inference is on the hot path: added to the app itself, as the predict routes are, with the
translation in :mod:`shipyard.serving.open_inference`.
"""

from __future__ import annotations

import pydantic_core
from fastapi import APIRouter, FastAPI, Request, Response

from shipyard.api.deps import RuntimeDep, runtime_of
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.routes.predict import (
    add_scoring_route,
    json_answer,
    score_request,
    scoring_operation,
    scoring_responses,
)
from shipyard.api.security import ModelReader
from shipyard.schemas.open_inference import (
    InferResponseRead,
    ModelMetadataRead,
    ModelReadyRead,
    ServerMetadataRead,
)
from shipyard.services.runtime import Runtime
from shipyard.serving import open_inference
from shipyard.serving.models import ServedModel

router = APIRouter(prefix="/v2", tags=["open inference"])

_INPUT_TENSOR = {
    "type": "object",
    "required": ["name", "datatype", "shape", "data"],
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string", "enum": sorted(set(open_inference.DATATYPES.values()))},
        "shape": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0},
            "minItems": 1,
            "maxItems": 2,
        },
        "parameters": {"type": "object"},
        "data": {"type": "array"},
    },
}
_REQUESTED_OUTPUT = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "enum": list(open_inference.OUTPUTS)},
        "parameters": {"type": "object"},
    },
}
INFER_OPERATION = scoring_operation(
    {
        "type": "object",
        "description": "One input tensor per field of the model (GET "
        "/v2/models/{name} lists them), each [N] or [N, 1] for N records",
        "required": ["inputs"],
        "properties": {
            "id": {"type": "string"},
            "parameters": {"type": "object"},
            "inputs": {"type": "array", "minItems": 1, "items": _INPUT_TENSOR},
            "outputs": {
                "type": "array",
                "description": "The outputs to answer (at least one); all of them when left out",
                "minItems": 1,
                "items": _REQUESTED_OUTPUT,
            },
        },
    }
)
INFER_RESPONSES = scoring_responses(InferResponseRead, "The requested outputs, one row a record.")


def _served(runtime: Runtime, name: str, version: str | None) -> ServedModel:
    served = runtime.models.get(name)  # 404 for a model not served here, 503 until loaded
    open_inference.check_version(name, version, served.version)
    return served


def _json_when_undeclared(request: Request) -> Request:
    """The request, with a body that declares no Content-Type taken as JSON.

    Triton's clients declare none, and Triton reads such a body as JSON. A body declared as
    anything else is still refused (415) by the predict path, so an HTML form (which always
    declares its type) cannot post predictions here either. The scope is copied shallowly:
    its ``state`` (request id, what was predicted, for the log line) stays the one dict.
    """
    if "content-type" in request.headers:
        return request
    headers = [*request.scope["headers"], (b"content-type", b"application/json")]
    return Request({**request.scope, "headers": headers}, request.receive)


async def _infer(request: Request, name: str, version: str | None) -> Response:
    runtime = runtime_of(request)
    # What the body asks, and the class order of the model that parsed it (the metadata's).
    asked: list[tuple[open_inference.InferRequest, tuple[str, ...]]] = []

    def records_of(body: bytes) -> bytes:
        # Called once the credentials are checked: a caller without them learns nothing.
        if open_inference.BINARY_HEADER in request.headers:
            raise open_inference.BinaryTensorData()
        served = _served(runtime, name, version)
        try:
            parsed = pydantic_core.from_json(body)
        except ValueError:
            raise open_inference.InvalidInferRequest("the body is not valid JSON") from None
        inference = open_inference.infer_request_of(parsed, served.input_schema)
        asked.append((inference, served.predictor.classes))
        return pydantic_core.to_json(inference.records)

    outcome = await score_request(_json_when_undeclared(request), name, records_of)
    inference, classes = asked[0]
    answer = open_inference.infer_answer(
        inference, outcome.response["request_id"], outcome.response["predictions"], classes
    )
    return json_answer(answer, outcome)


async def infer(name: str, request: Request) -> Response:
    """Score the records of the input tensors (one per field, each ``[N]`` long) with the
    served version; answers the ``label``, ``probabilities`` and ``prediction_id`` outputs
    (or those ``outputs`` names). Every record is logged before the answer is sent."""
    return await _infer(request, name, None)


async def infer_with_version(name: str, version: str, request: Request) -> Response:
    """The same, when ``version`` is the served one; 404 for any other."""
    return await _infer(request, name, version)


def add_infer_routes(app: FastAPI) -> None:
    """Added to the app itself, as the predict routes are (see ``predict``)."""
    for path, endpoint in (
        ("/v2/models/{name}/infer", infer),
        ("/v2/models/{name}/versions/{version}/infer", infer_with_version),
    ):
        add_scoring_route(app, path, endpoint, "open inference", INFER_OPERATION, INFER_RESPONSES)


@router.get("", response_model=ServerMetadataRead)
async def get_server_metadata(runtime: RuntimeDep) -> ServerMetadataRead:
    """The server's name and version (public, as ``/health``); no protocol extensions."""
    return ServerMetadataRead(name="shipyard", version=runtime.version, extensions=[])


def _metadata(served: ServedModel) -> ModelMetadataRead:
    return ModelMetadataRead.model_validate(
        open_inference.model_metadata(
            served.name, served.version, served.input_schema, served.predictor.classes
        )
    )


@router.get(
    "/models/{name}",
    response_model=ModelMetadataRead,
    response_model_exclude_none=True,
    responses=ERROR_RESPONSES,
)
async def get_model_metadata(
    name: str, runtime: RuntimeDep, _caller: ModelReader
) -> ModelMetadataRead:
    """The served version's input tensors (one per field) and outputs; the same access as
    ``GET /v1/models/{name}``."""
    return _metadata(_served(runtime, name, None))


@router.get(
    "/models/{name}/versions/{version}",
    response_model=ModelMetadataRead,
    response_model_exclude_none=True,
    responses=ERROR_RESPONSES,
)
async def get_model_version_metadata(
    name: str, version: str, runtime: RuntimeDep, _caller: ModelReader
) -> ModelMetadataRead:
    """The same, when ``version`` is the served one; 404 for any other."""
    return _metadata(_served(runtime, name, version))


@router.get("/models/{name}/ready", response_model=ModelReadyRead, responses=ERROR_RESPONSES)
async def get_model_ready(name: str, runtime: RuntimeDep) -> ModelReadyRead:
    """200 when the model is loaded; 404 for a model not served here, 503 until it loads.
    A probe, public as ``/readyz`` (which names the models too)."""
    return ModelReadyRead(name=_served(runtime, name, None).name, ready=True)


@router.get(
    "/models/{name}/versions/{version}/ready",
    response_model=ModelReadyRead,
    responses=ERROR_RESPONSES,
)
async def get_model_version_ready(name: str, version: str, runtime: RuntimeDep) -> ModelReadyRead:
    """The same, when ``version`` is the served one; 404 for any other."""
    return ModelReadyRead(name=_served(runtime, name, version).name, ready=True)
