"""How well a classifier does: realised on labelled rows, estimated without labels.

The estimate is confidence-based performance estimation (CBPE, as NannyML names it): if the
probabilities are calibrated, a row predicted positive with probability ``p`` is a true
positive with probability ``p`` and a false positive otherwise, so the expected confusion
matrix (and ROC curve) follows from the probabilities alone. It needs no labels, which
typically arrive late or never; where labels exist, the realised scores show how far the
estimate can be trusted. Binary classifiers get every score; with more classes, accuracy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shipyard.schemas.monitoring import ClassificationScores

Floats = np.ndarray[Any, np.dtype[np.float64]]
Labels = np.ndarray[Any, np.dtype[np.object_]]


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None or precision + recall == 0:
        return None
    return 2 * precision * recall / (precision + recall)


def _scores(
    rows: int,
    accuracy: float,
    *,
    true_positives: float,
    called_positive: float,
    actually_positive: float,
    area: float | None,
) -> ClassificationScores:
    """Scores from the (observed or expected) counts of the positive class."""
    precision = _ratio(true_positives, called_positive)
    recall = _ratio(true_positives, actually_positive)
    return ClassificationScores(
        rows=rows,
        accuracy=accuracy,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        roc_auc=area,
    )


def realised_scores(
    truth: Labels, predicted: Labels, positive_probability: Floats | None, positive: str
) -> ClassificationScores:
    """Scores of the predictions against their feedback labels."""
    rows = int(truth.size)
    if rows == 0:
        return ClassificationScores(rows=0)
    accuracy = float(np.mean(truth == predicted))
    if positive_probability is None:
        return ClassificationScores(rows=rows, accuracy=accuracy)
    actual = truth == positive
    called = predicted == positive
    return _scores(
        rows,
        accuracy,
        true_positives=float(np.sum(actual & called)),
        called_positive=float(np.sum(called)),
        actually_positive=float(np.sum(actual)),
        area=roc_auc(actual, positive_probability),
    )


def roc_auc(actual: np.ndarray[Any, np.dtype[np.bool_]], score: Floats) -> float | None:
    """Area under the ROC curve (the Mann-Whitney statistic, ties counted half)."""
    positives = int(actual.sum())
    negatives = int(actual.size - positives)
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(score.size, dtype=np.float64)
    sorted_scores = score[order]
    # average ranks over ties
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], score.size]
    average = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(average, ends - starts)
    rank_sum = ranks[actual].sum()
    return float((rank_sum - positives * (positives + 1) / 2) / (positives * negatives))


def estimated_scores(probabilities: Floats, positive_index: int | None) -> ClassificationScores:
    """CBPE: expected scores from the probabilities of each row (rows by classes)."""
    rows = int(probabilities.shape[0])
    if rows == 0:
        return ClassificationScores(rows=0)
    accuracy = float(probabilities.max(axis=1).mean())
    if positive_index is None or probabilities.shape[1] != 2:
        return ClassificationScores(rows=rows, accuracy=accuracy)
    p = probabilities[:, positive_index]
    called = probabilities.argmax(axis=1) == positive_index
    # A row called positive is a true positive with probability p; any row is positive
    # with probability p.
    return _scores(
        rows,
        accuracy,
        true_positives=float(p[called].sum()),
        called_positive=float(called.sum()),
        actually_positive=float(p.sum()),
        area=_expected_roc_auc(p),
    )


def _expected_roc_auc(p: Floats) -> float | None:
    """The ROC curve expected from calibrated probabilities: ranking rows by ``p``, each row
    adds ``p`` expected positives and ``1 - p`` expected negatives."""
    expected_positives, expected_negatives = p.sum(), (1 - p).sum()
    if expected_positives == 0 or expected_negatives == 0:
        return None
    order = np.argsort(-p, kind="mergesort")
    tpr = np.r_[0.0, np.cumsum(p[order]) / expected_positives]
    fpr = np.r_[0.0, np.cumsum(1 - p[order]) / expected_negatives]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))  # trapezoids
