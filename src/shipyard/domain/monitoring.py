"""What counts as drift. Drift follows Evidently's defaults, so that "drifted"
means here what it means to Evidently's users:

========================  =========================  ==========================
reference rows            numeric column             categorical column
========================  =========================  ==========================
up to 1,000               K-S p-value < 0.05         chi-square p-value < 0.05
                                                     (Z-test for two categories)
above 1,000               normed Wasserstein ≥ 0.1   Jensen-Shannon ≥ 0.1
========================  =========================  ==========================

A numeric column with at most five distinct values is treated as categorical. The data set
drifts when at least half of its columns do. PSI is reported beside every column.
"""

from __future__ import annotations

SMALL_REFERENCE_ROWS = 1_000
"""At most this many reference rows: statistical tests (p-values); above: distances."""
DATASET_DRIFT_SHARE = 0.5
"""The data set drifts when at least this share of its columns drift."""
