"""Load a registered version into something the server can answer with."""

from __future__ import annotations

from typing import Any

from shipyard.config import ServingSettings
from shipyard.errors import InvalidInput, Unavailable
from shipyard.registry import ModelRegistry
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import NonFiniteOutput, SklearnClassifier, predict_records
from shipyard.serving.records import RecordValidator


def load_served_model(
    registry: ModelRegistry, name: str, serving: ServingSettings, reference: str | None = None
) -> ServedModel:
    """The version behind ``reference`` (default: the serving alias), wrapped for serving."""
    artifact = registry.load(name, reference or serving.alias)
    served = ServedModel(
        name=name,
        version=artifact.version.version,
        predictor=SklearnClassifier(artifact.estimator),
        validator=RecordValidator(
            name, artifact.input_schema, max_rows=serving.max_rows_per_request
        ),
    )
    warm_up(served, artifact.input_example)
    return served


class WarmUpFailed(Unavailable):
    def __init__(self, name: str, version: str, reason: str) -> None:
        super().__init__(f"{name} v{version} failed its warm-up prediction: {reason}")


def warm_up(served: ServedModel, example: list[dict[str, Any]]) -> None:
    """Predict the logged input example once: the first request pays no cold start, and a
    version that cannot score its own example (or answers NaN) is never served."""
    if not example:
        return
    try:
        predict_records(served.predictor, example, served.input_schema)
    except (InvalidInput, NonFiniteOutput, ValueError, TypeError) as error:
        raise WarmUpFailed(served.name, served.version, str(error)) from error
