"""Predictors: a fitted classifier behind one small interface.

Records travel to a predictor as :data:`Columns`: one 1-D array per input field, in the
schema's order and typed as at training time. A batch of records from many requests is one
set of columns and one predict call; a file chunk becomes columns without a detour through
records.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.domain.prediction import Score
from shipyard.domain.schema import FieldType, InputSchema
from shipyard.errors import InvalidInput, Unavailable

Probabilities = np.ndarray[Any, np.dtype[np.float64]]
Columns = Mapping[str, np.ndarray[Any, Any]]

_DTYPES: dict[FieldType, Any] = {
    FieldType.INTEGER: np.int64,
    FieldType.NUMBER: np.float64,
    FieldType.BOOLEAN: np.bool_,
    FieldType.STRING: object,
}


class Predictor(Protocol):
    """Scores records. Implementations must be safe to call from several threads at once."""

    @property
    def classes(self) -> tuple[str, ...]: ...

    def predict_columns(self, columns: Columns) -> Probabilities:
        """One row of class probabilities (in ``classes`` order) per row of ``columns``."""
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


def frame_to_columns(frame: pd.DataFrame, schema: InputSchema) -> dict[str, np.ndarray[Any, Any]]:
    """Columns from a frame (a file chunk), checked and typed like records."""
    conformed = conform_frame(frame, schema)
    return {name: conformed[name].to_numpy() for name in schema.names}


_ARROW_TYPES: dict[FieldType, Any] = {
    FieldType.INTEGER: pa.int64(),
    FieldType.NUMBER: pa.float64(),
    FieldType.BOOLEAN: pa.bool_(),
    FieldType.STRING: pa.string(),
}


def arrow_to_columns(batch: pa.RecordBatch, schema: InputSchema) -> dict[str, np.ndarray[Any, Any]]:
    """Columns from an Arrow record batch (a chunk of a file), checked and typed like
    :func:`conform_frame`, without a pandas frame in between."""
    missing = [name for name in schema.names if name not in batch.schema.names]
    if missing:
        raise BadColumn(f"missing columns: {', '.join(missing)}")
    columns: dict[str, np.ndarray[Any, Any]] = {}
    for field in schema.fields:
        column = batch.column(field.name)
        if field.required:
            missing_rows = pc.is_null(column, nan_is_null=True)  # NaN is missing, as in pandas
            if pc.any(missing_rows).as_py():
                row = int(pc.index(missing_rows, True).as_py())
                raise BadColumn(f"column {field.name!r} is empty at row {row}; it is required")
        if field.type is FieldType.STRING and _is_text_dictionary(column.type):
            columns[field.name] = _texts(column)
            continue
        try:
            typed = column.cast(_ARROW_TYPES[field.type])
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise BadColumn(f"column {field.name!r} is not {field.type.value}: {error}") from None
        if field.type is FieldType.STRING:
            columns[field.name] = _texts(pc.dictionary_encode(typed))
            continue
        if typed.null_count and field.type in (FieldType.NUMBER, FieldType.INTEGER):
            typed = typed.cast(pa.float64())  # a missing optional number is NaN
        columns[field.name] = typed.to_numpy(zero_copy_only=False)
    return columns


def _is_text_dictionary(arrow_type: pa.DataType) -> bool:
    if not pa.types.is_dictionary(arrow_type):
        return False
    values: pa.DataType = arrow_type.value_type
    return bool(pa.types.is_string(values) or pa.types.is_large_string(values))


def _texts(encoded: pa.DictionaryArray) -> np.ndarray[Any, Any]:
    """A text column as Python strings, each distinct value made once.

    Converting every cell to a Python string costs most of a file chunk's time; a column of
    categories holds few distinct values, so they are converted once and picked by index. A
    missing value is ``None``.
    """
    distinct = encoded.dictionary.to_pylist()
    values = np.empty(len(distinct) + 1, dtype=object)
    values[: len(distinct)] = distinct
    indices = pc.fill_null(encoded.indices, len(distinct))
    picked: np.ndarray[Any, Any] = values[indices.to_numpy(zero_copy_only=False)]
    return picked


def records_to_columns(
    records: Sequence[Mapping[str, Any]], schema: InputSchema
) -> dict[str, np.ndarray[Any, Any]]:
    """Columns from records already validated against ``schema``.

    Built column by column in the training dtypes: several times cheaper than letting pandas
    infer types and converting them afterwards, which matters for one-row requests. A missing
    optional number becomes NaN (the column is then float64); a missing text stays ``None``.
    """
    columns: dict[str, np.ndarray[Any, Any]] = {}
    for field in schema.fields:
        values = [record.get(field.name) for record in records]
        dtype = _DTYPES[field.type]
        if not field.required and any(value is None for value in values):
            numeric = field.type in (FieldType.NUMBER, FieldType.INTEGER)
            dtype = np.float64 if numeric else object
            values = [np.nan if value is None and numeric else value for value in values]
        columns[field.name] = np.array(values, dtype=dtype)
    return columns


def scores_from_probabilities(
    probabilities: Probabilities, classes: tuple[str, ...]
) -> list[Score]:
    """One :class:`Score` per row: the most probable class and every class's probability."""
    best = probabilities.argmax(axis=1).tolist()
    rows = probabilities.tolist()
    return [
        Score(label=classes[label], probabilities=dict(zip(classes, row, strict=True)))
        for label, row in zip(best, rows, strict=True)
    ]


def predict_records(
    predictor: Predictor, records: Sequence[Mapping[str, Any]], schema: InputSchema
) -> list[Score]:
    probabilities = predictor.predict_columns(records_to_columns(records, schema))
    return scores_from_probabilities(probabilities, predictor.classes)


def checked(probabilities: Any) -> Probabilities:
    """Probabilities as float64, refusing NaN and infinities."""
    array = np.asarray(probabilities, dtype=np.float64)
    if not np.isfinite(array).all():
        raise NonFiniteOutput("the model returned non-finite probabilities")
    return array


def _fitted_parts(item: Any) -> Iterator[Any]:
    """The estimators a fitted one holds: a pipeline's steps, a column transformer's fitted
    transformers, a wrapped estimator."""
    for value in getattr(item, "__dict__", {}).values():
        elements = value if isinstance(value, list | tuple) else (value,)
        for element in elements:
            for part in element if isinstance(element, tuple) else (element,):
                if hasattr(part, "get_params"):
                    yield part


def learned_missing_text(estimator: Any) -> Any:
    """How the estimator's encoders learned a missing text: NaN (a frame read from a CSV
    file, shipyard's training data) unless they hold None and no NaN (a frame built from
    Python objects). scikit-learn's encoders tell the two apart: sent the other one, a
    learned "missing" category is scored as an unknown one."""
    learned: set[str] = set()
    pending, visited = [estimator], set()
    while pending:
        item = pending.pop()
        if id(item) in visited:
            continue
        visited.add(id(item))
        for categories in getattr(item, "categories_", None) or ():
            for value in np.asarray(categories, dtype=object).tolist():
                if value is None:
                    learned.add("none")
                elif isinstance(value, float) and value != value:
                    learned.add("nan")
        pending.extend(_fitted_parts(item))
    return None if learned == {"none"} else np.nan


def sklearn_frame(columns: Columns, missing_text: Any = np.nan) -> pd.DataFrame:
    """Columns as the frame scikit-learn is given, a missing text as ``missing_text`` (what
    the estimator learned: :func:`learned_missing_text`)."""
    frame = pd.DataFrame(columns, copy=False)
    if missing_text is None:  # columns carry a missing text as None already
        return frame
    for name, column in columns.items():
        if column.dtype == object and pd.isna(column).any():
            frame[name] = np.where(pd.isna(column), missing_text, column)
    return frame


class SklearnClassifier:
    """A scikit-learn classifier (any estimator with ``predict_proba`` and ``classes_``)."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        self._classes = tuple(str(label) for label in estimator.classes_)
        self._missing_text = learned_missing_text(estimator)

    @property
    def classes(self) -> tuple[str, ...]:
        return self._classes

    def predict_columns(self, columns: Columns) -> Probabilities:
        frame = sklearn_frame(columns, self._missing_text)
        return checked(self.estimator.predict_proba(frame))


class OriginalUnavailable(Unavailable):
    def __init__(self, reason: str) -> None:
        super().__init__(
            "these records need the original scikit-learn model, which could not be loaded: "
            f"{reason}"
        )


class DeferredClassifier:
    """The original estimator, deserialised on first use only.

    Behind the ONNX fast path it answers what the graph cannot take (a missing optional
    value); a server whose requests never need it never imports scikit-learn.
    """

    def __init__(self, load: Callable[[], Any], classes: tuple[str, ...]) -> None:
        self._load = load
        self._classes = classes
        self._loaded: SklearnClassifier | None = None
        self._failure: OriginalUnavailable | None = None
        self._lock = threading.Lock()

    @property
    def classes(self) -> tuple[str, ...]:
        return self._classes

    def predict_columns(self, columns: Columns) -> Probabilities:
        with self._lock:
            if self._loaded is None:
                if self._failure is not None:
                    raise self._failure
                try:
                    self._loaded = SklearnClassifier(self._load())
                except Exception as error:  # the server's fault, never the caller's: a 503
                    self._failure = OriginalUnavailable(str(error))
                    raise self._failure from error
        return self._loaded.predict_columns(columns)
