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


def test_a_rate_limited_request_is_sent_again_after_retry_after() -> None:
    answers = iter([429, 429, 200])
    sent: list[str] = []

    def limited(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        status = next(answers)
        if status == 429:
            body = {"error": "RateLimited", "detail": "rate limit of 1/second reached"}
            return httpx.Response(429, json=body, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"items": []})

    with ShipyardClient("http://shipyard.test", transport=httpx.MockTransport(limited)) as client:
        assert client.models().items == []
    assert sent == ["/v1/models"] * 3


def test_past_its_retries_a_rate_limited_request_raises() -> None:
    def always_limited(request: httpx.Request) -> httpx.Response:
        body = {"error": "RateLimited", "detail": "rate limit of 1/second reached"}
        return httpx.Response(429, json=body, headers={"Retry-After": "0"})

    with (
        ShipyardClient(
            "http://shipyard.test",
            transport=httpx.MockTransport(always_limited),
            rate_limit_retries=1,
        ) as client,
        pytest.raises(ApiError) as raised,
    ):
        client.models()
    assert (raised.value.status, raised.value.name) == (429, "RateLimited")
