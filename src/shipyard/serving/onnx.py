"""The ONNX fast path: a scikit-learn model converted with skl2onnx, run by onnxruntime.

For the one-record requests of a web service most of a pipeline's time is per-call overhead
in scikit-learn (validating and converting each column of a small frame), not arithmetic:
the converted graph answers the same record in a fraction of the time. It is only served
after it proves it answers like the original (see :mod:`shipyard.serving.choice`).

Needs the ``onnx`` extra (``pip install 'shipyard[onnx]'``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from shipyard.domain.schema import FieldType, InputSchema
from shipyard.serving.predictor import Columns, Predictor, Probabilities, checked

_COLUMN_DTYPES: dict[FieldType, Any] = {
    FieldType.INTEGER: np.dtype(np.int64),
    FieldType.NUMBER: np.dtype(np.float64),
    FieldType.BOOLEAN: np.dtype(np.bool_),
    FieldType.STRING: np.dtype(object),
}
PROBABILITIES_OUTPUT = "probabilities"
MATRIX_INPUT = "features"


class ConversionFailed(Exception):
    """skl2onnx or onnxruntime could not take this model; the reason is the message."""


@dataclass(frozen=True)
class GraphInputs:
    """How records enter the graph.

    ``columns``: one input per field, named as the field (pipelines whose ColumnTransformer
    picks columns by name). ``matrix``: one numeric matrix, fields in schema order (a bare
    estimator). Numbers go in as doubles when the graph takes them, else as floats, which
    tree ensembles need in ONNX-ML; the parity check says whether that precision is enough.
    """

    layout: Literal["columns", "matrix"]
    number_dtype: Any

    @classmethod
    def named(cls, layout: str, number_dtype: str) -> GraphInputs:
        """From the names a logged graph was saved with."""
        if layout not in ("columns", "matrix") or number_dtype not in ("float64", "float32"):
            raise ConversionFailed(f"unknown graph inputs: {layout} of {number_dtype}")
        return cls("columns" if layout == "columns" else "matrix", np.dtype(number_dtype))

    def describe(self) -> str:
        precision = "float64" if self.number_dtype == np.float64 else "float32"
        return f"{self.layout} of {precision}"


def input_layouts(schema: InputSchema) -> Iterator[GraphInputs]:
    """The layouts to try, most exact first."""
    for number_dtype in (np.dtype(np.float64), np.dtype(np.float32)):
        yield GraphInputs("columns", number_dtype)
    if all(field.type is not FieldType.STRING for field in schema.fields):
        for number_dtype in (np.dtype(np.float64), np.dtype(np.float32)):
            yield GraphInputs("matrix", number_dtype)


def _initial_types(schema: InputSchema, inputs: GraphInputs) -> list[tuple[str, Any]]:
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    number = DoubleTensorType if inputs.number_dtype == np.float64 else FloatTensorType
    if inputs.layout == "matrix":
        return [(MATRIX_INPUT, number([None, len(schema.fields)]))]
    tensor_types = {
        FieldType.INTEGER: Int64TensorType,
        FieldType.NUMBER: number,
        FieldType.BOOLEAN: BooleanTensorType,
        FieldType.STRING: StringTensorType,
    }
    return [(field.name, tensor_types[field.type]([None, 1])) for field in schema.fields]


def _final_estimator(estimator: Any) -> Any:
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else ""


def convert(estimator: Any, schema: InputSchema, inputs: GraphInputs) -> bytes:
    """The estimator as a serialised ONNX graph taking ``inputs``."""
    from skl2onnx import convert_sklearn

    try:
        model = convert_sklearn(
            estimator,
            initial_types=_initial_types(schema, inputs),
            # A plain probability matrix, not a list of {class: probability} maps.
            options={id(_final_estimator(estimator)): {"zipmap": False}},
        )
    # skl2onnx signals an unsupported model with many exception types (RuntimeError,
    # NotImplementedError, ValueError, TypeError, its own MissingShapeCalculator, ...).
    except Exception as error:
        raise ConversionFailed(f"{type(error).__name__}: {_first_line(error)}") from error
    outputs = [output.name for output in model.graph.output]
    if PROBABILITIES_OUTPUT not in outputs:
        raise ConversionFailed(f"the converted graph has no probabilities output ({outputs})")
    serialised: bytes = model.SerializeToString()
    return serialised


def _missing_values(column: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """NaN in a float column, None in an object one; nothing can be missing in the others."""
    if column.dtype.kind == "f":
        nan: np.ndarray[Any, np.dtype[np.bool_]] = np.isnan(column)
        return nan
    if column.dtype.kind == "O":
        return np.fromiter((value is None for value in column), bool, len(column))
    return np.zeros(len(column), dtype=bool)


class OnnxClassifier:
    """Runs a converted model. Columns it cannot take as typed (a missing optional value),
    or a call the runtime refuses, go to ``fallback``: the original estimator."""

    def __init__(
        self,
        graph: bytes,
        schema: InputSchema,
        inputs: GraphInputs,
        classes: tuple[str, ...],
        fallback: Predictor,
        *,
        native_threads: int,
    ) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = native_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 4  # failures reach the caller as exceptions, not stderr
        try:
            self._session = onnxruntime.InferenceSession(
                graph, options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own Fail types
            raise ConversionFailed(f"onnxruntime: {_first_line(error)}") from error
        self.graph = graph
        self.inputs = inputs
        self._classes = classes
        self._expected = {field.name: _COLUMN_DTYPES[field.type] for field in schema.fields}
        self._numbers = [f.name for f in schema.fields if f.type is FieldType.NUMBER]
        # Validated records never leave a required text empty: no need to scan those.
        self._may_be_missing = [
            f.name for f in schema.fields if not (f.required and f.type is FieldType.STRING)
        ]
        self._fallback = fallback
        self.fallbacks = 0
        """Calls the graph failed and the original estimator answered."""

    @property
    def classes(self) -> tuple[str, ...]:
        return self._classes

    def missing(self, columns: Columns) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Rows with a missing value (an optional field left out, or NaN): the graph never
        saw those in its parity check, so the original estimator answers them."""
        mask = np.zeros(len(next(iter(columns.values()))), dtype=bool)
        for name in self._may_be_missing:
            mask |= _missing_values(columns[name])
        return mask

    def rows(self, columns: Columns, rows: np.ndarray[Any, Any]) -> dict[str, Any]:
        """``columns`` restricted to ``rows``, each back in its training dtype where the
        selected rows allow it: the columns these rows would have had in a batch of their
        own (a missing value elsewhere in the batch turns an integer column into floats)."""
        selected: dict[str, Any] = {}
        for name, expected in self._expected.items():
            column = columns[name][rows]
            if column.dtype != expected and not _missing_values(column).any():
                column = column.astype(expected)
            selected[name] = column
        return selected

    def _feed(self, columns: Columns) -> dict[str, np.ndarray[Any, Any]]:
        number_dtype = self.inputs.number_dtype
        if self.inputs.layout == "matrix":
            matrix = np.column_stack([columns[name] for name in self._expected])
            return {MATRIX_INPUT: matrix.astype(number_dtype, copy=False)}
        feed = {name: columns[name].reshape(-1, 1) for name in self._expected}
        if number_dtype != np.float64:
            for name in self._numbers:
                feed[name] = feed[name].astype(number_dtype)
        return feed

    def predict_columns(self, columns: Columns) -> Probabilities:
        missing = self.missing(columns)
        if not missing.any():
            return self._run(columns)
        if missing.all():
            return self._fallback.predict_columns(columns)
        probabilities = np.empty((len(missing), len(self._classes)), dtype=np.float64)
        complete = ~missing
        probabilities[complete] = self._run(self.rows(columns, complete))
        probabilities[missing] = self._fallback.predict_columns(self.rows(columns, missing))
        return probabilities

    def _run(self, columns: Columns) -> Probabilities:
        try:
            (probabilities,) = self._session.run([PROBABILITIES_OUTPUT], self._feed(columns))
        except Exception:  # onnxruntime's Fail/InvalidArgument: the original model decides
            self.fallbacks += 1
            return self._fallback.predict_columns(columns)
        # The graph may compute in float32; in float64 each row sums to 1 again.
        rows = np.asarray(probabilities, dtype=np.float64)
        return checked(rows / rows.sum(axis=1, keepdims=True))
