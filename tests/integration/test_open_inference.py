"""The Open Inference Protocol's probes say what ``/livez`` and ``/readyz`` say, through the
app. (Its clients, against a real server: tests/e2e/test_open_inference.py.)"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shipyard.api.app import create_app
from shipyard.config import Settings

pytestmark = pytest.mark.integration


def test_without_a_model_the_server_is_live_but_neither_it_nor_the_model_is_ready(
    migrated: Settings,
) -> None:
    no_model = migrated.model_copy(
        update={"serving": migrated.serving.model_copy(update={"alias": "missing"})}
    )
    with TestClient(create_app(no_model)) as client:
        assert client.get("/v2/health/live").json() == {"live": True}
        ready = client.get("/v2/health/ready")
        assert ready.status_code == 503
        assert ready.json()["ready"] is False
        assert ready.json()["reasons"] == client.get("/readyz").json()["reasons"]
        model = client.get("/v2/models/attrition/ready")
        assert model.status_code == 503
        assert model.json()["error"] == f"ModelNotLoaded: {model.json()['detail']}"
        assert model.headers["retry-after"] == "1"
        unknown = client.get("/v2/models/churn/ready")
        assert unknown.status_code == 404
        assert unknown.json()["error"] == f"ModelNotFound: {unknown.json()['detail']}"


def test_a_ready_server_says_so_in_the_protocols_shape(migrated: Settings) -> None:
    with TestClient(create_app(migrated)) as client:
        assert client.get("/v2/health/ready").json() == {"ready": True, "reasons": []}
        assert client.get("/v2/models/attrition/ready").json() == {
            "name": "attrition",
            "ready": True,
        }
