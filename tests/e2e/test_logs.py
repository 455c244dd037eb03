"""The request log of a real server: one JSON line per request, tied to its rows by id."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import attrition_record
from tests.e2e.conftest import RunningServer, stop


def json_lines(server: RunningServer) -> list[dict[str, Any]]:
    lines = [line for line in server.log().splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return parsed


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_json_logs_carry_one_line_per_request_with_what_was_predicted(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server(env={"SHIPYARD_LOG_FORMAT": "json"})
    answer = httpx.post(
        f"{server.url}/v1/models/attrition/predict",
        json=attrition_record(),
        headers={"X-Request-ID": "order-42"},
    )
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == "order-42"
    prediction = answer.json()["predictions"][0]
    stored = httpx.get(f"{server.url}/v1/predictions/{prediction['prediction_id']}").json()
    assert stored["request_id"] == "order-42"
    refused = httpx.post(f"{server.url}/predict", json={"Age": "old"})
    assert refused.status_code == 422
    made_up = refused.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_up)
    stop(server.process)

    lines = json_lines(server)
    assert all({"event", "level", "timestamp", "logger"} <= line.keys() for line in lines)
    (predicted,) = [line for line in lines if line.get("request_id") == "order-42"]
    assert predicted["event"] == "request"
    assert predicted["method"] == "POST"
    assert predicted["path"] == "/v1/models/attrition/predict"
    assert predicted["route"] == "/v1/models/{name}/predict"
    assert predicted["status"] == 200
    assert predicted["duration_ms"] > 0
    assert (predicted["model"], predicted["version"]) == ("attrition", "1")
    assert predicted["label"] == prediction["label"]
    assert predicted["probability"] == prediction["probabilities"][prediction["label"]]
    (bad,) = [line for line in lines if line.get("request_id") == made_up]
    assert (bad["status"], bad["route"]) == (422, "/predict")
    assert "model" not in bad
    assert any(line["logger"].startswith("uvicorn") for line in lines)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_access_log_writes_no_request_lines(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server("--no-access-log", env={"SHIPYARD_LOG_FORMAT": "json"})
    assert httpx.post(f"{server.url}/predict", json=attrition_record()).status_code == 200
    stop(server.process)
    assert not [line for line in json_lines(server) if line["event"] == "request"]
