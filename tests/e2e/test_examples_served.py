"""One server answers the three examples at once, each with its own schema, batcher and
reference data: attrition and credit (tabular, trained) and sentiment (text, pretrained)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
import tritonclient.http as triton

from shipyard.services.runtime import registry_for
from shipyard.training.datasets import PRETRAINED, example
from tests.conftest import EXAMPLE_MODELS, attrition_record
from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.e2e

SERVE_ALL = {"SHIPYARD_SERVING__MODELS": json.dumps(list(EXAMPLE_MODELS))}
FRENCH = [
    "Je suis très content de cette journée magnifique avec mes amis",
    "Le service était vraiment horrible et beaucoup trop lent",
    "Nous allons au marché demain matin acheter des légumes",
    "Quelle belle surprise, merci pour ce cadeau",
]


@pytest.fixture
def server(start_server: Callable[..., RunningServer], examples_store: Path) -> RunningServer:
    return start_server(env=SERVE_ALL, store=examples_store)


def _predict(server: RunningServer, model: str, body: object) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/models/{model}/predict", json=body, timeout=30)


def test_one_server_answers_all_three_models(server: RunningServer) -> None:
    listed = httpx.get(f"{server.url}/v1/models", timeout=30).json()["items"]
    assert {m["name"]: m["served_version"] for m in listed} == {
        "attrition": "1",
        "credit": "1",
        "sentiment": "1",
    }
    credit = example("credit").load()[0].dropna().iloc[0].to_dict()
    credit_gaps = {**credit, "Income": None, "Home": None}

    attrition = _predict(server, "attrition", attrition_record())
    loans = _predict(server, "credit", [credit, credit_gaps])
    texts = _predict(
        server, "sentiment", [{"text": "What a great, happy day!"}, {"text": "Awful. I hate it."}]
    )

    assert attrition.status_code == loans.status_code == texts.status_code == 200
    assert attrition.json()["predictions"][0]["label"] in {"Yes", "No"}
    assert [set(p["probabilities"]) for p in loans.json()["predictions"]] == [{"bad", "good"}] * 2
    assert [p["label"] for p in texts.json()["predictions"]] == ["positive", "negative"]
    assert {p["model"] for p in texts.json()["predictions"]} == {"sentiment"}


def test_each_model_has_and_checks_its_own_schema(server: RunningServer) -> None:
    wrong_model = _predict(server, "sentiment", attrition_record())
    not_text = _predict(server, "sentiment", {"text": 42})
    credit = example("credit").load()[0].dropna().iloc[0].to_dict()
    missing_required = _predict(server, "credit", {**credit, "Seniority": None})

    assert wrong_model.status_code == 422
    assert "unknown field" in wrong_model.text
    assert "field required" in wrong_model.text  # text
    assert not_text.status_code == 422
    assert "valid string" in not_text.json()["detail"]
    assert missing_required.status_code == 422
    assert "Seniority" in missing_required.json()["detail"]
    sentiment = httpx.get(f"{server.url}/v1/models/sentiment", timeout=30).json()
    credit_page = httpx.get(f"{server.url}/v1/models/credit", timeout=30).json()
    assert [f["name"] for f in sentiment["input_schema"]] == ["text"]
    optional = {f["name"] for f in credit_page["input_schema"] if not f["required"]}
    assert {"Income", "Home"} <= optional


def test_text_drift_is_measured_on_descriptors_and_label_shares(server: RunningServer) -> None:
    registry = registry_for(server.settings)
    reference = registry.reference_data(registry.resolve("sentiment", "champion"))
    assert reference is not None
    corpus = PRETRAINED["sentiment"].load_corpus()["text"]
    unseen = corpus[~corpus.isin(set(reference["text"]))]  # tweets the reference never saw
    tweets = unseen.sample(400, random_state=11).tolist()
    for start in range(0, len(tweets), 100):
        answer = _predict(server, "sentiment", [{"text": t} for t in tweets[start : start + 100]])
        assert answer.status_code == 200
    like_reference = httpx.post(
        f"{server.url}/v1/models/sentiment/monitoring", params={"window": "1h"}, timeout=120
    )
    for _ in range(100):
        assert _predict(server, "sentiment", [{"text": t} for t in FRENCH]).status_code == 200
    shifted = httpx.post(
        f"{server.url}/v1/models/sentiment/monitoring", params={"window": "1h"}, timeout=120
    )

    assert like_reference.status_code == shifted.status_code == 201
    before = {c["column"]: c for c in like_reference.json()["columns"]}
    after = {c["column"]: c for c in shifted.json()["columns"]}
    descriptors = {"text: length", "text: out-of-vocabulary rate"}
    assert set(before) == set(after) == descriptors
    assert {c["kind"] for c in after.values()} == {"text"}
    assert not any(c["drifted"] for c in before.values()), before
    assert after["text: out-of-vocabulary rate"]["drifted"]
    prediction = shifted.json()["prediction"]
    assert set(prediction["current_label_shares"]) == {"negative", "neutral", "positive"}
    assert prediction["reference_label_shares"]["positive"] == pytest.approx(0.55, abs=0.03)


def test_mlflow_and_triton_clients_reach_every_model(server: RunningServer) -> None:
    texts = np.array(["Such a lovely, wonderful morning!", "This is a disaster."], dtype=object)
    triton_client = triton.InferenceServerClient(urlsplit(server.url).netloc)
    text_input = triton.InferInput("text", [2], "BYTES").set_data_from_numpy(
        texts, binary_data=False
    )
    inferred = triton_client.infer(
        "sentiment", [text_input], outputs=[triton.InferRequestedOutput("label", binary_data=False)]
    )
    applicants = example("credit").load()[0].iloc[26:30]  # row 29 lacks Income: sent as null
    invoked = httpx.post(
        f"{server.url}/v1/models/credit/invocations",
        content=applicants.to_json(orient="split", index=False).join(['{"dataframe_split": ', "}"]),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    through_v1 = _predict(
        server, "credit", json.loads(applicants.to_json(orient="records"))
    ).json()["predictions"]

    assert inferred.as_numpy("label").tolist() == ["positive", "negative"]
    assert applicants["Income"].isna().sum() == 1
    assert invoked.status_code == 200
    assert invoked.json()["predictions"] == [p["label"] for p in through_v1]
