"""Evidently's DataDriftPreset on two Parquet files; prints seconds and per-column results
as JSON. Runs in its own environment (Evidently 0.7 does not import with pandas 3.1, which
shipyard uses): ``python -m bench.monitor`` makes that environment and calls this file.

    python bench/evidently_drift.py reference.parquet current.parquet
"""

from __future__ import annotations

import json
import sys
import time

started = time.perf_counter()
import pandas as pd  # noqa: E402
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

imported = time.perf_counter() - started
reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
started = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
seconds = time.perf_counter() - started
columns = {}
drifted_count = None
for metric in snapshot.dict()["metrics"]:
    config = metric["config"]
    if config["type"].endswith("DriftedColumnsCount"):
        drifted_count = metric["value"]
    elif config["type"].endswith("ValueDrift"):
        score = float(metric["value"])
        method = config["method"]
        is_test = "p_value" in method or "p-value" in method
        threshold = float(config["threshold"])
        columns[config["column"]] = {
            "method": method,
            "score": score,
            "drifted": score < threshold if is_test else score >= threshold,
        }
print(
    json.dumps(
        {
            "seconds": seconds,
            "import_seconds": imported,
            "drifted": drifted_count,
            "columns": columns,
        }
    )
)
