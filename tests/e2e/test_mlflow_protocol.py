"""Clients of ``mlflow models serve`` work against shipyard unchanged: MLflow's own scoring
client, against a real server."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest
from mlflow.pyfunc.scoring_server.client import ScoringServerClient

from shipyard.db import open_database
from shipyard.domain.auth import Scope
from shipyard.services import keys
from shipyard.training.datasets import example
from tests.conftest import attrition_record
from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.e2e


def _mlflow_client(server: RunningServer) -> ScoringServerClient:
    address = urlsplit(server.url)
    return ScoringServerClient(address.hostname, address.port)


def test_mlflows_scoring_client_gets_the_labels_shipyard_logs(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server()
    client = _mlflow_client(server)
    client.wait_server_ready(timeout=30)  # polls /ping
    features, _ = example("attrition").load()
    rows = features.sample(25, random_state=4).reset_index(drop=True)

    answer = client.invoke(rows)  # sent as MLflow sends a DataFrame: dataframe_split
    labels = answer.get_predictions(predictions_format="dataframe")

    expected = httpx.post(
        f"{server.url}/v1/models/attrition/predict",
        json=rows.to_dict(orient="records"),
        timeout=30,
    ).json()["predictions"]
    assert labels.iloc[:, 0].tolist() == [p["label"] for p in expected]
    logged = httpx.get(f"{server.url}/v1/predictions", params={"limit": 100}, timeout=30).json()
    assert len(logged["items"]) == 50  # each record, through either protocol


@pytest.mark.parametrize(
    "shape",
    ["dataframe_records", "instances", "inputs"],
)
def test_every_json_format_of_mlflow_scores_the_same_records(
    start_server: Callable[..., RunningServer], shape: str
) -> None:
    server = start_server()
    rows = example("attrition").load()[0].sample(3, random_state=9)
    body = (
        {"inputs": rows.to_dict(orient="list")}
        if shape == "inputs"
        else {shape: rows.to_dict(orient="records")}
    )
    answer = httpx.post(f"{server.url}/invocations", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    expected = httpx.post(
        f"{server.url}/predict", json=rows.to_dict(orient="records"), timeout=30
    ).json()["predictions"]
    assert answer.json() == {"predictions": [p["label"] for p in expected]}


def test_invocations_take_keys_and_say_what_is_wrong_like_predict(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server(env={"SHIPYARD_AUTH__ENABLED": "true"})
    database = open_database(server.settings.resolved_database_url())
    key = keys.create_key(database, "mlflow-client", frozenset({Scope.PREDICT})).plaintext
    admin = keys.create_key(database, "operator", frozenset({Scope.ADMIN})).plaintext
    database.dispose()
    record = attrition_record()
    url = f"{server.url}/v1/models/attrition/invocations"

    assert httpx.post(url, json={"dataframe_records": [record]}, timeout=30).status_code == 401
    scored = httpx.post(
        url, json={"dataframe_records": [record]}, headers={"X-API-Key": key}, timeout=30
    )
    assert scored.status_code == 200
    wrong = httpx.post(
        url,
        json={"dataframe_records": [{**record, "Age": "forty"}]},
        headers={"X-API-Key": key},
        timeout=30,
    )
    assert wrong.status_code == 422
    assert "Age" in wrong.json()["detail"]
    metrics = httpx.get(f"{server.url}/metrics", headers={"X-API-Key": admin}, timeout=30).text
    route = 'route="/v1/models/{name}/invocations"'
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("shipyard_http_requests_total") and route in line
    ]
    assert {line.split('status="')[1].split('"')[0] for line in counted} == {"200", "401", "422"}
