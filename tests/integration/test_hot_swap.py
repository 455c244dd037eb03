"""A moved serving alias is served without a restart; a bad version never is."""

from __future__ import annotations

import warnings

import pytest
from fastapi.testclient import TestClient
from sklearn.linear_model import LogisticRegression

from shipyard.config import Settings
from shipyard.registry import ModelRegistry
from shipyard.services.runtime import registry_for
from shipyard.services.training import TrainingOptions, train_example
from shipyard.training.datasets import example
from tests.conftest import attrition_record, register_version
from tests.integration.test_metrics import samples, value
from tests.receiver import Receiver


@pytest.fixture
def client(alerting_client: TestClient) -> TestClient:
    return alerting_client


@pytest.fixture
def own_store(alerting_store: Settings) -> Settings:
    return alerting_store


def register_narrow_version(registry: ModelRegistry) -> str:
    """A version that takes two of the thirty fields: old clients' records would fail it."""
    features, target = example("attrition").load()
    narrow = features[["Age", "MonthlyIncome"]]
    return register_version(registry, LogisticRegression(max_iter=500).fit(narrow, target), narrow)


def predicted_version(client: TestClient) -> str:
    answer = client.post("/v1/models/attrition/predict", json=attrition_record())
    assert answer.status_code == 200, answer.text
    return str(answer.json()["predictions"][0]["version"])


def test_a_moved_alias_is_loaded_checked_and_served_without_a_restart(
    client: TestClient, own_store: Settings
) -> None:
    registry = registry_for(own_store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_example(
            registry, "attrition", TrainingOptions(algorithm="logistic", alias="challenger", seed=7)
        )
    assert predicted_version(client) == "1"
    unchanged = client.post("/v1/models/attrition/reload").json()
    assert (unchanged["swapped"], unchanged["served_version"]) == (False, "1")
    registry.set_alias("attrition", "champion", "2")
    moved = client.post("/v1/models/attrition/reload")
    assert moved.status_code == 200, moved.text
    assert moved.json() == {
        "model": "attrition",
        "served_version": "2",
        "target_version": "2",
        "swapped": True,
        "reason": "swapped",
    }
    assert predicted_version(client) == "2"
    assert client.get("/v1/models/attrition").json()["served_version"] == "2"
    assert value(samples(client), "shipyard_model_swaps_total", model="attrition") == 1


def test_a_version_old_records_would_fail_is_refused_and_the_old_one_stays(
    client: TestClient, own_store: Settings, hook: Receiver
) -> None:
    registry = registry_for(own_store)
    narrow = register_narrow_version(registry)
    registry.set_alias("attrition", "champion", narrow)
    refused = client.post("/v1/models/attrition/reload").json()
    assert refused["swapped"] is False
    assert refused["served_version"] == "1"
    assert "does not take every record v1 takes" in refused["reason"]
    assert predicted_version(client) == "1"
    (alert,) = hook.wait_for(1)
    assert alert["body"]["title"] == "[CRITICAL] shipyard: attrition: version refused"
    assert f"attrition v{narrow} was not served" in alert["body"]["message"]
    assert "v1 stays served" in alert["body"]["message"]
    again = client.post("/v1/models/attrition/reload").json()
    assert again["reason"] == "refused before"
    assert len(hook.wait_for(2, timeout=1.0)) == 1  # told once
    found = samples(client)
    assert value(found, "shipyard_model_loads_total", version=narrow, outcome="failed") == 1


def test_an_unreachable_registry_changes_nothing_for_callers(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # refused at once, no backoff
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    runtime.registry = ModelRegistry("http://127.0.0.1:9")  # a registry whose server is down
    looked = client.post("/v1/models/attrition/reload")
    assert looked.status_code == 503
    assert "the model registry is unavailable" in looked.json()["detail"]
    assert predicted_version(client) == "1"
