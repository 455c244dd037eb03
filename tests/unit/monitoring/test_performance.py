"""Realised scores against scikit-learn's; the CBPE estimate against the truth it estimates."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from shipyard.monitoring.performance import estimated_scores, realised_scores, roc_auc

rng = np.random.default_rng(3)


def test_realised_scores_equal_scikit_learns() -> None:
    p = rng.random(5_000)
    truth = np.where(rng.random(5_000) < p, "Yes", "No").astype(object)
    predicted = np.where(p >= 0.5, "Yes", "No").astype(object)
    scores = realised_scores(truth, predicted, p, "Yes")
    assert scores.accuracy == pytest.approx(accuracy_score(truth, predicted))
    assert scores.f1 == pytest.approx(f1_score(truth, predicted, pos_label="Yes"))
    assert scores.roc_auc == pytest.approx(roc_auc_score(truth == "Yes", p))


def test_roc_auc_counts_ties_half() -> None:
    score = np.array([0.5, 0.5, 0.5, 0.5])
    assert roc_auc(np.array([True, False, True, False]), score) == pytest.approx(0.5)
    assert roc_auc(np.array([True, True]), np.array([0.2, 0.9])) is None


def test_cbpe_estimates_the_scores_of_calibrated_probabilities() -> None:
    """Labels drawn with exactly the predicted probabilities: the estimate must match what
    the labels then show, within sampling noise."""
    p = rng.beta(2, 5, 200_000)
    truth = rng.random(p.size) < p
    probabilities = np.column_stack([1 - p, p])
    estimated = estimated_scores(probabilities, positive_index=1)
    predicted = p >= 0.5
    assert estimated.accuracy == pytest.approx(np.mean(truth == predicted), abs=0.005)
    assert estimated.roc_auc == pytest.approx(roc_auc_score(truth, p), abs=0.005)
    assert estimated.f1 == pytest.approx(f1_score(truth, predicted), abs=0.01)


def test_cbpe_with_more_than_two_classes_estimates_accuracy_only() -> None:
    probabilities = rng.dirichlet([1, 1, 1], 1_000)
    estimated = estimated_scores(probabilities, positive_index=None)
    assert estimated.accuracy == pytest.approx(probabilities.max(axis=1).mean())
    assert estimated.roc_auc is None
