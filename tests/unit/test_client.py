"""The typed client against a small in-process transport (httpx.MockTransport, no patching)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from shipyard.client import ApiError, ShipyardClient

PREDICTION_ID = uuid.UUID("01a20be5-798d-7f4d-81d5-84d44df6b549")


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v1/models/attrition/predict":
        records = json.loads(request.content)
        count = len(records) if isinstance(records, list) else 1
        item = {
            "prediction_id": str(PREDICTION_ID),
            "model": "attrition",
            "version": "3",
            "label": "No",
            "probabilities": {"No": 0.9, "Yes": 0.1},
            "latency_ms": 1.0,
        }
        request_id = request.headers.get("x-request-id", "generated")
        return httpx.Response(200, json={"request_id": request_id, "predictions": [item] * count})
    if request.url.path == "/v1/predictions":
        assert request.url.params["label"] == "Yes"
        assert request.url.params["limit"] == "5"
        return httpx.Response(200, json={"items": [], "next_cursor": None})
    return httpx.Response(404, json={"error": "PredictionNotFound", "detail": "no prediction"})


@pytest.fixture
def client() -> ShipyardClient:
    return ShipyardClient("http://shipyard.test", transport=httpx.MockTransport(handler))


def test_predict_one_record_or_many(client: ShipyardClient) -> None:
    one = client.predict("attrition", {"Age": 41}, request_id="r-1")
    assert one.request_id == "r-1"
    assert one.predictions[0].prediction_id == PREDICTION_ID
    many = client.predict("attrition", [{"Age": 41}, {"Age": 42}])
    assert len(many.predictions) == 2


def test_query_parameters_are_sent(client: ShipyardClient) -> None:
    assert client.predictions(label="Yes", limit=5).items == []


def test_errors_carry_the_api_error_shape(client: ShipyardClient) -> None:
    with pytest.raises(ApiError) as caught:
        client.prediction(uuid.uuid4())
    assert caught.value.status == 404
    assert caught.value.name == "PredictionNotFound"
    assert caught.value.detail == "no prediction"
