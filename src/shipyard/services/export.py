"""Export the prediction log to Parquet or CSV, with the API's filters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shipyard.db import Database
from shipyard.domain.prediction import LoggedPrediction, PredictionFilter
from shipyard.errors import InvalidInput
from shipyard.services.predictions import list_predictions

PAGE_ROWS = 5_000


class UnsupportedExportFormat(InvalidInput):
    def __init__(self, path: Path) -> None:
        super().__init__(f"{path.name}: export to a .parquet or a .csv file")


class MixedColumns(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "these predictions do not share one set of columns (several models or schema "
            "versions); export one model at a time with --model, or to .csv"
        )


def _flatten(item: LoggedPrediction) -> dict[str, Any]:
    entry = item.entry
    row: dict[str, Any] = {
        "prediction_id": str(entry.id),
        "created_at": entry.created_at,
        "model": entry.model_name,
        "version": entry.model_version,
        "label": entry.label,
        **{f"proba_{label}": p for label, p in entry.probabilities.items()},
        "latency_ms": entry.latency_ms,
        "request_id": entry.request_id,
        "caller_id": entry.caller_id,
        "true_label": item.feedback.label if item.feedback else None,
    }
    row.update({f"input_{name}": value for name, value in entry.inputs.items()})
    return row


def _pages(database: Database, where: PredictionFilter) -> Iterator[list[LoggedPrediction]]:
    cursor = None
    while True:
        page, cursor = list_predictions(database, where, limit=PAGE_ROWS, cursor=cursor)
        if page:
            yield page
        if cursor is None:
            return


def export_predictions(
    database: Database,
    where: PredictionFilter,
    destination: Path,
    *,
    on_page: Callable[[int], None] = lambda _rows: None,
) -> int:
    """Write every matching prediction (newest first), one row each; returns the count."""
    suffix = destination.suffix.lower()
    if suffix not in {".parquet", ".csv"}:
        raise UnsupportedExportFormat(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    writer: pq.ParquetWriter | None = None
    try:
        for page in _pages(database, where):
            frame = pd.DataFrame([_flatten(item) for item in page])
            frame["true_label"] = frame["true_label"].astype("string")
            if suffix == ".csv":
                frame.to_csv(destination, mode="a" if total else "w", header=not total, index=False)
            else:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(destination, table.schema)
                try:
                    writer.write_table(table.cast(writer.schema))
                except (pa.ArrowInvalid, ValueError) as error:
                    raise MixedColumns() from error
            total += len(page)
            on_page(len(page))
    finally:
        if writer is not None:
            writer.close()
    if total == 0 and suffix == ".csv":
        destination.write_text("")
    return total
