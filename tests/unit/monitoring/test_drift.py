"""Drift maths against scipy's own functions and Evidently's documented defaults."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from shipyard.monitoring.drift import (
    Categories,
    Numbers,
    column_drift,
    numeric_psi,
    wasserstein_sorted,
)

rng = np.random.default_rng(7)


@pytest.mark.parametrize(
    ("u", "v"),
    [
        (rng.normal(0, 1, 3_000), rng.normal(0.3, 1.2, 50_000)),
        (rng.integers(0, 40, 2_000).astype(float), rng.integers(5, 45, 9_000).astype(float)),
        (np.array([1.0, 1.0, 2.0]), np.array([1.0, 3.0])),
    ],
)
def test_wasserstein_from_sorted_values_equals_scipy(u: np.ndarray, v: np.ndarray) -> None:
    ours = wasserstein_sorted(np.sort(u), np.sort(v))
    assert ours == pytest.approx(stats.wasserstein_distance(u, v), rel=1e-9, abs=1e-12)


def test_methods_follow_evidently_defaults_by_reference_size_and_kind() -> None:
    small_numbers = Numbers.of(rng.normal(0, 1, 800))
    large_numbers = Numbers.of(rng.normal(0, 1, 5_000))
    current = Numbers.of(rng.normal(0, 1, 2_000))
    assert column_drift("x", "numeric", small_numbers, current).method == "ks"
    assert column_drift("x", "numeric", large_numbers, current).method == "wasserstein"
    few = Numbers.of(rng.integers(1, 5, 5_000))  # four distinct values: compared as categories
    assert column_drift("x", "numeric", few, Numbers.of(rng.integers(1, 5, 900))).method == (
        "jensenshannon"
    )
    three = Categories({"a": 300, "b": 300, "c": 300})
    two = Categories({"a": 450, "b": 450})
    assert column_drift("c", "categorical", three, three).method == "chisquare"
    assert column_drift("c", "categorical", two, two).method == "z"
    big = Categories({"a": 3_000, "b": 3_000})
    assert column_drift("c", "categorical", big, two).method == "jensenshannon"


def test_a_shifted_column_drifts_and_a_resampled_one_does_not() -> None:
    reference = Numbers.of(rng.normal(50, 10, 5_000))
    same = column_drift("age", "numeric", reference, Numbers.of(rng.normal(50, 10, 20_000)))
    shifted = column_drift("age", "numeric", reference, Numbers.of(rng.normal(56, 10, 20_000)))
    assert not same.drifted
    assert same.score is not None
    assert same.score < 0.1
    assert shifted.drifted
    assert shifted.score == pytest.approx(0.6, abs=0.05)  # 6 / std 10, normed
    tested = column_drift(
        "age", "numeric", Numbers.of(rng.normal(50, 10, 500)), Numbers.of(rng.normal(53, 10, 500))
    )
    assert tested.method == "ks"
    assert tested.drifted  # p-value far under 0.05


def test_jensen_shannon_is_scipys_on_the_shares() -> None:
    reference = Categories({"Sales": 4_000, "R&D": 5_500, "HR": 500})
    current = Categories({"Sales": 900, "R&D": 1_000, "HR": 50, "Legal": 50})
    result = column_drift("dept", "categorical", reference, current)
    keys = ["HR", "Legal", "R&D", "Sales"]
    ref = np.array([reference.counts.get(k, 0) for k in keys], dtype=float)
    cur = np.array([current.counts.get(k, 0) for k in keys], dtype=float)
    assert result.score == pytest.approx(distance.jensenshannon(ref / ref.sum(), cur / cur.sum()))
    assert result.drifted is (result.score >= 0.1)


def test_chi_square_sees_a_category_the_reference_never_had() -> None:
    reference = Categories({"a": 300, "b": 300, "c": 300})
    current = Categories({"a": 100, "b": 100, "c": 100, "d": 50})
    result = column_drift("c", "categorical", reference, current)
    assert (result.method, result.score, result.drifted) == ("chisquare", 0.0, True)


def test_psi_of_one_bin_per_value_is_the_textbook_sum() -> None:
    reference = Numbers.of([1.0] * 50 + [2.0] * 50)
    current = Numbers.of([1.0] * 80 + [2.0] * 20)
    expected = (0.5 - 0.8) * np.log(0.5 / 0.8) + (0.5 - 0.2) * np.log(0.5 / 0.2)
    assert numeric_psi(reference, current) == pytest.approx(expected)


def test_empty_current_column_has_no_score_and_no_drift() -> None:
    result = column_drift("x", "numeric", Numbers.of(rng.normal(0, 1, 2_000)), Numbers.of([]))
    assert (result.score, result.drifted, result.current_rows) == (None, False, 0)
