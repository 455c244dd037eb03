"""Predictors: a fitted classifier behind one small interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from shipyard.domain.prediction import Score
from shipyard.domain.schema import FieldType, InputSchema
from shipyard.errors import InvalidInput

Probabilities = np.ndarray[Any, np.dtype[np.float64]]

_DTYPES: dict[FieldType, Any] = {
    FieldType.INTEGER: "int64",
    FieldType.NUMBER: "float64",
    FieldType.BOOLEAN: "bool",
    FieldType.STRING: object,
}


class Predictor(Protocol):
    """Scores records. Implementations must be safe to call from several threads at once."""

    @property
    def classes(self) -> tuple[str, ...]: ...

    def predict_frame(self, frame: pd.DataFrame) -> Probabilities:
        """One row of class probabilities (in ``classes`` order) per row of ``frame``."""
        ...


class NonFiniteOutput(ValueError):
    """The model produced NaN or infinite probabilities: never served."""


class BadColumn(InvalidInput):
    pass


def conform_frame(frame: pd.DataFrame, schema: InputSchema) -> pd.DataFrame:
    """The schema's columns, in order, typed as at training time; a clear error otherwise."""
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise BadColumn(f"missing columns: {', '.join(missing)}")
    conformed = frame.loc[:, list(schema.names)].copy()
    for field in schema.fields:
        column = conformed[field.name]
        if column.isna().any():
            if field.required:
                row = int(np.flatnonzero(column.isna().to_numpy())[0])
                raise BadColumn(f"column {field.name!r} is empty at row {row}; it is required")
            continue
        try:
            conformed[field.name] = column.astype(_DTYPES[field.type])
        except (TypeError, ValueError) as error:
            raise BadColumn(f"column {field.name!r} is not {field.type.value}: {error}") from None
    return conformed


def records_to_frame(records: Sequence[dict[str, Any]], schema: InputSchema) -> pd.DataFrame:
    """A frame from records already validated against ``schema``.

    Built column by column in the training dtypes: several times cheaper than letting pandas
    infer types and converting them afterwards, which matters for one-row requests.
    """
    columns: dict[str, Any] = {}
    for field in schema.fields:
        values = [record.get(field.name) for record in records]
        dtype = _DTYPES[field.type]
        if not field.required and any(value is None for value in values):
            numeric = field.type in (FieldType.NUMBER, FieldType.INTEGER)
            dtype = np.float64 if numeric else object
            values = [np.nan if value is None and numeric else value for value in values]
        columns[field.name] = np.array(values, dtype=dtype)
    return pd.DataFrame(columns, copy=False)


def scores_from_probabilities(
    probabilities: Probabilities, classes: tuple[str, ...]
) -> list[Score]:
    """One :class:`Score` per row: the most probable class and every class's probability."""
    best = probabilities.argmax(axis=1)
    return [
        Score(
            label=classes[int(best[row])],
            probabilities={
                label: float(p) for label, p in zip(classes, probabilities[row], strict=True)
            },
        )
        for row in range(probabilities.shape[0])
    ]


def predict_records(
    predictor: Predictor, records: Sequence[dict[str, Any]], schema: InputSchema
) -> list[Score]:
    probabilities = predictor.predict_frame(records_to_frame(records, schema))
    return scores_from_probabilities(probabilities, predictor.classes)


class SklearnClassifier:
    """A scikit-learn classifier (any estimator with ``predict_proba`` and ``classes_``)."""

    def __init__(self, estimator: Any) -> None:
        self._estimator = estimator
        self._classes = tuple(str(label) for label in estimator.classes_)

    @property
    def classes(self) -> tuple[str, ...]:
        return self._classes

    def predict_frame(self, frame: pd.DataFrame) -> Probabilities:
        probabilities = np.asarray(self._estimator.predict_proba(frame), dtype=np.float64)
        if not np.isfinite(probabilities).all():
            raise NonFiniteOutput("the model returned non-finite probabilities")
        return probabilities
