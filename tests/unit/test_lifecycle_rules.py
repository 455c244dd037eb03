"""The rules of the model life cycle: rollback targets, promotion, the retrain trigger,
and the paired bootstrap behind "significantly better"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from shipyard.domain.lifecycle import (
    AliasMove,
    MoveKind,
    PromotionRule,
    promotion_reasons,
    rollback_target,
)
from shipyard.services.retrain_schedule import retrain_trigger
from shipyard.training.comparison import compare_accuracy, compare_auc
from tests.reports import monitoring_report as report

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def moves(*steps: tuple[str | None, str, MoveKind]) -> list[AliasMove]:
    """Moves in the order they happened, returned newest first as the history reads."""
    made = [
        AliasMove("m", "champion", before, after, kind, "someone", "", NOW + timedelta(minutes=i))
        for i, (before, after, kind) in enumerate(steps)
    ]
    return made[::-1]


def test_rollback_returns_to_the_version_before_and_never_undoes_a_rollback() -> None:
    history = [(None, "1", MoveKind.TRAIN), ("1", "2", MoveKind.PROMOTE)]
    history.append(("2", "3", MoveKind.RETRAIN))
    assert rollback_target(moves(*history), "3") == "2"
    history.append(("3", "2", MoveKind.ROLLBACK))
    assert rollback_target(moves(*history), "2") == "1"  # not back to 3
    history.append(("2", "1", MoveKind.ROLLBACK))
    assert rollback_target(moves(*history), "1") is None  # v1 was the first: nothing before
    assert rollback_target([], "1") is None


def test_a_candidate_wins_only_by_the_margin_and_with_significance() -> None:
    rule = PromotionRule(margin=0.01, alpha=0.05)
    assert promotion_reasons(rule, "roc_auc", 0.03, 0.001)[0] is True
    short, why = promotion_reasons(rule, "roc_auc", 0.005, 0.001)
    assert short is False
    assert "short of the margin 0.01" in why[0]
    lucky, why = promotion_reasons(rule, "roc_auc", 0.03, 0.2)
    assert lucky is False
    assert "not significant" in why[1]
    assert promotion_reasons(PromotionRule(0.01, None), "roc_auc", 0.03, 0.9)[0] is True


def test_the_bootstrap_scores_are_sklearns_and_its_p_value_tells_better_from_equal() -> None:
    rng = np.random.default_rng(0)
    truth = rng.random(400) < 0.3
    good = truth + rng.normal(0, 0.6, 400)
    poor = truth + rng.normal(0, 1.5, 400)
    better = compare_auc(truth, good, poor, rounds=1000, seed=1)
    assert better.candidate == pytest.approx(roc_auc_score(truth, good))
    assert better.champion == pytest.approx(roc_auc_score(truth, poor))
    assert better.ci_low < better.difference < better.ci_high
    assert better.ci_low > 0
    assert better.p_value < 0.01
    same = compare_auc(truth, good, good, rounds=1000, seed=1)
    assert same.difference == 0
    assert same.p_value == 1.0  # never better: no promotion
    worse = compare_auc(truth, poor, good, rounds=1000, seed=1)
    assert worse.p_value > 0.99


def test_accuracy_is_compared_for_more_than_two_classes() -> None:
    rng = np.random.default_rng(2)
    truth = rng.choice(np.array(["a", "b", "c"]), 300)
    right = np.where(rng.random(300) < 0.9, truth, "a")
    wrong = np.where(rng.random(300) < 0.6, truth, "a")
    result = compare_accuracy(truth, right, wrong, rounds=500, seed=3)
    assert result.metric == "accuracy"
    assert result.candidate == pytest.approx(accuracy_score(truth, right))
    assert result.p_value < 0.01


def test_a_retrain_is_triggered_by_drift_or_a_drop_as_the_policy_says() -> None:
    calm = report(drifted=False, realised_auc=0.81)
    assert retrain_trigger(calm, "drift", 0.05) is None
    assert retrain_trigger(calm, "always", 0.05) == "the schedule (monitoring run 01234567)"
    drifted = report(drifted=True, realised_auc=None)
    assert retrain_trigger(drifted, "drift", 0.05) == (
        "drift: 20 of 30 input columns drifted (monitoring run 01234567)"
    )
    assert retrain_trigger(drifted, "never", 0.05) is None
    dropped = report(drifted=False, realised_auc=0.70)
    assert retrain_trigger(dropped, "drift", 0.05) == (
        "a ROC AUC drop: 0.700 against 0.830 at training (monitoring run 01234567)"
    )
    assert retrain_trigger(dropped, "drift", 0.2) is None
