"""The set of models a process serves, swapped atomically as a whole per model name."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from shipyard.domain.schema import FieldHint, InputSchema
from shipyard.errors import ModelNotFound, ModelNotLoaded
from shipyard.serving.choice import PredictorChoice
from shipyard.serving.predictor import Predictor
from shipyard.serving.records import RecordValidator


@dataclass(frozen=True)
class ServedModel:
    """One loaded version: a request reads this object once and uses it to the end."""

    name: str
    version: str
    predictor: Predictor
    validator: RecordValidator
    choice: PredictorChoice
    hints: Mapping[str, FieldHint] = field(default_factory=dict)
    """Per input field: a typical value, its categories, its range (for forms)."""

    @property
    def input_schema(self) -> InputSchema:
        return self.validator.schema


class ServedModels:
    """Name -> the version being served. Readers never lock; writers replace whole entries."""

    def __init__(self, names: list[str], default: str) -> None:
        self._names = tuple(names)
        self.default = default
        self._loaded: dict[str, ServedModel] = {}
        self._write_lock = threading.Lock()

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    def put(self, model: ServedModel) -> None:
        with self._write_lock:
            loaded = dict(self._loaded)
            loaded[model.name] = model
            self._loaded = loaded  # one reference assignment: readers see old or new, whole

    def get(self, name: str) -> ServedModel:
        if name not in self._names:
            raise ModelNotFound(name)
        served = self._loaded.get(name)
        if served is None:
            raise ModelNotLoaded(name)
        return served

    def loaded(self) -> dict[str, ServedModel]:
        return dict(self._loaded)

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def all_loaded(self) -> bool:
        return all(name in self._loaded for name in self._names)
