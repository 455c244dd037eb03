"""OpenTelemetry traces of requests, exported over OTLP/HTTP to a real receiver."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import attrition_record
from tests.e2e.conftest import RunningServer
from tests.receiver import receiver


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_prediction_is_exported_as_a_span_of_its_route(
    start_server: Callable[..., RunningServer],
) -> None:
    with receiver() as collector:
        server = start_server(
            env={
                "SHIPYARD_SERVER__TRACING": "true",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                "OTEL_BSP_SCHEDULE_DELAY": "100",
                "OTEL_SERVICE_NAME": "shipyard-under-test",
            }
        )
        answer = httpx.post(f"{server.url}/v1/models/attrition/predict", json=attrition_record())
        assert answer.status_code == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            traces = [str(m["body"]) for m in collector.received if m["path"] == "/v1/traces"]
            if any("/v1/models/{name}/predict" in body for body in traces):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"no span of the predict route arrived: {collector.received}")
        assert any("shipyard-under-test" in body for body in traces)
