"""Columns as the drift maths takes them, from a pandas frame (the reference) or Arrow (the
logged window). Each comes with its count of missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.monitoring.drift import Categories, Numbers
from shipyard.schemas.monitoring import ColumnKind

Column = tuple[Numbers | Categories, int]
"""Values (missing ones dropped) and how many were missing."""


def from_series(values: pd.Series, kind: ColumnKind) -> Column:
    if kind == "numeric":
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        finite = Numbers.of(numbers)
        return finite, len(values) - finite.rows
    # Through Arrow, so that categories are counted (and booleans written) as for the log.
    return from_arrow(pa.array(values, from_pandas=True), kind)


def from_arrow(values: pa.Array | pa.ChunkedArray, kind: ColumnKind) -> Column:
    missing = int(values.null_count)
    if kind == "numeric":
        numbers = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        finite = Numbers.of(numbers)
        return finite, missing + (len(values) - missing - finite.rows)
    counted = pc.value_counts(pc.cast(values, pa.string()))
    counts: dict[str, int] = {}
    for value, count in zip(
        counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True
    ):
        if value is not None:
            counts[str(value)] = int(count)
    return Categories(counts), missing
