"""Clients of Triton, KServe and MLServer work against shipyard unchanged: NVIDIA's own
``tritonclient`` (HTTP) speaks the Open Inference Protocol to a real server with keys on.

One server per database serves the whole module; each test mints keys of its own, so the
predictions a test reads back are its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
import pandas as pd
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from shipyard.db import open_database
from shipyard.domain.auth import parse_scopes
from shipyard.services import keys
from shipyard.training.datasets import example
from tests.conftest import make_settings, temporary_postgres_database
from tests.e2e.conftest import RunningServer, launch_server, stop

pytestmark = pytest.mark.e2e

MODEL = "attrition"
INFER_ROUTE = 'route="/v2/models/{name}/infer"'
DATATYPES = {"integer": "INT64", "number": "FP64", "boolean": "BOOL", "string": "BYTES"}
NUMPY_TYPES = {"INT64": np.int64, "FP64": np.float64, "BOOL": np.bool_, "BYTES": np.object_}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, trained_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    log_dir = tmp_path_factory.mktemp("open-inference")
    with ExitStack() as stack:
        database_url = (
            f"sqlite:///{log_dir / 'log.db'}"
            if request.param == "sqlite"
            else stack.enter_context(temporary_postgres_database())
        )
        running = launch_server(
            make_settings(trained_store, database_url),
            log_dir,
            env={"SHIPYARD_AUTH__ENABLED": "true"},
        )
        stack.callback(stop, running.process)  # stopped before its database is dropped
        yield running


def mint(server: RunningServer, name: str, scopes: str = "predict,read") -> dict[str, str]:
    """The headers of a new key: its caller sees only the predictions it made."""
    database = open_database(server.settings.resolved_database_url())
    try:
        key = keys.create_key(database, name, parse_scopes(scopes)).plaintext
    finally:
        database.dispose()
    return {"X-API-Key": key}


def client_of(server: RunningServer) -> triton.InferenceServerClient:
    return triton.InferenceServerClient(url=urlsplit(server.url).netloc)


def rows(count: int, seed: int) -> pd.DataFrame:
    features, _ = example(MODEL).load()
    return features.sample(count, random_state=seed).reset_index(drop=True)


def tensors(
    metadata: dict[str, Any], frame: pd.DataFrame, *, binary_data: bool = False
) -> list[triton.InferInput]:
    """One input per tensor the model metadata lists, as a Triton user builds them."""
    inputs = []
    for described in metadata["inputs"]:
        datatype = described["datatype"]
        values = frame[described["name"]].to_numpy().astype(NUMPY_TYPES[datatype])
        tensor = triton.InferInput(described["name"], [len(frame)], datatype)
        inputs.append(tensor.set_data_from_numpy(values, binary_data=binary_data))
    return inputs


def refusal(call: Callable[[], object]) -> tuple[str | None, str]:
    """The status and the error's name, as tritonclient shows them; the message goes on to
    say what is wrong (the protocol's ``error`` is the whole message)."""
    with pytest.raises(InferenceServerException) as raised:
        call()
    name, separator, detail = str(raised.value.message()).partition(": ")
    assert separator
    assert detail
    return raised.value.status(), name


def test_tritonclient_sees_a_live_ready_server_and_the_models_tensors(
    server: RunningServer,
) -> None:
    client = client_of(server)
    key = mint(server, "metadata-reader", "read")

    assert client.is_server_live()  # probes need no key, as /livez and /readyz
    assert client.is_server_ready()
    assert client.is_model_ready(MODEL)
    assert client.is_model_ready(MODEL, model_version="1")
    assert not client.is_model_ready(MODEL, model_version="7")
    assert not client.is_model_ready("no-such-model")
    shipyard_version = httpx.get(f"{server.url}/health", timeout=30).json()["shipyard_version"]
    assert client.get_server_metadata() == {
        "name": "shipyard",
        "version": shipyard_version,
        "extensions": [],
    }

    metadata = client.get_model_metadata(MODEL, headers=key)
    described = httpx.get(f"{server.url}/v1/models/{MODEL}", headers=key, timeout=30).json()
    assert metadata["name"] == MODEL
    assert metadata["versions"] == [described["served_version"]] == ["1"]
    assert [(t["name"], t["datatype"], t["shape"]) for t in metadata["inputs"]] == [
        (field["name"], DATATYPES[field["type"]], [-1]) for field in described["input_schema"]
    ]
    assert metadata["outputs"] == [
        {"name": "label", "datatype": "BYTES", "shape": [-1]},
        {
            "name": "probabilities",
            "datatype": "FP64",
            "shape": [-1, 2],
            # JSON-encoded: the protocol's parameter values are strings, numbers or booleans.
            "parameters": {"classes": '["No", "Yes"]'},
        },
        {"name": "prediction_id", "datatype": "BYTES", "shape": [-1]},
    ]
    assert client.get_model_metadata(MODEL, model_version="1", headers=key) == metadata
    # Metadata takes the access of GET /v1/models/{name}: a key with predict or read.
    assert refusal(lambda: client.get_model_metadata(MODEL)) == ("401", "Unauthenticated")
    assert refusal(lambda: client.get_model_metadata(MODEL, model_version="7", headers=key)) == (
        "404",
        "VersionNotServed",
    )


def test_tritonclient_infers_what_predict_answers_and_every_record_is_logged(
    server: RunningServer,
) -> None:
    client = client_of(server)
    key = mint(server, "triton-user")
    metadata = client.get_model_metadata(MODEL, headers=key)
    frame = rows(4, seed=11)

    # No outputs named: tritonclient asks for all of them in binary; they come back as JSON.
    result = client.infer(
        MODEL,
        tensors(metadata, frame),
        request_id="order-7",
        headers={**key, "X-Request-ID": "triton-order-7"},
    )

    expected = httpx.post(
        f"{server.url}/v1/models/{MODEL}/predict",
        json=frame.to_dict(orient="records"),
        headers=key,
        timeout=30,
    ).json()["predictions"]
    answer = result.get_response()
    assert (answer["model_name"], answer["model_version"], answer["id"]) == (MODEL, "1", "order-7")
    classes = json.loads(result.get_output("probabilities")["parameters"]["classes"])
    assert classes == ["No", "Yes"]
    assert result.as_numpy("label").tolist() == [p["label"] for p in expected]
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (4, 2)
    assert probabilities.ravel().tolist() == pytest.approx(
        [p["probabilities"][label] for p in expected for label in classes], abs=1e-12
    )

    logged = httpx.get(
        f"{server.url}/v1/predictions", params={"limit": 100}, headers=key, timeout=30
    ).json()["items"]
    assert len(logged) == 8  # each record, through either protocol
    by_id = {item["id"]: item for item in logged}
    for prediction_id, label, record in zip(
        result.as_numpy("prediction_id").tolist(),
        result.as_numpy("label").tolist(),
        frame.to_dict(orient="records"),
        strict=True,
    ):
        row = by_id[prediction_id]
        assert (row["label"], row["request_id"]) == (label, "triton-order-7")
        assert row["inputs"] == record


def test_outputs_asked_for_come_back_alone_and_retries_add_no_rows(server: RunningServer) -> None:
    client = client_of(server)
    key = mint(server, "careful-user")
    metadata = client.get_model_metadata(MODEL, headers=key)
    inputs = tensors(metadata, rows(2, seed=5))

    only_labels = client.infer(
        MODEL,
        inputs,
        model_version="1",
        outputs=[triton.InferRequestedOutput("label", binary_data=False)],
        headers=key,
    )
    assert [output["name"] for output in only_labels.get_response()["outputs"]] == ["label"]
    assert only_labels.as_numpy("probabilities") is None

    retry = {**key, "Idempotency-Key": "order-8"}
    asked = [  # binary_data=True: JSON it is
        triton.InferRequestedOutput("prediction_id"),
        triton.InferRequestedOutput("probabilities"),
    ]
    first = client.infer(MODEL, inputs, outputs=asked, headers=retry)
    again = client.infer(MODEL, inputs, outputs=asked, headers=retry)
    assert again.as_numpy("prediction_id").tolist() == first.as_numpy("prediction_id").tolist()
    # The replay (read back from the database) keeps the metadata's class order.
    replayed = again.get_output("probabilities")
    assert replayed["parameters"] == metadata["outputs"][1]["parameters"]
    assert again.as_numpy("probabilities").tolist() == first.as_numpy("probabilities").tolist()
    logged = httpx.get(f"{server.url}/v1/predictions", headers=key, timeout=30).json()["items"]
    assert len(logged) == 4  # two records, twice: the retry added nothing


def test_refusals_reach_a_tritonclient_user_as_status_and_error_name(
    server: RunningServer,
) -> None:
    client = client_of(server)
    key = mint(server, "clumsy-user")
    metadata = client.get_model_metadata(MODEL, headers=key)
    frame = rows(2, seed=3)
    assert client.infer(MODEL, tensors(metadata, frame), headers=key).as_numpy("label") is not None

    assert refusal(lambda: client.infer(MODEL, tensors(metadata, frame))) == (
        "401",
        "Unauthenticated",
    )
    assert refusal(lambda: client.infer("churn", tensors(metadata, frame), headers=key)) == (
        "404",
        "ModelNotFound",
    )
    # tritonclient's default: the tensors as binary data after the JSON.
    binary = tensors(metadata, frame, binary_data=True)
    # (a copy of the headers: tritonclient adds Inference-Header-Content-Length to the dict)
    assert refusal(lambda: client.infer(MODEL, binary, headers=dict(key))) == (
        "415",
        "BinaryTensorData",
    )
    unknown = [triton.InferRequestedOutput("score", binary_data=False)]
    assert refusal(
        lambda: client.infer(MODEL, tensors(metadata, frame), outputs=unknown, headers=key)
    ) == (
        "422",
        "UnknownOutputs",
    )
    ages = triton.InferInput("Age", [2], "FP64").set_data_from_numpy(
        frame["Age"].to_numpy().astype(np.float64), binary_data=False
    )
    wrong = [ages if tensor.name() == "Age" else tensor for tensor in tensors(metadata, frame)]
    with pytest.raises(InferenceServerException) as raised:
        client.infer(MODEL, wrong, headers=key)
    # What a tritonclient user reads: what is wrong and what to send instead.
    assert raised.value.message() == (
        "WrongDatatype: input 'Age' is sent as FP64; the model takes it as INT64 (integers)"
    )

    # The body keeps shipyard's fields too. (The same request, as tritonclient sends it: no
    # Content-Type.)
    body, _ = triton.InferenceServerClient.generate_request_body(wrong)
    url = f"{server.url}/v2/models/{MODEL}/infer"
    refused = httpx.post(url, content=body, headers=key, timeout=30)
    assert refused.status_code == 422
    assert refused.json() == {
        "error": "WrongDatatype: input 'Age' is sent as FP64; the model takes it as INT64 "
        "(integers)",
        "detail": "input 'Age' is sent as FP64; the model takes it as INT64 (integers)",
    }
    # Any declared type other than JSON is refused, so a plain HTML form cannot post here.
    as_form = httpx.post(
        url, content=body, headers={**key, "Content-Type": "text/plain"}, timeout=30
    )
    assert as_form.status_code == 415
    assert as_form.json()["error"].startswith("UnsupportedMediaType: ")
    not_json = httpx.post(url, content=b"inputs=Age", headers=key, timeout=30)
    assert not_json.status_code == 422
    assert not_json.json()["detail"] == "the body is not valid JSON"

    logged = httpx.get(f"{server.url}/v1/predictions", headers=key, timeout=30).json()["items"]
    assert len(logged) == 2  # nothing of the refused requests

    admin = mint(server, "operator", "admin")
    metrics = httpx.get(f"{server.url}/metrics", headers=admin, timeout=30).text
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("shipyard_http_requests_total") and INFER_ROUTE in line
    ]
    statuses = {line.split('status="')[1].split('"')[0] for line in counted}
    assert {"200", "401", "404", "415", "422"} <= statuses


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_inference_has_its_request_log_line(
    start_server: Callable[..., RunningServer],
) -> None:
    # A server of its own (auth off): its log is read once it has stopped, whole.
    own = start_server(env={"SHIPYARD_LOG_FORMAT": "json"})
    client = client_of(own)
    inputs = tensors(client.get_model_metadata(MODEL), rows(3, seed=8))
    client.infer(MODEL, inputs, headers={"X-Request-ID": "triton-logged"})
    stop(own.process)

    lines = [json.loads(line) for line in own.log().splitlines() if line.startswith("{")]
    (line,) = [line for line in lines if line.get("request_id") == "triton-logged"]
    assert (line["event"], line["route"], line["status"]) == (
        "request",
        "/v2/models/{name}/infer",
        200,
    )
    assert (line["model"], line["version"], line["records"]) == (MODEL, "1", 3)
