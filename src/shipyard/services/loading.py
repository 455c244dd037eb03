"""Load a registered version into something the server can answer with."""

from __future__ import annotations

from typing import Any

import numpy as np

from shipyard.config import ServingSettings
from shipyard.errors import InvalidInput, Unavailable
from shipyard.registry import LoadedArtifact, ModelRegistry
from shipyard.serving.choice import choose_predictor
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import (
    BadColumn,
    NonFiniteOutput,
    frame_to_columns,
    predict_records,
    records_to_columns,
)
from shipyard.serving.records import RecordValidator


def load_served_model(
    registry: ModelRegistry, name: str, serving: ServingSettings, reference: str | None = None
) -> ServedModel:
    """The version behind ``reference`` (default: the serving alias), wrapped for serving."""
    artifact = registry.load(name, reference or serving.alias)
    predictor, choice = choose_predictor(
        artifact.estimator,
        artifact.input_schema,
        _reference_columns(artifact),
        mode=serving.onnx,
        native_threads=serving.native_threads,
    )
    served = ServedModel(
        name=name,
        version=artifact.version.version,
        predictor=predictor,
        validator=RecordValidator(
            name, artifact.input_schema, max_rows=serving.max_rows_per_request
        ),
        choice=choice,
    )
    warm_up(served, artifact.input_example)
    return served


def _reference_columns(artifact: LoadedArtifact) -> dict[str, np.ndarray[Any, Any]]:
    """Rows to check a faster predictor against: the version's reference data, else its
    input example; no rows when neither fits the schema."""
    try:
        if artifact.reference_data is not None:
            return frame_to_columns(artifact.reference_data, artifact.input_schema)
        if artifact.input_example:
            return records_to_columns(artifact.input_example, artifact.input_schema)
    except BadColumn:
        pass
    return {}


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
