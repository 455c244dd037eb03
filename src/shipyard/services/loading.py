"""Load a registered version into something the server can answer with."""

from __future__ import annotations

from shipyard.config import ServingSettings
from shipyard.registry import ModelRegistry
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import SklearnClassifier
from shipyard.serving.records import RecordValidator


def load_served_model(
    registry: ModelRegistry, name: str, serving: ServingSettings, reference: str | None = None
) -> ServedModel:
    """The version behind ``reference`` (default: the serving alias), wrapped for serving."""
    artifact = registry.load(name, reference or serving.alias)
    return ServedModel(
        name=name,
        version=artifact.version.version,
        predictor=SklearnClassifier(artifact.estimator),
        validator=RecordValidator(
            name, artifact.input_schema, max_rows=serving.max_rows_per_request
        ),
    )
