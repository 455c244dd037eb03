"""A tiny real scikit-learn pipeline for the serving tests: size and colour -> small or big."""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from shipyard.domain.schema import FieldType, InputField, InputSchema

SCHEMA = InputSchema((InputField("size", FieldType.NUMBER), InputField("colour", FieldType.STRING)))


def sizes_pipeline(*, flip: bool = False) -> Pipeline:
    """Fitted; ``flip`` swaps the labels (a second, different model)."""
    frame = pd.DataFrame(
        {"size": [1.0, 2.0, 8.0, 9.0] * 5, "colour": ["red", "red", "blue", "blue"] * 5}
    )
    target = ["small", "small", "big", "big"] * 5
    if flip:
        target = target[::-1]
    return Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("c", OneHotEncoder(handle_unknown="ignore"), ["colour"])],
                    remainder="passthrough",
                ),
            ),
            ("clf", LogisticRegression()),
        ]
    ).fit(frame, target)
