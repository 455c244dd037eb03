"""Data quality of a window of inputs, against what the reference held."""

from __future__ import annotations

from shipyard.monitoring.drift import Categories, Numbers
from shipyard.schemas.monitoring import ColumnQuality

UNSEEN_EXAMPLES = 5


def numeric_quality(
    column: str, reference: Numbers, current: Numbers, missing: int
) -> ColumnQuality:
    """Missing share, and the share of numbers outside the reference's range."""
    total = current.rows + missing
    outside = 0
    if reference.rows and current.rows:
        low, high = reference.sorted[0], reference.sorted[-1]
        # sorted: the rows below the range come first, those above it last
        below = int(current.sorted.searchsorted(low, side="left"))
        above = current.rows - int(current.sorted.searchsorted(high, side="right"))
        outside = below + above
    return ColumnQuality(
        column=column,
        missing_share=missing / total if total else 0.0,
        out_of_range_share=outside / current.rows if current.rows else 0.0,
    )


def categorical_quality(
    column: str, reference: Categories, current: Categories, missing: int
) -> ColumnQuality:
    """Missing share, and the share of categories the reference never had (a few named)."""
    total = current.rows + missing
    unseen = {k: n for k, n in current.counts.items() if k not in reference.counts}
    examples = sorted(unseen, key=lambda k: -unseen[k])[:UNSEEN_EXAMPLES]
    return ColumnQuality(
        column=column,
        missing_share=missing / total if total else 0.0,
        unseen_share=sum(unseen.values()) / current.rows if current.rows else 0.0,
        unseen_examples=examples,
    )
