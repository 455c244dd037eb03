"""The model registry: the only package that imports mlflow (and skops)."""

from shipyard.registry.store import LoadedArtifact, ModelRegistry, TrainingRun

__all__ = ["LoadedArtifact", "ModelRegistry", "TrainingRun"]
