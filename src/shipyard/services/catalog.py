"""What the registry knows about the served models, with what this process serves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shipyard.domain.model import RegisteredModel
from shipyard.domain.schema import FieldHint, InputSchema
from shipyard.errors import ModelNotFound
from shipyard.services.runtime import Runtime
from shipyard.serving.choice import PredictorChoice


@dataclass(frozen=True)
class ModelDescription:
    registered: RegisteredModel
    served_version: str | None
    input_schema: InputSchema | None
    predictor: PredictorChoice | None = None
    hints: Mapping[str, FieldHint] = field(default_factory=dict)


def describe_model(runtime: Runtime, name: str) -> ModelDescription:
    if name not in runtime.models.names:
        raise ModelNotFound(name)
    served = runtime.models.loaded().get(name)
    return ModelDescription(
        registered=runtime.registry.get_model(name),
        served_version=served.version if served else None,
        input_schema=served.input_schema if served else None,
        predictor=served.choice if served else None,
        hints=served.hints if served else {},
    )


def describe_models(runtime: Runtime) -> list[ModelDescription]:
    """Every configured model, registered or not yet."""
    descriptions = []
    for name in runtime.models.names:
        try:
            descriptions.append(describe_model(runtime, name))
        except ModelNotFound:
            empty = RegisteredModel(name=name, aliases={}, versions=())
            descriptions.append(ModelDescription(empty, None, None))
    return descriptions
