"""A monitoring run: a window of the prediction log against the served version's training
data. Compares inputs (drift, quality), predictions (label and probability drift) and
performance (realised from feedback, estimated without), stores the report in SQL and
writes it as JSON and HTML."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shipyard.config import ServingSettings
from shipyard.db import Database
from shipyard.db import monitoring as runs
from shipyard.db.windows import LoggedWindow, read_window
from shipyard.domain.model import ModelVersion
from shipyard.domain.schema import FieldType, InputSchema
from shipyard.errors import InvalidInput
from shipyard.monitoring import text
from shipyard.monitoring.analysis import assess_performance, compare_inputs, compare_predictions
from shipyard.monitoring.columns import Column, from_arrow, from_series
from shipyard.monitoring.html import render_html
from shipyard.registry import ModelRegistry
from shipyard.schemas.monitoring import ColumnKind, MonitoringReport
from shipyard.services.loading import load_served_model
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import frame_to_columns

MIN_LABELLED_ROWS = 30
"""Fewer feedback labels than this in a window: no realised scores (too noisy to read)."""


class NothingToMonitor(InvalidInput):
    def __init__(self, model: str, start: datetime, end: datetime, rows: int, needed: int) -> None:
        found = f"only {rows} predictions" if rows else "no predictions"
        super().__init__(
            f"{found} of {model!r} were logged between {start:%Y-%m-%d %H:%M} and "
            f"{end:%Y-%m-%d %H:%M} UTC (at least {needed} needed); widen the window or send "
            "traffic first"
        )


class NoReferenceData(InvalidInput):
    def __init__(self, model: str, version: str) -> None:
        super().__init__(
            f"{model} v{version} was registered without reference data "
            "(reference_data.parquet); retrain it with shipyard to monitor it"
        )


@dataclass(frozen=True)
class MonitoringRun:
    report: MonitoringReport
    json_path: Path
    html_path: Path


def column_kinds(
    schema: InputSchema, text_columns: frozenset[str] = frozenset()
) -> dict[str, ColumnKind]:
    """Numbers are compared as numbers; free text (``text_columns``) through descriptors;
    other strings and booleans as categories."""
    numeric = (FieldType.INTEGER, FieldType.NUMBER)
    return {
        f.name: "text"
        if f.name in text_columns
        else "numeric"
        if f.type in numeric
        else "categorical"
        for f in schema.fields
    }


def text_columns_of(registry: ModelRegistry, version: ModelVersion) -> frozenset[str]:
    """The inputs the version's reference profile describes as free text."""
    profile = registry.reference_profile(version)
    if profile is None:
        return frozenset()
    return frozenset(name for name, kept in profile.features.items() if kept.kind == "text")


def _input_columns(
    kinds: dict[str, ColumnKind], reference_data: pd.DataFrame, logged: LoggedWindow
) -> tuple[dict[str, ColumnKind], dict[str, Column], dict[str, Column]]:
    """Reference and current values of every compared column: each input, except that a
    free-text input is replaced by its descriptors (``"<input>: <descriptor>"``)."""
    compared: dict[str, ColumnKind] = {}
    reference: dict[str, Column] = {}
    current: dict[str, Column] = {}
    for name, kind in kinds.items():
        if kind != "text":
            compared[name] = kind
            reference[name] = from_series(reference_data[name], kind)
            current[name] = from_arrow(logged.inputs.column(name), kind)
            continue
        texts = reference_data[name].astype(object).where(reference_data[name].notna(), None)
        described = text.describe(texts.tolist(), logged.inputs.column(name).to_pylist())
        for descriptor, (before, now) in described.items():
            column = f"{name}: {descriptor}"
            compared[column] = "text"
            reference[column] = from_series(pd.Series(before), "numeric")
            current[column] = from_series(pd.Series(now), "numeric")
    return compared, reference, current


def _probabilities(window: LoggedWindow, classes: tuple[str, ...]) -> np.ndarray[Any, Any]:
    if window.rows == 0:
        return np.empty((0, len(classes)))
    columns = [
        window.probabilities.column(label).to_numpy(zero_copy_only=False) for label in classes
    ]
    stacked: np.ndarray[Any, Any] = np.nan_to_num(np.column_stack(columns), nan=0.0)
    return stacked


def monitor(
    database: Database,
    served: ServedModel,
    version: ModelVersion,
    reference_data: pd.DataFrame,
    *,
    end: datetime,
    window: timedelta,
    min_rows: int = 1,
    max_rows: int | None = None,
    text_columns: frozenset[str] = frozenset(),
) -> MonitoringReport:
    """Compare the logged window ending at ``end`` with the version's reference data
    (``text_columns``: the inputs that are free text)."""
    started = time.perf_counter()
    start = end - window
    schema = served.input_schema
    classes = served.predictor.classes
    # The served version's rows only: an older version's had its own schema and classes.
    logged = read_window(
        database,
        served.name,
        start,
        end,
        schema,
        classes,
        version=served.version,
        max_rows=max_rows,
    )
    if logged.rows < min_rows:
        raise NothingToMonitor(served.name, start, end, logged.rows, min_rows)
    kinds, reference_columns, current_columns = _input_columns(
        column_kinds(schema, text_columns), reference_data, logged
    )
    drifts, quality, dataset = compare_inputs(kinds, reference_columns, current_columns)
    reference_probabilities = served.predictor.predict_columns(
        frame_to_columns(reference_data, schema)
    )
    probabilities = _probabilities(logged, classes)
    return MonitoringReport(
        id=str(uuid.uuid4()),
        model=served.name,
        version=served.version,
        window_start=start,
        window_end=end,
        created_at=datetime.now(UTC),
        rows=logged.rows,
        dataset_drift=dataset,
        columns=drifts,
        quality=quality,
        prediction=compare_predictions(
            classes, reference_probabilities, logged.labels, probabilities
        ),
        performance=assess_performance(
            classes,
            version.metrics,
            logged.labels,
            probabilities,
            logged.feedback,
            min_labelled=MIN_LABELLED_ROWS,
        ),
        seconds=time.perf_counter() - started,
    )


def reference_data_of(registry: ModelRegistry, version: ModelVersion) -> pd.DataFrame:
    data = registry.reference_data(version)
    if data is None:
        raise NoReferenceData(version.name, version.version)
    return data


def record(
    database: Database, report: MonitoringReport, reports_dir: Path, slot: str | None = None
) -> MonitoringRun:
    """Store the report in SQL and write it as JSON and HTML."""
    with database.session_scope() as session:
        runs.save_run(session, report, slot)
    folder = reports_dir / report.model
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{report.created_at:%Y%m%dT%H%M%SZ}-{report.id[:8]}"
    json_path = folder / f"{stem}.json"
    html_path = folder / f"{stem}.html"
    json_path.write_text(report.model_dump_json(indent=2))
    html_path.write_text(render_html(report))
    return MonitoringRun(report, json_path, html_path)


def recent_reports(database: Database, model: str, limit: int) -> list[MonitoringReport]:
    with database.session_scope() as session:
        return runs.recent_runs(session, model, limit)


def monitor_model(
    database: Database,
    registry: ModelRegistry,
    serving: ServingSettings,
    reports_dir: Path,
    model: str,
    *,
    window: timedelta,
    end: datetime | None = None,
    version: str | None = None,
    served: ServedModel | None = None,
    slot: str | None = None,
    min_rows: int = 1,
    max_rows: int | None = None,
) -> MonitoringRun:
    """Run, store and write one monitoring report of ``model``: against the served version
    (or ``version``), over the ``window`` that ends at ``end`` (default: now)."""
    if served is None:
        served = load_served_model(registry, model, serving, version)
    model_version = registry.resolve(model, served.version)
    report = monitor(
        database,
        served,
        model_version,
        reference_data_of(registry, model_version),
        end=end or datetime.now(UTC),
        window=window,
        min_rows=min_rows,
        max_rows=max_rows,
        text_columns=text_columns_of(registry, model_version),
    )
    return record(database, report, reports_dir, slot)
