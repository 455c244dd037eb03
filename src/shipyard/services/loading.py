"""Load a registered version into something the server can answer with."""

from __future__ import annotations

from typing import Any

import numpy as np

from shipyard.config import ServingSettings
from shipyard.errors import InvalidInput, Unavailable
from shipyard.registry import LoadedArtifact, ModelRegistry
from shipyard.serving.choice import PredictorChoice, choose_predictor, stored_graph_predictor
from shipyard.serving.hints import field_hints
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import (
    BadColumn,
    DeferredClassifier,
    NonFiniteOutput,
    Predictor,
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
    predictor, choice = _predictor_for(artifact, serving)
    served = ServedModel(
        name=name,
        version=artifact.version.version,
        predictor=predictor,
        validator=RecordValidator(
            name, artifact.input_schema, max_rows=serving.max_rows_per_request
        ),
        choice=choice,
        hints=field_hints(artifact.input_schema, artifact.reference_data),
    )
    warm_up(served, artifact.input_example)
    return served


def _predictor_for(
    artifact: LoadedArtifact, serving: ServingSettings
) -> tuple[Predictor, PredictorChoice]:
    """The graph converted at training when it still checks out (scikit-learn is then only
    loaded if ever needed); else convert now, or serve the estimator as it is."""
    reference = _reference_columns(artifact)
    export = artifact.onnx
    if serving.onnx == "auto" and export is not None:
        fallback = DeferredClassifier(artifact.estimator_loader(), export.classes)
        stored = stored_graph_predictor(
            export.graph,
            (export.layout, export.number_dtype),
            export.classes,
            export.expected,
            artifact.input_schema,
            reference,
            fallback,
            native_threads=serving.native_threads,
        )
        if stored is not None:
            return stored
    return choose_predictor(
        artifact.estimator,
        artifact.input_schema,
        reference,
        mode=serving.onnx,
        native_threads=serving.native_threads,
    )


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
