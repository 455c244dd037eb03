"""Alerts delivered through apprise to a real local HTTP receiver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from shipyard.api.app import create_app
from shipyard.config import AlertSettings, Settings
from shipyard.registry import input_schema_of
from shipyard.services.simulation import shift_records
from shipyard.training.datasets import example
from tests.integration.test_monitoring import send
from tests.receiver import Receiver, receiver


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


@pytest.fixture
def alerting_client(migrated: Settings, hook: Receiver) -> Iterator[TestClient]:
    rules = AlertSettings(urls=[f"json://{hook.url.removeprefix('http://')}/hook"], every=None)
    with TestClient(create_app(migrated.model_copy(update={"alerts": rules}))) as client:
        yield client


def employees(drift: float, seed: int) -> pd.DataFrame:
    features, _ = example("attrition").load()
    rows = features.sample(300, random_state=seed)
    return shift_records(rows, input_schema_of(features), drift, np.random.default_rng(seed))


def titles(hook: Receiver) -> list[str]:
    return [message["body"]["title"] for message in hook.received]


def test_drift_is_notified_once_with_its_severity_and_columns(
    alerting_client: TestClient, hook: Receiver
) -> None:
    send(alerting_client, employees(0.5, seed=21))
    first = alerting_client.post("/v1/models/attrition/monitoring", params={"window": "1h"})
    assert first.status_code == 201
    assert first.json()["dataset_drift"]["drifted"] is True
    hook.wait_for(1)
    drift = [m for m in hook.received if m["body"]["title"].endswith("attrition: drift")]
    assert len(drift) == 1
    body = drift[0]["body"]
    assert drift[0]["path"] == "/hook"
    assert body["title"] == "[WARNING] shipyard: attrition: drift"
    assert body["type"] == "warning"
    assert "30 of 30 input columns drifted" in body["message"]
    worst = max(first.json()["columns"], key=lambda column: column["psi"])
    assert f"predictions of v1: {worst['column']}, " in body["message"]
    told = len(hook.received)
    again = alerting_client.post("/v1/models/attrition/monitoring", params={"window": "1h"})
    assert again.json()["dataset_drift"]["drifted"] is True
    assert len(hook.wait_for(told + 1, timeout=1.0)) == told  # still firing: not told again


def test_plain_traffic_raises_no_alert(alerting_client: TestClient, hook: Receiver) -> None:
    send(alerting_client, employees(0.0, seed=22))
    ran = alerting_client.post("/v1/models/attrition/monitoring", params={"window": "1h"})
    assert ran.json()["dataset_drift"]["drifted"] is False
    assert hook.wait_for(1, timeout=1.0) == []


def test_drift_that_ends_is_told_as_resolved(
    alerting_client: TestClient, hook: Receiver, migrated: Settings
) -> None:
    send(alerting_client, employees(0.5, seed=23))
    alerting_client.post("/v1/models/attrition/monitoring", params={"window": "1h"})
    hook.wait_for(1)
    runtime = alerting_client.app.state.runtime  # type: ignore[attr-defined]
    calm_report = runtime.latest_reports["attrition"].model_copy(
        update={
            "created_at": datetime.now(UTC),
            "dataset_drift": runtime.latest_reports["attrition"].dataset_drift.model_copy(
                update={"share": 0.0, "drifted": False, "drifted_columns": 0}
            ),
        }
    )
    runtime.report_done(calm_report)
    resolved = [t for t in titles(hook) if t.startswith("[RESOLVED]")]
    assert resolved == ["[RESOLVED] shipyard: attrition: drift"]
    assert hook.received[-1]["body"]["type"] == "success"


def test_an_alert_url_apprise_cannot_use_stops_the_start(migrated: Settings) -> None:
    rules = AlertSettings(urls=["notascheme://x"], every=None)
    with (
        pytest.raises(Exception, match="is not one apprise can send to"),
        TestClient(create_app(migrated.model_copy(update={"alerts": rules}))),
    ):
        pass
