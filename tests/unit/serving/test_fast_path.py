"""Choosing the ONNX fast path: real skl2onnx conversions and real onnxruntime sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from shipyard.domain.schema import FieldType, InputField, InputSchema
from shipyard.serving.choice import (
    PARITY_TOLERANCE,
    choose_predictor,
    stored_graph_predictor,
)
from shipyard.serving.onnx import OnnxClassifier
from shipyard.serving.predictor import (
    DeferredClassifier,
    SklearnClassifier,
    frame_to_columns,
    predict_records,
    records_to_columns,
)

MIXED = InputSchema(
    (
        InputField("size", FieldType.NUMBER),
        InputField("rooms", FieldType.INTEGER),
        InputField("colour", FieldType.STRING),
        InputField("note", FieldType.STRING, required=False),
    )
)


def _mixed_frame(rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "size": rng.normal(50, 20, rows),
            "rooms": rng.integers(1, 6, rows),
            "colour": rng.choice(["red", "blue", "green"], rows),
            "note": rng.choice(["a", "b"], rows),
        }
    )
    score = frame["size"] / 20 + frame["rooms"] - (frame["colour"] == "red") * 2
    return frame, np.where(score + rng.normal(0, 1, rows) > 4.5, "yes", "no")


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    frame, target = _mixed_frame(400)
    return Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        ("text", OneHotEncoder(handle_unknown="ignore"), ["colour", "note"]),
                        ("numbers", StandardScaler(), ["size", "rooms"]),
                    ]
                ),
            ),
            ("clf", LogisticRegression()),
        ]
    ).fit(frame, target)


def test_a_pipeline_that_converts_and_agrees_is_served_by_onnx(pipeline: Pipeline) -> None:
    reference, _ = _mixed_frame(300, seed=1)
    predictor, choice = choose_predictor(
        pipeline, MIXED, frame_to_columns(reference, MIXED), mode="auto", native_threads=1
    )
    assert choice.kind == "onnx"
    assert choice.parity_rows == 300
    assert choice.max_probability_difference is not None
    assert choice.max_probability_difference <= PARITY_TOLERANCE
    # Unseen data: the same labels as scikit-learn, probabilities within the tolerance.
    holdout, _ = _mixed_frame(500, seed=2)
    columns = frame_to_columns(holdout, MIXED)
    fast = predictor.predict_columns(columns)
    original = SklearnClassifier(pipeline).predict_columns(columns)
    assert (fast.argmax(axis=1) == original.argmax(axis=1)).all()
    assert np.abs(fast - original).max() <= PARITY_TOLERANCE
    assert fast.sum(axis=1) == pytest.approx(np.ones(500), abs=1e-12)


def test_records_the_graph_cannot_take_are_answered_by_the_original(pipeline: Pipeline) -> None:
    reference, _ = _mixed_frame(100, seed=1)
    predictor, choice = choose_predictor(
        pipeline, MIXED, frame_to_columns(reference, MIXED), mode="auto", native_threads=1
    )
    assert choice.kind == "onnx"
    records = [{"size": 40.0, "rooms": 2, "colour": "blue", "note": None}]
    expected = SklearnClassifier(pipeline).predict_columns(records_to_columns(records, MIXED))
    assert predict_records(predictor, records, MIXED)[0].probabilities == dict(
        zip(("no", "yes"), expected[0].tolist(), strict=True)
    )


def test_a_graph_that_answers_differently_is_not_served() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 400), rng.normal(1e7, 1e3, 400)
    frame = pd.DataFrame({"a": a, "b": b})
    target = np.where(a + (b - 1e7) / 1e3 > 0, "yes", "no")
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(frame, target)
    schema = InputSchema((InputField("a", FieldType.NUMBER), InputField("b", FieldType.NUMBER)))
    predictor, choice = choose_predictor(
        forest, schema, {"a": a, "b": b}, mode="auto", native_threads=1
    )
    assert choice.kind == "sklearn"
    assert "answers differently on the reference data" in choice.reason
    assert choice.max_probability_difference is not None
    assert choice.max_probability_difference > PARITY_TOLERANCE
    assert isinstance(predictor, SklearnClassifier)


class _Handmade(ClassifierMixin, BaseEstimator):
    """A classifier skl2onnx has no converter for."""

    def fit(self, frame: pd.DataFrame, target: np.ndarray) -> _Handmade:
        self.classes_ = np.unique(target)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full((len(frame), len(self.classes_)), 1 / len(self.classes_))


def test_a_model_that_does_not_convert_is_served_as_it_is() -> None:
    schema = InputSchema((InputField("a", FieldType.NUMBER),))
    model = _Handmade().fit(pd.DataFrame({"a": [1.0, 2.0]}), np.array(["x", "y"]))
    predictor, choice = choose_predictor(
        model, schema, {"a": np.array([1.0, 2.0])}, mode="auto", native_threads=1
    )
    assert (choice.kind, isinstance(predictor, SklearnClassifier)) == ("sklearn", True)
    assert choice.reason.startswith("ONNX conversion failed as columns of float64:")


def test_off_or_without_reference_rows_the_original_serves(pipeline: Pipeline) -> None:
    reference, _ = _mixed_frame(10)
    _, off = choose_predictor(
        pipeline, MIXED, frame_to_columns(reference, MIXED), mode="off", native_threads=1
    )
    assert (off.kind, off.reason) == ("sklearn", "the ONNX fast path is off (serving.onnx)")
    _, unchecked = choose_predictor(pipeline, MIXED, {}, mode="auto", native_threads=1)
    assert unchecked.kind == "sklearn"
    assert "no reference rows" in unchecked.reason


def test_a_stored_graph_serves_only_if_it_still_gives_the_logged_answers(
    pipeline: Pipeline,
) -> None:
    reference, _ = _mixed_frame(200, seed=1)
    columns = frame_to_columns(reference, MIXED)
    converted, _ = choose_predictor(pipeline, MIXED, columns, mode="auto", native_threads=1)
    assert isinstance(converted, OnnxClassifier)
    expected = SklearnClassifier(pipeline).predict_columns(columns)
    loads: list[int] = []

    def load() -> Pipeline:
        loads.append(1)
        return pipeline

    def stored(answers: np.ndarray) -> object:
        fallback = DeferredClassifier(load, converted.classes)
        return stored_graph_predictor(
            converted.graph,
            (converted.inputs.layout, str(converted.inputs.number_dtype)),
            converted.classes,
            answers,
            MIXED,
            columns,
            fallback,
            native_threads=1,
        )

    served = stored(expected)
    assert served is not None
    predictor, choice = served
    assert choice.kind == "onnx"
    assert choice.reason.startswith("converted at training")
    assert loads == []  # the original estimator was never needed
    # A record the graph cannot take goes to the original, loaded then.
    record = [{"size": 40.0, "rooms": 2, "colour": "blue", "note": None}]
    predict_records(predictor, record, MIXED)
    assert loads == [1]
    # Answers that no longer match what was logged: not served (the caller converts afresh).
    shifted = expected.copy()
    shifted[0] = shifted[0][::-1]
    assert stored(shifted) is None


def test_rows_with_missing_values_do_not_change_their_neighbours_answers(
    pipeline: Pipeline,
) -> None:
    """In a shared call, a record with a missing optional value goes to the original model
    and the others stay on the graph: each answer is what the record gets on its own."""
    reference, _ = _mixed_frame(100, seed=1)
    predictor, choice = choose_predictor(
        pipeline, MIXED, frame_to_columns(reference, MIXED), mode="auto", native_threads=1
    )
    assert choice.kind == "onnx"
    complete = {"size": 40.0, "rooms": 2, "colour": "blue", "note": "a"}
    partial = {"size": 61.5, "rooms": 4, "colour": "red", "note": None}
    together = predict_records(predictor, [complete, partial, complete], MIXED)
    alone = [predict_records(predictor, [record], MIXED)[0] for record in (complete, partial)]
    assert together == [alone[0], alone[1], alone[0]]


def test_an_original_model_that_cannot_load_is_a_server_fault_reported_once() -> None:
    from shipyard.errors import Unavailable

    calls: list[int] = []

    def broken() -> object:
        calls.append(1)
        raise ValueError("untrusted types in model.skops")

    deferred = DeferredClassifier(broken, ("no", "yes"))
    for _ in range(2):
        with pytest.raises(Unavailable, match="could not be loaded: untrusted types"):
            deferred.predict_columns({"a": np.array([1.0])})
    assert calls == [1]


def test_without_the_onnx_extra_the_pipeline_serves_and_says_how_to_get_it(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def without_onnx(name: str, *args: object) -> object:
        return None if name in {"skl2onnx", "onnxruntime"} else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_onnx)
    reference, _ = _mixed_frame(50, seed=1)
    predictor, choice = choose_predictor(
        pipeline, MIXED, frame_to_columns(reference, MIXED), mode="auto", native_threads=1
    )
    assert isinstance(predictor, SklearnClassifier)
    assert choice.reason == "the onnx extra is not installed: pip install 'shipyard[onnx]'"
