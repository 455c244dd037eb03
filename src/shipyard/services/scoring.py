"""Bulk scoring of a file, in chunks, without HTTP.

Files are read, scored and written as Arrow record batches: no pandas frame in between, so
that for a fast predictor (the ONNX path answers 10,000 rows in about 10 ms here) reading and
writing the file do not become the main cost. Text columns are read dictionary-encoded, so
each distinct category becomes a Python string once per chunk, not once per cell. Chunks are
scored on several threads at once (predictors release the GIL while they compute) and
written in their input order by one more. ``shipyard predict --engine dask`` runs the same
chunk function on a Dask cluster's workers instead (:mod:`shipyard.services.dask_scoring`).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from shipyard.domain.schema import FieldType, InputSchema
from shipyard.errors import InvalidInput
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import arrow_to_columns

ChunkDone = Callable[[int], None]
CHUNK_ROWS = 50_000
CSV_BLOCK_BYTES = 8 << 20
TEXT_CATEGORIES = pa.dictionary(pa.int32(), pa.string())


class UnreadableInput(InvalidInput):
    pass


def _batches(path: Path, chunk_rows: int, schema: InputSchema) -> Iterator[pa.RecordBatch]:
    suffix = path.suffix.lower()
    texts = [field.name for field in schema.fields if field.type is FieldType.STRING]
    if suffix == ".csv":
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            convert_options=pa_csv.ConvertOptions(
                # An empty cell (or NA, null, ...) is a missing value in text columns too, as
                # pandas reads it: a required field then says so instead of scoring "".
                strings_can_be_null=True,
                column_types=dict.fromkeys(texts, TEXT_CATEGORIES),
            ),
        )
        for block in reader:
            for start in range(0, block.num_rows, chunk_rows):
                yield block.slice(start, chunk_rows)
    elif suffix in {".parquet", ".pq"}:
        file = pq.ParquetFile(path)
        encoded = [name for name in file.schema_arrow.names if name in texts]
        if encoded:
            file = pq.ParquetFile(path, read_dictionary=encoded)
        yield from file.iter_batches(batch_size=chunk_rows)
    else:
        raise UnreadableInput(f"{path.name}: use a .csv or .parquet file")


def count_rows(path: Path) -> int | None:
    if path.suffix.lower() in {".parquet", ".pq"}:
        return int(pq.ParquetFile(path).metadata.num_rows)
    return None


def scoring_threads() -> int:
    """Chunks scored at once: one per core."""
    return max(1, len(os.sched_getaffinity(0)))


class ScoredChunk(Protocol):
    """A chunk being scored somewhere: a thread here, or a Dask worker."""

    def result(self) -> pa.RecordBatch: ...

    def cancel(self) -> bool: ...


class ScoringEngine(Protocol):
    """Where chunks are scored. Every engine runs the same function, :func:`score_chunk`."""

    @property
    def parallelism(self) -> int:
        """Chunks it scores at once: that many are kept in flight, and no more."""
        ...

    def submit(self, batch: pa.RecordBatch) -> ScoredChunk: ...


class ThreadEngine:
    """Chunks scored on threads of this process (predictors release the GIL)."""

    def __init__(self, served: ServedModel, pool: ThreadPoolExecutor, threads: int) -> None:
        self._served = served
        self._pool = pool
        self.parallelism = threads

    def submit(self, batch: pa.RecordBatch) -> ScoredChunk:
        return self._pool.submit(score_chunk, self._served, batch)


def score_file(
    served: ServedModel,
    source: Path,
    destination: Path,
    *,
    chunk_rows: int = CHUNK_ROWS,
    threads: int | None = None,
    engine: ScoringEngine | None = None,
    on_chunk: ChunkDone = lambda _rows: None,
) -> int:
    """Write the input columns plus ``label`` and ``proba_<class>`` columns to Parquet,
    in the input's row order. Chunks are scored on ``threads`` threads here, or by
    ``engine`` (``shipyard predict --engine dask``)."""
    if not source.exists():
        raise UnreadableInput(f"{source} does not exist")
    if destination.suffix.lower() not in {".parquet", ".pq"}:
        raise UnreadableInput(f"{destination.name}: the output must be a .parquet file")
    schema = served.input_schema
    if engine is not None:
        return _score_in_order(schema, source, destination, engine, chunk_rows, on_chunk)
    threads = threads or scoring_threads()
    with ThreadPoolExecutor(threads, thread_name_prefix="scorer") as scorers:
        local = ThreadEngine(served, scorers, threads)
        return _score_in_order(schema, source, destination, local, chunk_rows, on_chunk)


def _score_in_order(
    schema: InputSchema,
    source: Path,
    destination: Path,
    engine: ScoringEngine,
    chunk_rows: int,
    on_chunk: ChunkDone,
) -> int:
    total = 0
    output = _Output(destination)
    # Writing a chunk (compression, in C++, without the GIL) overlaps scoring the next.
    with ThreadPoolExecutor(1, thread_name_prefix="parquet-writer") as background:
        scoring: deque[ScoredChunk] = deque()
        written: Future[None] | None = None

        def write_oldest() -> None:
            nonlocal written, total
            scored = scoring.popleft().result()
            if written is not None:
                written.result()
            written = background.submit(output.write, scored)
            total += scored.num_rows
            on_chunk(scored.num_rows)

        try:
            for batch in _read_checked(source, chunk_rows, schema):
                scoring.append(engine.submit(batch))
                if len(scoring) > engine.parallelism:
                    write_oldest()
            while scoring:
                write_oldest()
            if written is not None:
                written.result()
        finally:
            for pending in scoring:
                pending.cancel()
            background.submit(output.close).result()
    return total


class _Output:
    """The Parquet file, opened with the schema of the first scored chunk."""

    def __init__(self, destination: Path) -> None:
        self.destination = destination
        self._writer: pq.ParquetWriter | None = None

    def write(self, scored: pa.RecordBatch) -> None:
        if self._writer is None:
            self.destination.parent.mkdir(parents=True, exist_ok=True)
            # Text read dictionary-encoded is written as it is (Parquet stores text as a
            # dictionary anyway, so nothing is decoded and encoded again); without the Arrow
            # schema in the file, readers see it as the text it was in the input.
            self._writer = pq.ParquetWriter(self.destination, scored.schema, store_schema=False)
        self._writer.write_batch(scored)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _read_checked(source: Path, chunk_rows: int, schema: InputSchema) -> Iterator[pa.RecordBatch]:
    try:
        yield from _batches(source, chunk_rows, schema)
    except pa.ArrowInvalid as error:
        raise UnreadableInput(f"{source.name}: {error}") from None


def score_chunk(served: ServedModel, batch: pa.RecordBatch) -> pa.RecordBatch:
    """One chunk's input columns with its ``label`` and ``proba_<class>`` columns."""
    predictor = served.predictor
    probabilities = predictor.predict_columns(arrow_to_columns(batch, served.input_schema))
    labels = pa.array(predictor.classes, type=pa.string()).take(probabilities.argmax(axis=1))
    columns = [*batch.columns, labels]
    names = [*batch.schema.names, "label"]
    for index, label in enumerate(predictor.classes):
        columns.append(pa.array(probabilities[:, index]))
        names.append(f"proba_{label}")
    return pa.RecordBatch.from_arrays(columns, names=names)
