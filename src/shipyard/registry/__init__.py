"""The model registry: the only package that imports mlflow (and skops)."""

from shipyard.registry.store import (
    REFERENCE_DATA_MAX_ROWS,
    LoadedArtifact,
    ModelRegistry,
    OnnxExport,
    TrainingRun,
    input_schema_of,
)

__all__ = [
    "REFERENCE_DATA_MAX_ROWS",
    "LoadedArtifact",
    "ModelRegistry",
    "OnnxExport",
    "TrainingRun",
    "input_schema_of",
]
