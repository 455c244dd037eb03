"""docs/models.md's "bring your own model" example, run as written: a model logged with
MLflow by a user's own code is served by shipyard, beside the examples."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard.config import ServingSettings
from shipyard.registry import ModelRegistry
from shipyard.services.loading import load_served_model
from shipyard.serving.predictor import predict_records

pytestmark = pytest.mark.integration

DOC = Path(__file__).parents[2] / "docs" / "models.md"


def _python_example() -> str:
    section = DOC.read_text().split("## Bring your own model", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return code


def test_the_documented_model_is_served_with_the_schema_its_signature_gives(
    tmp_path: Path,
) -> None:
    # A fresh process, in a fresh folder: the example sets MLflow's global tracking URI.
    done = subprocess.run(
        [sys.executable, "-c", _python_example()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    registry = ModelRegistry(f"sqlite:///{tmp_path / '.shipyard' / 'mlflow.db'}")
    served = load_served_model(registry, "iris", ServingSettings(models=["iris"]))

    assert served.input_schema.names == (
        "Sepal.Length",
        "Sepal.Width",
        "Petal.Length",
        "Petal.Width",
    )
    assert served.predictor.classes == ("setosa", "versicolor", "virginica")
    assert served.choice.kind == "onnx"  # checked against the logged reference data
    record = {"Sepal.Length": 5.1, "Sepal.Width": 3.5, "Petal.Length": 1.4, "Petal.Width": 0.2}
    (answer,) = predict_records(served.predictor, [record], served.input_schema)
    assert answer.label == "setosa"
    version = registry.resolve("iris", "champion")
    reference = registry.reference_data(version)
    assert reference is not None
    assert len(reference) == 150
