"""Models as the registry knows them: versions, aliases and evaluation metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shipyard.domain.schema import InputSchema


@dataclass(frozen=True, slots=True)
class ClassificationMetrics:
    roc_auc: float
    accuracy: float
    f1: float

    def as_dict(self) -> dict[str, float]:
        return {"roc_auc": self.roc_auc, "accuracy": self.accuracy, "f1": self.f1}


@dataclass(frozen=True, slots=True)
class ModelVersion:
    name: str
    version: str
    created_at: datetime
    aliases: tuple[str, ...] = ()
    run_id: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    input_schema: InputSchema | None = None


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    name: str
    aliases: dict[str, str]
    versions: tuple[ModelVersion, ...]
    description: str | None = None
