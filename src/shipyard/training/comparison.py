"""Is the candidate better than the champion on this holdout, or just lucky?

Both models score the same holdout rows. A paired bootstrap resamples those rows (the same
draw for both models) and recomputes the difference of the metric each round: the spread
of the differences gives a confidence interval, and the share of rounds where the
candidate did not win is a one-sided p-value (with the usual +1 correction, so it is never
0). Binary models are compared on ROC AUC (computed from ranks, all rounds at once);
others on accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import accuracy_score, roc_auc_score

from shipyard.domain.lifecycle import NotEnoughFeedback

Floats = np.ndarray[Any, np.dtype[np.float64]]
_BATCH = 200


@dataclass(frozen=True)
class PairedDifference:
    metric: str
    candidate: float
    champion: float
    ci_low: float
    ci_high: float
    p_value: float
    rounds: int

    @property
    def difference(self) -> float:
        return self.candidate - self.champion


def _auc_by_row(truth: np.ndarray[Any, Any], scores: Floats) -> Floats:
    """ROC AUC of each row of ``scores`` against the same row of ``truth`` (Mann-Whitney
    U from average ranks); NaN where a row holds one class only."""
    ranks = rankdata(scores, axis=1)
    positives = truth.sum(axis=1)
    negatives = truth.shape[1] - positives
    rank_sum = (ranks * truth).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc: Floats = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
    return auc


def compare_auc(
    truth: np.ndarray[Any, np.dtype[np.bool_]],
    candidate: Floats,
    champion: Floats,
    *,
    rounds: int,
    seed: int,
) -> PairedDifference:
    """Candidate against champion on ROC AUC of the positive class's probability."""
    rng = np.random.default_rng(seed)
    differences: list[Floats] = []
    size = len(truth)
    for start in range(0, rounds, _BATCH):
        picked = rng.integers(0, size, (min(_BATCH, rounds - start), size))
        sampled_truth = truth[picked]
        differences.append(
            _auc_by_row(sampled_truth, candidate[picked])
            - _auc_by_row(sampled_truth, champion[picked])
        )
    return _summary(
        "roc_auc",
        float(roc_auc_score(truth, candidate)),
        float(roc_auc_score(truth, champion)),
        np.concatenate(differences),
    )


def compare_accuracy(
    truth: np.ndarray[Any, Any],
    candidate: np.ndarray[Any, Any],
    champion: np.ndarray[Any, Any],
    *,
    rounds: int,
    seed: int,
) -> PairedDifference:
    """Candidate against champion on accuracy of the predicted labels."""
    rng = np.random.default_rng(seed)
    hits = (candidate == truth).astype(float) - (champion == truth).astype(float)
    differences = [
        hits[rng.integers(0, len(truth), (min(_BATCH, rounds - start), len(truth)))].mean(axis=1)
        for start in range(0, rounds, _BATCH)
    ]
    return _summary(
        "accuracy",
        float(accuracy_score(truth, candidate)),
        float(accuracy_score(truth, champion)),
        np.concatenate(differences),
    )


def _summary(metric: str, candidate: float, champion: float, rounds: Floats) -> PairedDifference:
    valid = rounds[np.isfinite(rounds)]
    if valid.size == 0:
        raise NotEnoughFeedback("the holdout holds one class only: no metric can compare models")
    low, high = np.percentile(valid, [2.5, 97.5])
    not_better = int(np.count_nonzero(valid <= 0))
    return PairedDifference(
        metric=metric,
        candidate=candidate,
        champion=champion,
        ci_low=float(low),
        ci_high=float(high),
        p_value=(not_better + 1) / (valid.size + 1),
        rounds=int(valid.size),
    )
