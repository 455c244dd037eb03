from __future__ import annotations

import pandas as pd
import pytest

from shipyard.errors import InvalidInput
from shipyard.training.candidates import candidate_names, logistic
from shipyard.training.evaluation import holdout_metrics, stratified_split


def frame() -> tuple[pd.DataFrame, pd.Series]:
    features = pd.DataFrame({"x": [float(i) for i in range(40)], "c": ["a", "b"] * 20})
    target = pd.Series(["No"] * 20 + ["Yes"] * 20)
    return features, target


def test_split_is_stratified_and_repeatable() -> None:
    features, target = frame()
    first = stratified_split(features, target, test_size=0.25, seed=1)
    second = stratified_split(features, target, test_size=0.25, seed=1)
    assert list(first.test_features.index) == list(second.test_features.index)
    assert (first.test_target == "Yes").sum() == 5


def test_metrics_of_a_separable_problem_are_perfect() -> None:
    features, target = frame()
    model = logistic(features, 0).fit(features, target)
    metrics = holdout_metrics(model, features, target, positive="Yes")
    assert metrics.roc_auc == pytest.approx(1.0)
    assert metrics.accuracy == pytest.approx(1.0)
    assert metrics.f1 == pytest.approx(1.0)


def test_algorithm_names() -> None:
    assert candidate_names("auto") == ["logistic", "gradient_boosting"]
    assert candidate_names("logistic") == ["logistic"]
    with pytest.raises(InvalidInput, match="choose auto or one of"):
        candidate_names("xgboost")
