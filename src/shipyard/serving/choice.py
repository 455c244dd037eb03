"""Which predictor serves a version: the ONNX fast path when it answers like the original.

The converted graph is checked against the scikit-learn pipeline on the version's reference
data (rows of its training data, logged with it) before it serves anything: the same label
for every row and every probability within :data:`PARITY_TOLERANCE`. Any failure keeps the
original estimator and says why.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from shipyard.domain.schema import InputSchema
from shipyard.serving.predictor import Columns, Predictor, Probabilities, SklearnClassifier

if TYPE_CHECKING:
    from shipyard.serving.onnx import OnnxClassifier

PARITY_TOLERANCE = 1e-5
OnnxMode = Literal["auto", "off"]


@dataclass(frozen=True)
class PredictorChoice:
    """What answers for a served version, and why (shown by ``GET /v1/models/{name}``)."""

    kind: Literal["onnx", "sklearn"]
    reason: str
    parity_rows: int = 0
    max_probability_difference: float | None = None


def _onnx_installed() -> bool:
    return all(importlib.util.find_spec(name) for name in ("skl2onnx", "onnxruntime"))


def choose_predictor(
    estimator: Any,
    schema: InputSchema,
    reference: Columns,
    *,
    mode: OnnxMode,
    native_threads: int,
) -> tuple[Predictor, PredictorChoice]:
    """The fastest predictor that answers like ``estimator`` on ``reference``."""
    original = SklearnClassifier(estimator)
    if mode == "off":
        return original, PredictorChoice("sklearn", "the ONNX fast path is off (serving.onnx)")
    if not _onnx_installed():
        return original, PredictorChoice(
            "sklearn", "the onnx extra is not installed: pip install 'shipyard[onnx]'"
        )
    from shipyard.serving.onnx import ConversionFailed, OnnxClassifier, convert, input_layouts

    if not reference or not len(next(iter(reference.values()))):
        return original, PredictorChoice(
            "sklearn", "no reference rows to check an ONNX graph against"
        )
    failures: list[str] = []
    for inputs in input_layouts(schema):
        try:
            fast = OnnxClassifier(
                convert(estimator, schema, inputs),
                schema,
                inputs,
                original.classes,
                original,
                native_threads=native_threads,
            )
        except ConversionFailed as failure:
            failures.append(f"as {inputs.describe()}: {failure}")
            continue
        complete = ~fast.missing(reference)
        if not complete.any():
            return original, PredictorChoice(
                "sklearn", "every reference row has a missing value: the graph is unchecked"
            )
        rows = fast.rows(reference, complete)
        actual = fast.predict_columns(rows)
        if not fast.fallbacks:
            try:
                expected = original.predict_columns(rows)
            except (ValueError, TypeError) as error:
                return original, PredictorChoice(
                    "sklearn", f"the pipeline cannot score its reference rows: {error}"
                )
            return _parity(original, fast, expected, actual, "converted with skl2onnx")
        failures.append(f"as {inputs.describe()}: onnxruntime refused the reference rows")
    return original, PredictorChoice("sklearn", "ONNX conversion failed " + "; ".join(failures))


def stored_graph_predictor(
    graph: bytes,
    inputs_named: tuple[str, str],
    classes: tuple[str, ...],
    expected: Probabilities,
    schema: InputSchema,
    reference: Columns,
    fallback: Predictor,
    *,
    native_threads: int,
) -> tuple[Predictor, PredictorChoice] | None:
    """The graph converted when the version was trained, if it still answers here as the
    original did then (``expected``, on the same reference rows). None: convert afresh.
    ``inputs_named``: the layout and number type the graph was saved with.

    Needs onnxruntime only: scikit-learn is not imported unless ``fallback`` is used.
    """
    from shipyard.serving.onnx import ConversionFailed, GraphInputs, OnnxClassifier

    if importlib.util.find_spec("onnxruntime") is None:
        return None
    try:
        inputs = GraphInputs.named(*inputs_named)
        fast = OnnxClassifier(
            graph, schema, inputs, classes, fallback, native_threads=native_threads
        )
    except ConversionFailed:
        return None
    count = len(next(iter(reference.values()))) if reference else 0
    if count == 0 or count != len(expected):
        return None
    complete = ~fast.missing(reference)
    if not complete.any():
        return None
    actual = fast.predict_columns(fast.rows(reference, complete))
    if fast.fallbacks:
        return None
    predictor, choice = _parity(fallback, fast, expected[complete], actual, "converted at training")
    return (predictor, choice) if choice.kind == "onnx" else None


def _parity(
    original: Predictor,
    fast: OnnxClassifier,
    expected: Probabilities,
    actual: Probabilities,
    origin: str,
) -> tuple[Predictor, PredictorChoice]:
    rows = len(expected)
    difference = float(np.abs(expected - actual).max())
    mismatched = int((expected.argmax(axis=1) != actual.argmax(axis=1)).sum())
    if mismatched or not difference <= PARITY_TOLERANCE:  # NaN fails too
        return original, PredictorChoice(
            "sklearn",
            f"the ONNX graph answers differently on the reference data: {mismatched} of "
            f"{rows} labels differ, max |Δ probability| {difference:.2e} "
            f"(tolerance {PARITY_TOLERANCE:g})",
            parity_rows=rows,
            max_probability_difference=difference,
        )
    return fast, PredictorChoice(
        "onnx",
        f"{origin} ({fast.inputs.describe()} inputs); same labels on {rows} "
        f"reference rows, max |Δ probability| {difference:.2e}",
        parity_rows=rows,
        max_probability_difference=difference,
    )
