"""Monitoring speed: a run over N logged rows x 30 columns, and Evidently's DataDriftPreset
on the same rows, side by side in one run.

    python -m bench.monitor --rows 1000000

It trains the attrition example into a scratch data dir and fills a fresh SQLite log with
``--rows`` predictions: holdout rows drawn at random, shifted by ``--drift`` (see
``shipyard simulate``), scored by the served version, and written straight into the table
as the log writer would write them (without HTTP, which would take the benchmark an hour).
Then it times:

- ``shipyard``: a whole monitoring run, as ``shipyard monitor run`` makes it (read the window
  from the log, drift, quality, prediction drift, performance), without storing it;
- ``shipyard, in memory``: drift and quality of the same rows already in a frame (what
  Evidently is given);
- ``evidently``: ``Report([DataDriftPreset()]).run(current, reference)`` on those rows, in its
  own environment (``bench/.venv-evidently``, made on first use: Evidently 0.7 needs
  pandas < 3.1). Its import time is reported apart.

and how often the two agree on which columns drifted.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench.serve import prepare, save_results

from shipyard.db import open_database
from shipyard.monitoring.analysis import compare_inputs
from shipyard.monitoring.columns import from_series
from shipyard.registry import input_schema_of
from shipyard.services.loading import load_served_model
from shipyard.services.monitoring import column_kinds, monitor, reference_data_of
from shipyard.services.runtime import registry_for
from shipyard.services.simulation import draw, holdout_of, shift_records
from shipyard.serving.predictor import frame_to_columns

BENCH = Path(__file__).parent
EVIDENTLY_VENV = BENCH / ".venv-evidently"
EVIDENTLY_REQUIREMENTS = ["evidently>=0.7,<0.8", "pandas<3.1", "pyarrow"]


def evidently_python(given: str | None) -> Path:
    if given:
        return Path(given)
    python = EVIDENTLY_VENV / "bin" / "python"
    if not python.exists():
        print(f"making {EVIDENTLY_VENV} with {' '.join(EVIDENTLY_REQUIREMENTS)} ...")
        subprocess.run([sys.executable, "-m", "venv", str(EVIDENTLY_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *EVIDENTLY_REQUIREMENTS], check=True
        )
    return python


def fill_log(database_url: str, served: Any, rows: int, drift: float) -> pd.DataFrame:
    """``rows`` scored holdout rows in the log, over the last hour; returns their inputs."""
    features, target = holdout_of("attrition")
    rng = np.random.default_rng(0)
    drawn, _ = draw(features, target, rows, rng)
    current = shift_records(drawn, input_schema_of(features), drift, rng)
    classes = served.predictor.classes
    probabilities = np.vstack(
        [
            served.predictor.predict_columns(
                frame_to_columns(current.iloc[start : start + 50_000], served.input_schema)
            )
            for start in range(0, rows, 50_000)
        ]
    )
    labels = np.asarray(classes, dtype=object)[probabilities.argmax(axis=1)]
    inputs = current.to_json(orient="records", lines=True).splitlines()
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    step = timedelta(hours=1) / rows
    path = database_url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path)

    def records() -> Any:
        for i in range(rows):
            yield (
                uuid.uuid4().hex,
                (start + i * step).strftime("%Y-%m-%d %H:%M:%S.%f"),
                "attrition",
                served.version,
                inputs[i],
                labels[i],
                json.dumps(dict(zip(classes, probabilities[i].tolist(), strict=True))),
                0.1,
                "bench",
                "",
            )

    connection.executemany(
        "INSERT INTO predictions (id, created_at, model_name, model_version, inputs, label,"
        " probabilities, latency_ms, request_id, caller_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
        records(),
    )
    connection.commit()
    connection.close()
    return current


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--drift", type=float, default=0.2)
    parser.add_argument("--evidently-python", help="a Python with Evidently 0.7 (default: made)")
    args = parser.parse_args()

    python = evidently_python(args.evidently_python)
    prepared = prepare()
    settings = prepared.settings
    registry = registry_for(settings)
    served = load_served_model(registry, "attrition", settings.serving)
    version = registry.resolve("attrition", served.version)
    reference = reference_data_of(registry, version)
    started = time.perf_counter()
    current = fill_log(settings.resolved_database_url(), served, args.rows, args.drift)
    print(f"logged {args.rows:,} rows in {time.perf_counter() - started:.1f} s")

    database = open_database(settings.resolved_database_url())
    started = time.perf_counter()
    report = monitor(
        database, served, version, reference, end=datetime.now(UTC), window=timedelta(hours=2)
    )
    run_seconds = time.perf_counter() - started
    database.dispose()

    kinds = column_kinds(served.input_schema)
    started = time.perf_counter()
    compare_inputs(
        kinds,
        {name: from_series(reference[name], kind) for name, kind in kinds.items()},
        {name: from_series(current[name], kind) for name, kind in kinds.items()},
    )
    memory_seconds = time.perf_counter() - started

    reference_path = prepared.scratch / "reference.parquet"
    current_path = prepared.scratch / "current.parquet"
    reference.to_parquet(reference_path, index=False)
    current.to_parquet(current_path, index=False)
    completed = subprocess.run(
        [str(python), str(BENCH / "evidently_drift.py"), str(reference_path), str(current_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    evidently = json.loads(completed.stdout.strip().splitlines()[-1])
    ours = {c.column: c.drifted for c in report.columns}
    theirs = {name: column["drifted"] for name, column in evidently["columns"].items()}
    agree = sum(ours[name] == theirs.get(name) for name in ours)
    data = {
        "rows": args.rows,
        "columns": len(ours),
        "drift": args.drift,
        "shipyard_run_seconds": run_seconds,
        "shipyard_in_memory_seconds": memory_seconds,
        "evidently_seconds": evidently["seconds"],
        "evidently_import_seconds": evidently["import_seconds"],
        "shipyard_drifted": report.dataset_drift.drifted_columns,
        "evidently_drifted": int(evidently["drifted"]["count"]),
        "agreeing_columns": agree,
        "disagreements": {
            name: {"shipyard": ours[name], "evidently": theirs.get(name)}
            for name in ours
            if ours[name] != theirs.get(name)
        },
    }
    save_results("monitor", data, summary(data))


def summary(data: dict[str, Any]) -> str:
    rows, columns = data["rows"], data["columns"]
    run, memory, evidently = (
        data["shipyard_run_seconds"],
        data["shipyard_in_memory_seconds"],
        data["evidently_seconds"],
    )
    return "\n".join(
        [
            f"monitoring benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {rows:,} rows x "
            f"{columns} columns, drift {data['drift']:g}",
            "",
            "| what | seconds | Evidently / this |",
            "|---|---:|---:|",
            f"| shipyard: whole run (read the log, drift, quality, predictions, performance) "
            f"| {run:.2f} | {evidently / run:.1f}x |",
            f"| shipyard: drift and quality of the rows in memory | {memory:.2f} | "
            f"{evidently / memory:.1f}x |",
            f"| Evidently DataDriftPreset on the rows in memory | {evidently:.2f} | 1.0x |",
            "",
            f"Evidently's import: {data['evidently_import_seconds']:.1f} s (not counted). "
            f"Drifted columns: shipyard {data['shipyard_drifted']}, Evidently "
            f"{data['evidently_drifted']}; the two agree on {data['agreeing_columns']} of "
            f"{columns} columns.",
        ]
    )


if __name__ == "__main__":
    main()
