"""Candidate pipelines: preprocessing and a classifier, built for a frame's column types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from shipyard.errors import InvalidInput


def split_columns(features: pd.DataFrame) -> tuple[list[str], list[str]]:
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    categorical = [c for c in features.columns if c not in numeric]
    return categorical, numeric


def _preprocessor(features: pd.DataFrame) -> ColumnTransformer:
    """A missing category is a category of its own (the encoder learns it); a missing
    number is the training median, so that a record leaving an optional number out scores.

    Integer columns cannot be missing (a column with a gap is read as floats), so they skip
    the imputer: in ONNX an imputer takes one numeric type, and integers stay exact.
    """
    categorical, numeric = split_columns(features)
    integers = [c for c in numeric if pd.api.types.is_integer_dtype(features[c])]
    numbers = [c for c in numeric if c not in integers]
    imputed = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    return ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
            ("integers", StandardScaler(), integers),
            ("numbers", imputed, numbers),
        ]
    )


def logistic(features: pd.DataFrame, seed: int) -> Pipeline:
    """One-hot + scaler + logistic regression: fast, calibrated, a strong tabular baseline."""
    return Pipeline(
        [
            ("preprocess", _preprocessor(features)),
            ("classifier", LogisticRegression(max_iter=2_000, random_state=seed)),
        ]
    )


def gradient_boosting(features: pd.DataFrame, seed: int) -> Pipeline:
    """One-hot + scaler + histogram gradient boosting."""
    return Pipeline(
        [
            ("preprocess", _preprocessor(features)),
            ("classifier", HistGradientBoostingClassifier(random_state=seed)),
        ]
    )


CANDIDATES: dict[str, Callable[[pd.DataFrame, int], Pipeline]] = {
    "logistic": logistic,
    "gradient_boosting": gradient_boosting,
}


class UnknownAlgorithm(InvalidInput):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"no algorithm named {name!r}; choose auto or one of: {', '.join(CANDIDATES)}"
        )


def candidates_for(
    algorithm: str, own: Callable[[pd.DataFrame, int], Any] | None = None
) -> dict[str, Callable[[pd.DataFrame, int], Any]]:
    """The pipelines to compare: a project's own one (named after its function), or
    shipyard's."""
    if own is None:
        return {name: CANDIDATES[name] for name in candidate_names(algorithm)}
    name = getattr(own, "__name__", "pipeline")
    if algorithm not in {"auto", name}:
        raise InvalidInput(
            f"this model declares its own pipeline ({name}): train it without --algorithm"
        )
    return {name: own}


def candidate_names(algorithm: str) -> list[str]:
    """``auto`` means every candidate, compared by cross-validation."""
    if algorithm == "auto":
        return list(CANDIDATES)
    if algorithm not in CANDIDATES:
        raise UnknownAlgorithm(algorithm)
    return [algorithm]
