"""Drift of one column, reference against current, with Evidently's default methods.

The maths only: columns arrive as :class:`Numbers` (finite floats, missing values already
dropped) or :class:`Categories` (counts per category). Which method applies, and the
thresholds, are documented in :mod:`shipyard.domain.monitoring`.

Speed matters (a run reads up to millions of rows), so the normed Wasserstein distance is
computed from sorted values in one pass instead of scipy's argsort of the concatenation, and
category counts come in already counted. scipy is imported only by the tests of small
references (p-values): a server that never runs one does not pay its import (0.6 s, ~70 MB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from shipyard.domain.monitoring import SMALL_REFERENCE_ROWS
from shipyard.schemas.monitoring import ColumnDrift, ColumnKind, DriftMethod

Floats = np.ndarray[Any, np.dtype[np.float64]]

P_VALUE_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
FEW_VALUES = 5
"""A numeric column with at most this many distinct values is compared as categories."""
PSI_BINNED_ABOVE = 20
"""PSI bins numbers (Sturges' rule) when the reference has more distinct values than this."""


@dataclass(frozen=True)
class Numbers:
    """Finite values, sorted ascending."""

    sorted: Floats

    @classmethod
    def of(cls, values: Any) -> Numbers:
        array = np.asarray(values, dtype=np.float64)
        return cls(np.sort(array[np.isfinite(array)]))

    @property
    def rows(self) -> int:
        return int(self.sorted.size)

    def _starts(self) -> np.ndarray[Any, np.dtype[np.intp]]:
        """Where each run of equal values begins (the values are sorted: no sort needed)."""
        if self.sorted.size == 0:
            return np.empty(0, dtype=np.intp)
        return np.flatnonzero(np.r_[True, self.sorted[1:] != self.sorted[:-1]])

    def distinct(self) -> Floats:
        values: Floats = self.sorted[self._starts()]
        return values

    def counts(self) -> Categories:
        starts = self._starts()
        sizes = np.diff(np.r_[starts, self.sorted.size])
        values = self.sorted[starts]
        return Categories({_number_key(v): int(c) for v, c in zip(values, sizes, strict=True)})


@dataclass(frozen=True)
class Categories:
    """Count per category (missing values not counted)."""

    counts: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _number_key(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def column_drift(
    column: str, kind: ColumnKind, reference: Numbers | Categories, current: Numbers | Categories
) -> ColumnDrift:
    """Drift of one column with Evidently's default method for its kind and sizes.

    A text descriptor is always tested (K-S), whatever the reference's size: a window of a
    few hundred texts moves a descriptor's normed Wasserstein distance past 0.1 by chance
    alone (58 % of 150-tweet windows of the sentiment example, against 2 % for the test).
    """
    small = reference.rows <= SMALL_REFERENCE_ROWS or kind == "text"
    if isinstance(reference, Numbers) and isinstance(current, Numbers):
        distinct = np.union1d(reference.distinct(), current.distinct()).size
        reported: ColumnKind = "text" if kind == "text" else "numeric"
        if distinct > FEW_VALUES:
            return _numeric(column, reported, reference, current, small)
        reference, current = reference.counts(), current.counts()
        kind = reported  # compared as categories, still reported as the numbers it is
    assert isinstance(reference, Categories)
    assert isinstance(current, Categories)
    return _categorical(column, kind, reference, current, small)


def _result(
    column: str,
    kind: ColumnKind,
    method: DriftMethod,
    score: float | None,
    reference_rows: int,
    current_rows: int,
    psi: float | None,
) -> ColumnDrift:
    is_test = method in ("ks", "chisquare", "z")
    threshold = P_VALUE_THRESHOLD if is_test else DISTANCE_THRESHOLD
    drifted = score is not None and (score < threshold if is_test else score >= threshold)
    return ColumnDrift(
        column=column,
        kind=kind,
        method=method,
        score=score,
        threshold=threshold,
        drifted=drifted,
        psi=psi,
        reference_rows=reference_rows,
        current_rows=current_rows,
    )


def _numeric(
    column: str, kind: ColumnKind, reference: Numbers, current: Numbers, small: bool
) -> ColumnDrift:
    method: DriftMethod = "ks" if small else "wasserstein"
    score: float | None = None
    psi: float | None = None
    if reference.rows and current.rows:
        if small:
            from scipy import stats

            score = float(stats.ks_2samp(reference.sorted, current.sorted).pvalue)
        else:
            spread = max(float(np.std(reference.sorted)), 0.001)
            score = wasserstein_sorted(reference.sorted, current.sorted) / spread
        psi = numeric_psi(reference, current)
    return _result(column, kind, method, score, reference.rows, current.rows, psi)


def _categorical(
    column: str, kind: ColumnKind, reference: Categories, current: Categories, small: bool
) -> ColumnDrift:
    keys = sorted(set(reference.counts) | set(current.counts))
    ref = np.array([reference.counts.get(key, 0) for key in keys], dtype=np.float64)
    cur = np.array([current.counts.get(key, 0) for key in keys], dtype=np.float64)
    method: DriftMethod = ("chisquare" if len(keys) > 2 else "z") if small else "jensenshannon"
    score: float | None = None
    psi: float | None = None
    if ref.sum() and cur.sum():
        if method == "jensenshannon":
            score = jensen_shannon(ref / ref.sum(), cur / cur.sum())
        elif method == "chisquare":
            score = _chi_square_p(ref, cur)
        else:
            score = _z_test_p(ref, cur)
        psi = _psi(*_fill_zeroes(ref / ref.sum(), cur / cur.sum()))
    return _result(column, kind, method, score, reference.rows, current.rows, psi)


def wasserstein_sorted(u: Floats, v: Floats) -> float:
    """First Wasserstein distance of two samples given sorted: the area between their
    empirical CDFs, evaluated at every distinct value of either."""
    support = np.union1d(Numbers(u).distinct(), Numbers(v).distinct())
    if support.size < 2:
        return 0.0
    points = support[:-1]
    cdf_u = np.searchsorted(u, points, side="right") / u.size
    cdf_v = np.searchsorted(v, points, side="right") / v.size
    return float(np.sum(np.abs(cdf_u - cdf_v) * np.diff(support)))


def numeric_psi(reference: Numbers, current: Numbers) -> float:
    """PSI as Evidently computes it: Sturges bins over both samples when the reference has
    many distinct values, else one bin per value."""
    if reference.distinct().size > PSI_BINNED_ABOVE:
        low = min(reference.sorted[0], current.sorted[0])
        high = max(reference.sorted[-1], current.sorted[-1])
        bins = int(np.ceil(np.log2(reference.rows + current.rows))) + 1
        edges = np.linspace(low, high, bins + 1)
        ref = np.histogram(reference.sorted, edges)[0] / reference.rows
        cur = np.histogram(current.sorted, edges)[0] / current.rows
    else:
        reference_counts, current_counts = reference.counts(), current.counts()
        keys = sorted(set(reference_counts.counts) | set(current_counts.counts))
        ref = np.array([reference_counts.counts.get(k, 0) for k in keys]) / reference.rows
        cur = np.array([current_counts.counts.get(k, 0) for k in keys]) / current.rows
    return _psi(*_fill_zeroes(np.asarray(ref, np.float64), np.asarray(cur, np.float64)))


def _fill_zeroes(ref: Floats, cur: Floats) -> tuple[Floats, Floats]:
    """Empty bins get a small share (Evidently's rule), so that the logarithm is finite."""
    filled = []
    for shares in (ref, cur):
        shares = shares.copy()
        smallest = shares[shares > 0].min() if (shares > 0).any() else 1.0
        shares[shares == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
        filled.append(shares)
    return filled[0], filled[1]


def _psi(ref: Floats, cur: Floats) -> float:
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def jensen_shannon(p: Floats, q: Floats) -> float:
    """Jensen-Shannon distance (natural logarithm), as ``scipy.spatial.distance``."""
    middle = (p + q) / 2.0

    def divergence(shares: Floats) -> float:
        present = shares > 0
        return float(np.sum(shares[present] * np.log(shares[present] / middle[present])))

    return float(np.sqrt(max(divergence(p) + divergence(q), 0.0) / 2.0))


def _chi_square_p(ref: Floats, cur: Floats) -> float:
    from scipy import stats

    expected = ref * (cur.sum() / ref.sum())
    if np.any((expected == 0) & (cur > 0)):
        return 0.0  # a category the reference never had: as far from it as can be
    seen = expected > 0
    return float(stats.chisquare(cur[seen], expected[seen]).pvalue)


def _z_test_p(ref: Floats, cur: Floats) -> float:
    """Two-proportion Z-test on the share of the first category."""
    from scipy import stats

    n_ref, n_cur = ref.sum(), cur.sum()
    p_ref, p_cur = ref[0] / n_ref, cur[0] / n_cur
    pooled = (ref[0] + cur[0]) / (n_ref + n_cur)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
    if spread == 0:
        return 1.0  # one category on both sides: nothing moved
    return float(2 * (1 - stats.norm.cdf(abs((p_ref - p_cur) / spread))))
