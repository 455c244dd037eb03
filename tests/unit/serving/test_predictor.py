"""The predictor with a tiny real scikit-learn model (no mocks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shipyard.domain.schema import FieldType, InputField, InputSchema
from shipyard.errors import InvalidInput
from shipyard.serving.predictor import (
    NonFiniteOutput,
    SklearnClassifier,
    conform_frame,
    predict_records,
    records_to_columns,
)
from tests.unit.serving.sizes import SCHEMA, sizes_pipeline


@pytest.fixture(scope="module")
def classifier() -> SklearnClassifier:
    return SklearnClassifier(sizes_pipeline())


def test_scores_name_the_most_probable_class(classifier: SklearnClassifier) -> None:
    scores = predict_records(
        classifier,
        [{"size": 1.5, "colour": "red"}, {"size": 8.5, "colour": "blue"}],
        SCHEMA,
    )
    assert [s.label for s in scores] == ["small", "big"]
    for score in scores:
        assert set(score.probabilities) == {"big", "small"}
        assert sum(score.probabilities.values()) == pytest.approx(1.0)
        assert score.probabilities[score.label] == max(score.probabilities.values())


def test_classes_come_from_the_estimator(classifier: SklearnClassifier) -> None:
    assert classifier.classes == ("big", "small")


def test_conform_frame_orders_and_types_columns() -> None:
    frame = pd.DataFrame({"colour": ["red"], "size": [3], "extra": [1]})
    conformed = conform_frame(frame, SCHEMA)
    assert list(conformed.columns) == ["size", "colour"]
    assert conformed["size"].dtype == np.float64


def test_conform_frame_says_which_column_is_missing_or_empty() -> None:
    with pytest.raises(InvalidInput, match="missing columns: colour"):
        conform_frame(pd.DataFrame({"size": [1.0]}), SCHEMA)
    with pytest.raises(InvalidInput, match="'size' is empty at row 1"):
        conform_frame(pd.DataFrame({"size": [1.0, None], "colour": ["a", "b"]}), SCHEMA)
    with pytest.raises(InvalidInput, match="'size' is not number"):
        conform_frame(pd.DataFrame({"size": ["big"], "colour": ["a"]}), SCHEMA)


class _BrokenEstimator:
    classes_ = np.array(["a", "b"])

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full((len(frame), 2), np.nan)


def test_non_finite_probabilities_are_never_returned() -> None:
    with pytest.raises(NonFiniteOutput):
        SklearnClassifier(_BrokenEstimator()).predict_columns({"size": np.array([1.0])})


def test_records_become_columns_with_training_dtypes() -> None:
    schema = InputSchema(
        (
            InputField("n", FieldType.INTEGER),
            InputField("x", FieldType.NUMBER),
            InputField("s", FieldType.STRING),
            InputField("maybe", FieldType.INTEGER, required=False),
        )
    )
    columns = records_to_columns(
        [{"n": 1, "x": 2, "s": "a", "maybe": None}, {"n": 3, "x": 4.5, "s": "b", "maybe": 7}],
        schema,
    )
    assert list(columns) == ["n", "x", "s", "maybe"]
    assert [str(columns[c].dtype) for c in ("n", "x", "maybe")] == ["int64", "float64", "float64"]
    assert columns["s"].tolist() == ["a", "b"]
    assert np.isnan(columns["maybe"]).tolist() == [True, False]


def test_arrow_batches_refuse_missing_required_values_nan_included() -> None:
    import pyarrow as pa

    from shipyard.serving.predictor import arrow_to_columns

    with pytest.raises(InvalidInput, match="'size' is empty at row 1"):
        arrow_to_columns(
            pa.record_batch({"size": [1.0, float("nan")], "colour": ["a", "b"]}), SCHEMA
        )
    with pytest.raises(InvalidInput, match="'colour' is empty at row 0"):
        arrow_to_columns(
            pa.record_batch({"size": [1.0], "colour": pa.array([None], pa.string())}), SCHEMA
        )
    columns = arrow_to_columns(pa.record_batch({"colour": ["a"], "size": [3]}), SCHEMA)
    assert columns["size"].dtype == np.float64
    assert columns["colour"].tolist() == ["a"]


def test_arrow_text_becomes_python_strings_whether_dictionary_encoded_or_not() -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from shipyard.serving.predictor import arrow_to_columns

    schema = InputSchema(
        (InputField("colour", FieldType.STRING), InputField("shade", FieldType.STRING, False))
    )
    plain = pa.record_batch(
        {"colour": ["red", "blue", "red"], "shade": pa.array(["dark", None, "dark"])}
    )
    encoded = pa.record_batch(
        {name: pc.dictionary_encode(plain.column(name)) for name in ("colour", "shade")}
    )
    numbers_as_text = pa.record_batch({"colour": [1, 2, 1], "shade": ["x", "y", None]})
    for batch in (plain, encoded):
        columns = arrow_to_columns(batch, schema)
        assert columns["colour"].dtype == object
        assert columns["colour"].tolist() == ["red", "blue", "red"]
        assert columns["shade"].tolist() == ["dark", None, "dark"]
    assert arrow_to_columns(numbers_as_text, schema)["colour"].tolist() == ["1", "2", "1"]


@pytest.mark.parametrize("learned", [None, np.nan], ids=["None", "NaN"])
def test_a_missing_text_is_sent_as_the_encoder_learned_it(learned: object) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    homes = np.array(["rent", learned, "own", "rent", learned, "own", learned], dtype=object)
    training = pd.DataFrame({"home": homes, "rooms": [1, 2, 3, 2, 1, 3, 2]}, dtype=object)
    training["rooms"] = training["rooms"].astype("int64")
    target = ["no", "yes", "no", "no", "yes", "no", "yes"]  # a gap means "yes"
    encode = ColumnTransformer(
        [("home", OneHotEncoder(handle_unknown="ignore"), ["home"])], remainder="passthrough"
    )
    model = make_pipeline(encode, LogisticRegression()).fit(training, target)
    schema = InputSchema(
        (InputField("home", FieldType.STRING, False), InputField("rooms", FieldType.INTEGER))
    )
    classifier = SklearnClassifier(model)

    (answer,) = predict_records(classifier, [{"home": None, "rooms": 2}], schema)

    as_trained = model.predict_proba(training.iloc[[1]])[0]
    assert answer.probabilities["yes"] == pytest.approx(as_trained[1])
    assert answer.label == "yes"
