"""Splitting, cross-validation and holdout metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split

from shipyard.domain.model import ClassificationMetrics


@dataclass(frozen=True)
class Split:
    train_features: pd.DataFrame
    test_features: pd.DataFrame
    train_target: pd.Series
    test_target: pd.Series


def stratified_split(
    features: pd.DataFrame, target: pd.Series, *, test_size: float, seed: int
) -> Split:
    """The holdout every candidate and the current champion are scored on."""
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=test_size, stratify=target, random_state=seed
    )
    return Split(x_train, x_test, y_train, y_test)


def cross_validated_auc(
    estimator: Any, features: pd.DataFrame, target: pd.Series, *, positive: str, seed: int
) -> float:
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    scores = cross_val_score(estimator, features, target == positive, cv=folds, scoring="roc_auc")
    return float(np.mean(scores))


def holdout_metrics(
    estimator: Any, features: pd.DataFrame, target: pd.Series, *, positive: str
) -> ClassificationMetrics:
    """ROC AUC, accuracy and F1 (of the positive class) of a fitted classifier."""
    classes = [str(c) for c in estimator.classes_]
    probabilities = estimator.predict_proba(features)[:, classes.index(positive)]
    predicted = np.asarray(estimator.predict(features)).astype(str)
    truth = target.astype(str).to_numpy()
    return ClassificationMetrics(
        roc_auc=float(roc_auc_score(truth == positive, probabilities)),
        accuracy=float(accuracy_score(truth, predicted)),
        f1=float(f1_score(truth, predicted, pos_label=positive)),
    )
