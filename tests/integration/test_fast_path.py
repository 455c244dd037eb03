"""The ONNX fast path on the trained attrition model, through the registry and the API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shipyard.api.app import create_app
from shipyard.config import ServingSettings, Settings
from shipyard.services.loading import load_served_model
from shipyard.services.runtime import registry_for
from shipyard.services.training import TrainingOptions
from shipyard.serving.choice import PARITY_TOLERANCE
from shipyard.serving.predictor import SklearnClassifier, frame_to_columns
from shipyard.training.datasets import example
from shipyard.training.evaluation import stratified_split
from tests.conftest import make_settings

pytestmark = pytest.mark.integration


def test_the_onnx_path_gives_the_same_labels_as_sklearn_on_the_holdout(
    trained_store: Path,
) -> None:
    settings = Settings(data_dir=trained_store)
    registry = registry_for(settings)
    served = load_served_model(registry, "attrition", settings.serving)
    assert served.choice.kind == "onnx", served.choice.reason
    options = TrainingOptions()
    features, target = example("attrition").load()
    split = stratified_split(features, target, test_size=options.test_size, seed=options.seed)
    # The parity check ran on the training rows logged with the version.
    assert served.choice.parity_rows == len(split.train_features)

    columns = frame_to_columns(split.test_features, served.input_schema)
    fast = served.predictor.predict_columns(columns)
    original = SklearnClassifier(registry.load("attrition", "champion").estimator)
    expected = original.predict_columns(columns)
    assert len(fast) == len(split.test_features) > 300
    assert (fast.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert abs(fast - expected).max() <= PARITY_TOLERANCE


def test_the_model_page_says_which_predictor_answers_and_why(
    trained_store: Path, tmp_path: Path
) -> None:
    for onnx, kind in (("auto", "onnx"), ("off", "sklearn")):
        settings = make_settings(
            trained_store,
            f"sqlite:///{tmp_path / f'{onnx}.db'}",
            serving=ServingSettings(onnx=onnx),
        )
        with TestClient(create_app(settings)) as client:
            predictor = client.get("/v1/models/attrition").json()["predictor"]
        assert predictor["kind"] == kind
        if kind == "onnx":
            assert predictor["reason"].startswith("converted at training")
            assert predictor["max_probability_difference"] <= PARITY_TOLERANCE
        else:
            assert predictor["reason"] == "the ONNX fast path is off (serving.onnx)"


def test_a_server_of_the_converted_graph_never_imports_scikit_learn(trained_store: Path) -> None:
    """The graph logged at training is checked against the answers logged with it: serving
    it needs onnxruntime only (seconds of start-up and ~150 MB less per worker)."""
    script = f"""
import sys
import shipyard.api.app  # every route and schedule, the retrain policy's too
from shipyard.config import Settings
from shipyard.services.loading import load_served_model
from shipyard.services.runtime import registry_for
from shipyard.serving.predictor import predict_records
from tests.conftest import attrition_record
settings = Settings(data_dir={str(trained_store)!r})
served = load_served_model(registry_for(settings), "attrition", settings.serving)
score = predict_records(served.predictor, [attrition_record()], served.input_schema)[0]
print(served.choice.kind, score.label, "sklearn" in sys.modules, "skops" in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    kind, label, sklearn_loaded, skops_loaded = result.stdout.split()
    assert (kind, sklearn_loaded, skops_loaded) == ("onnx", "False", "False")
    assert label in {"Yes", "No"}
