"""Bulk scoring of a file, in chunks, without HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shipyard.errors import InvalidInput
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import frame_to_columns

ChunkDone = Callable[[int], None]


class UnreadableInput(InvalidInput):
    pass


def _chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from pd.read_csv(path, chunksize=chunk_rows)
    elif suffix in {".parquet", ".pq"}:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            yield batch.to_pandas()
    else:
        raise UnreadableInput(f"{path.name}: use a .csv or .parquet file")


def count_rows(path: Path) -> int | None:
    if path.suffix.lower() in {".parquet", ".pq"}:
        return int(pq.ParquetFile(path).metadata.num_rows)
    return None


def score_file(
    served: ServedModel,
    source: Path,
    destination: Path,
    *,
    chunk_rows: int = 10_000,
    on_chunk: ChunkDone = lambda _rows: None,
) -> int:
    """Write the input columns plus ``label`` and ``proba_<class>`` columns to Parquet."""
    if not source.exists():
        raise UnreadableInput(f"{source} does not exist")
    if destination.suffix.lower() not in {".parquet", ".pq"}:
        raise UnreadableInput(f"{destination.name}: the output must be a .parquet file")
    writer: pq.ParquetWriter | None = None
    total = 0
    try:
        for chunk in _chunks(source, chunk_rows):
            scored = _score_chunk(served, chunk)
            table = pa.Table.from_pandas(scored, preserve_index=False)
            if writer is None:
                destination.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(destination, table.schema)
            writer.write_table(table)
            total += len(chunk)
            on_chunk(len(chunk))
    finally:
        if writer is not None:
            writer.close()
    return total


def _score_chunk(served: ServedModel, chunk: pd.DataFrame) -> pd.DataFrame:
    predictor = served.predictor
    probabilities = predictor.predict_columns(frame_to_columns(chunk, served.input_schema))
    scored = chunk.copy()
    scored["label"] = [predictor.classes[i] for i in probabilities.argmax(axis=1)]
    for index, label in enumerate(predictor.classes):
        scored[f"proba_{label}"] = probabilities[:, index]
    return scored
