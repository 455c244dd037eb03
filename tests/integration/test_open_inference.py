"""The Open Inference Protocol through the app: its probes say what ``/livez`` and ``/readyz``
say; answers keep the metadata's class order, replayed too; gaps in optional fields; errors
under a mount. (Its clients, against a real server: tests/e2e/test_open_inference.py.)"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.http as triton
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from shipyard.api.app import create_app
from shipyard.config import ServingSettings, Settings
from shipyard.db import open_database, upgrade_database
from shipyard.training.datasets import example
from tests.conftest import attrition_record, count_rows, infer_body, make_settings

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


def test_an_empty_outputs_list_is_refused_before_anything_is_scored_or_logged(
    client: TestClient, migrated: Settings
) -> None:
    url = "/v2/models/attrition/infer"
    refused = client.post(url, json={**infer_body(attrition_record()), "outputs": []})
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        '"outputs" is empty: name at least one output (label, probabilities, prediction_id), '
        'or leave "outputs" out for all of them'
    )
    assert refused.json()["error"] == f"InvalidInferRequest: {refused.json()['detail']}"
    assert count_rows(migrated) == 0
    assert client.post(url, json=infer_body(attrition_record())).status_code == 200
    assert count_rows(migrated) == 1


def test_mounted_under_a_prefix_the_v2_errors_still_carry_their_detail(
    migrated: Settings,
) -> None:
    # As `shipyard serve --dashboard` (and `shipyard dashboard --with-api`) serve it: the API
    # mounted at /api, its paths /api/v2/... (see shipyard.dashboard.hosting.one_port_app).
    api = create_app(migrated)

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        async with api.router.lifespan_context(api):
            yield

    outer = Starlette(routes=[Mount("/api", app=api)], lifespan=lifespan)
    with TestClient(outer) as client:
        unknown = client.get("/api/v2/models/churn/ready")
        assert unknown.status_code == 404
        assert unknown.json()["error"] == f"ModelNotFound: {unknown.json()['detail']}"
        refused = client.post("/api/v2/models/attrition/infer", json={"inputs": []})
        assert refused.status_code == 422
        assert refused.json()["error"] == f"InvalidInferRequest: {refused.json()['detail']}"
        no_route = client.get("/api/v2/models/attrition/nothing")
        assert no_route.status_code == 404
        assert no_route.json()["error"] == f"NotFound: {no_route.json()['detail']}"
        # Elsewhere, the name alone, as without the mount.
        assert client.get("/api/v1/models/churn").json()["error"] == "ModelNotFound"
        assert client.get("/api/v2/models/attrition/ready").json()["ready"] is True


def test_refusals_before_the_app_carry_their_detail_on_v2_too(client: TestClient) -> None:
    too_large = client.post(
        "/v2/models/attrition/infer",
        content=b"x",
        headers={"Content-Type": "application/json", "Content-Length": str(10**9)},
    )
    nul = client.get("/v2/models/attrition", params={"x": "\x00"})
    elsewhere = client.get("/v1/models/attrition", params={"x": "\x00"})

    assert too_large.status_code == 413
    assert too_large.json()["error"] == f"BodyTooLarge: {too_large.json()['detail']}"
    assert nul.status_code == 422
    assert nul.json()["error"] == f"NulInRequest: {nul.json()['detail']}"
    assert elsewhere.json()["error"] == "NulInRequest"


@pytest.fixture
def examples(examples_store: Path, database_url: str) -> Iterator[TestClient]:
    """The API serving credit (optional fields) and sentiment (three classes)."""
    settings = make_settings(
        examples_store, database_url, serving=ServingSettings(models=["credit", "sentiment"])
    )
    database = open_database(settings.resolved_database_url())
    upgrade_database(database)
    database.dispose()
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_replayed_answer_keeps_the_class_order_of_the_metadata(examples: TestClient) -> None:
    # sentiment's classes, sorted, are not in the order PostgreSQL's JSONB keeps the keys of
    # the stored answer in ("neutral" is shorter): the replay still answers the metadata's.
    metadata = examples.get("/v2/models/sentiment").json()
    (_, described, _) = metadata["outputs"]
    assert described["parameters"] == {"classes": '["negative", "neutral", "positive"]'}
    body = {
        "inputs": [
            {
                "name": "text",
                "datatype": "BYTES",
                "shape": [2],
                "data": ["What a wonderful, happy day", "This is awful and sad"],
            }
        ],
        "outputs": [{"name": "probabilities"}, {"name": "label"}],
    }
    headers = {"Idempotency-Key": "sentiment-1"}
    first = examples.post("/v2/models/sentiment/infer", json=body, headers=headers)
    again = examples.post("/v2/models/sentiment/infer", json=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json() == again.json()
    probabilities, labels = again.json()["outputs"]
    assert probabilities["parameters"] == described["parameters"]
    classes = json.loads(probabilities["parameters"]["classes"])
    rows = [probabilities["data"][:3], probabilities["data"][3:]]
    assert [classes[row.index(max(row))] for row in rows] == labels["data"]
    assert labels["data"] == ["positive", "negative"]


def test_gaps_in_optional_fields_arrive_as_null_or_nan_and_are_logged_missing(
    examples: TestClient,
) -> None:
    metadata = examples.get("/v2/models/credit").json()
    features, _ = example("credit").load()
    frame = features.dropna().head(2).reset_index(drop=True).astype({"Home": object})
    frame.loc[0, "Income"] = np.nan  # numpy's gap in a float column
    frame.loc[1, "Home"] = None  # and a text's
    numpy_types = {"INT64": np.int64, "FP64": np.float64, "BOOL": np.bool_, "BYTES": np.object_}
    inputs = []
    for described in metadata["inputs"]:
        values = frame[described["name"]].to_numpy().astype(numpy_types[described["datatype"]])
        given = triton.InferInput(described["name"], [2], described["datatype"])
        inputs.append(given.set_data_from_numpy(values, binary_data=False))
    sent, _ = triton.InferenceServerClient.generate_request_body(inputs)
    body = json.loads(sent)
    tensors = {tensor["name"]: tensor for tensor in body["inputs"]}
    # tritonclient sends the float gap as NaN, but the text one as the string "None" (and a
    # NaN in a text column as "nan"): a category the model never saw.
    assert math.isnan(tensors["Income"]["data"][0])
    assert tensors["Home"]["data"][1] == "None"

    url = "/v2/models/credit/infer"
    as_tritonclient_sends = examples.post(url, content=sent)
    assert as_tritonclient_sends.status_code == 200
    tensors["Home"]["data"][1] = None  # sent as raw JSON instead: null
    as_raw_json = examples.post(url, content=json.dumps(body))  # NaN: json.dumps writes it
    assert as_raw_json.status_code == 200

    logged = examples.get("/v1/predictions", params={"model": "credit"}).json()["items"]
    by_id = {item["id"]: item["inputs"] for item in logged}
    for answer, home in ((as_tritonclient_sends, "None"), (as_raw_json, None)):
        first, second = answer.json()["outputs"][2]["data"]
        assert by_id[first]["Income"] is None
        assert by_id[second]["Home"] == home
    # Each missing value is scored as a gap, as /predict scores null.
    predicted = examples.post(
        "/v1/models/credit/predict", json=[by_id[first], by_id[second]]
    ).json()["predictions"]
    (_, probabilities, _) = as_raw_json.json()["outputs"]
    assert probabilities["data"] == pytest.approx(
        [p["probabilities"][c] for p in predicted for c in ("bad", "good")], abs=1e-12
    )


def test_a_required_field_refuses_a_gap(examples: TestClient) -> None:
    body = {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [2], "data": ["ok", None]}]}
    refused = examples.post("/v2/models/sentiment/infer", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == [1, "text"]
