"""Prediction endpoints. The body is validated against the served model's own schema.

This is the hot path, so the handlers take only the request: credentials, the request id
and the ``Idempotency-Key`` header are read by hand, and the answer is serialised once,
straight to JSON. FastAPI's dependency solving and response-model round trip cost more per
request here than the validation and the (batched) model together. The OpenAPI operation
still declares all of it (``openapi_extra``), and the route-by-route security test holds
these routes to the same matrix as every other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pydantic_core
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from shipyard.api.deps import runtime_of
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.observing import note_predictions, request_id_of
from shipyard.api.security import CREDENTIAL_SCHEMES, authorize
from shipyard.domain.auth import Scope
from shipyard.errors import UnsupportedMediaType
from shipyard.schemas.predictions import InvocationsRead, PredictResponse
from shipyard.services import predicting
from shipyard.serving import mlflow_scoring

IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Send the same key when you retry: the first answer comes back, no new row.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[\x21-\x7e]+$"},
}


def scoring_operation(body_schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI operation of a scoring route: a required JSON body of ``body_schema``,
    the ``Idempotency-Key`` header and either credential."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body_schema}},
        },
        "parameters": [_IDEMPOTENCY_PARAMETER],
        "security": CREDENTIAL_SCHEMES,
    }


def scoring_responses(answer: type[BaseModel], description: str) -> dict[int | str, Any]:
    """A scoring route's answers: ``answer`` on 200, the one error shape otherwise."""
    return {200: {"model": answer, "description": description}, **ERROR_RESPONSES}


PREDICT_OPERATION = scoring_operation(
    {
        "oneOf": [
            {"type": "object"},
            {"type": "array", "items": {"type": "object"}, "minItems": 1},
        ]
    }
)
PREDICT_RESPONSES = scoring_responses(PredictResponse, "One answer per record, in order.")
INVOKE_OPERATION = scoring_operation(
    {
        "type": "object",
        "description": "One of MLflow's formats, and optionally params (ignored)",
        "properties": {
            "dataframe_split": {"type": "object"},
            "dataframe_records": {"type": "array", "items": {"type": "object"}},
            "instances": {"type": "array", "items": {"type": "object"}},
            "inputs": {"oneOf": [{"type": "object"}, {"type": "array"}]},
            "params": {"type": "object"},
        },
    }
)
INVOKE_RESPONSES = scoring_responses(InvocationsRead, "The predicted label of each record.")


def _require_json(request: Request) -> None:
    """Refuse bodies not declared as JSON: a plain HTML form cannot post predictions."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(content_type)


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or _IDEMPOTENCY_KEY.fullmatch(key):
        return key
    raise RequestValidationError(
        [
            {
                "loc": ("header", IDEMPOTENCY_HEADER),
                "msg": "must be 1 to 200 printable ASCII characters, without spaces",
                "type": "string_pattern_mismatch",
            }
        ]
    )


async def score_request(
    request: Request, name: str | None, records_of: Callable[[bytes], bytes] | None = None
) -> predicting.PredictionOutcome:
    """Authorize, then score and log the body's records (``records_of`` turns another
    protocol's body into shipyard's): one path, whatever the protocol."""
    caller = await authorize(request, Scope.PREDICT)
    _require_json(request)
    idempotency_key = _idempotency_key(request)
    runtime = runtime_of(request)
    body = await request.body()
    outcome = await predicting.predict(
        runtime,
        name if name is not None else runtime.models.default,
        records_of(body) if records_of is not None else body,
        request_id=request_id_of(request.scope),
        caller_id=caller.caller_id,
        idempotency_key=idempotency_key,
    )
    note_predictions(request.scope, outcome.response["predictions"])
    return outcome


def json_answer(answer: Any, outcome: predicting.PredictionOutcome) -> Response:
    response = Response(pydantic_core.to_json(answer), media_type="application/json")
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


async def _predict(request: Request, name: str | None) -> Response:
    outcome = await score_request(request, name)
    return json_answer(outcome.response, outcome)


def _mlflow_records(body: bytes) -> bytes:
    try:
        parsed = pydantic_core.from_json(body)
    except ValueError:
        raise mlflow_scoring.InvalidInvocation("the body is not valid JSON") from None
    return pydantic_core.to_json(mlflow_scoring.records_of(parsed))


async def _invoke(request: Request, name: str | None) -> Response:
    outcome = await score_request(request, name, _mlflow_records)
    return json_answer(mlflow_scoring.invocation_answer(outcome.response["predictions"]), outcome)


async def invoke_model(name: str, request: Request) -> Response:
    """MLflow's scoring protocol (``mlflow models serve``): ``dataframe_split``,
    ``dataframe_records``, ``instances`` or ``inputs``; answers ``{"predictions": [label,
    ...]}``. Every record is logged before the answer is sent, as by ``/predict``."""
    return await _invoke(request, name)


async def invoke_default_model(request: Request) -> Response:
    """``/invocations`` of ``mlflow models serve``: the default model."""
    return await _invoke(request, None)


async def predict_with_model(name: str, request: Request) -> Response:
    """Score one record (a JSON object) or a list of records with the served version.

    Every record is logged before the answer is sent.
    """
    return await _predict(request, name)


async def predict_with_default_model(request: Request) -> Response:
    """The short path: the same as ``/v1/models/{default}/predict``."""
    return await _predict(request, None)


def add_predict_routes(app: FastAPI) -> None:
    """Added to the app itself, first, rather than through an included router: FastAPI
    matches an included router's routes twice per request (~50 µs here)."""
    for path, endpoint, operation, responses in (
        ("/v1/models/{name}/predict", predict_with_model, PREDICT_OPERATION, PREDICT_RESPONSES),
        ("/predict", predict_with_default_model, PREDICT_OPERATION, PREDICT_RESPONSES),
        ("/v1/models/{name}/invocations", invoke_model, INVOKE_OPERATION, INVOKE_RESPONSES),
        ("/invocations", invoke_default_model, INVOKE_OPERATION, INVOKE_RESPONSES),
    ):
        add_scoring_route(app, path, endpoint, "predict", operation, responses)


def add_scoring_route(
    app: FastAPI,
    path: str,
    endpoint: Callable[..., Any],
    tag: str,
    operation: dict[str, Any],
    responses: dict[int | str, dict[str, Any]],
) -> None:
    """A POST route that scores: answered as a plain ``Response`` (its body serialised once),
    with its OpenAPI operation declared by hand."""
    app.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        tags=[tag],
        response_class=Response,
        responses=responses,
        openapi_extra=operation,
    )
