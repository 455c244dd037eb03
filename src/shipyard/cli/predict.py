"""``shipyard predict``: score a file with a registered model, in-process or through a server.

In-process (the default) the file is scored here with the registry's model, no HTTP, and
nothing is logged. With ``--url`` its rows go to a running server through the client, in
requests of ``--batch-size`` rows, and every row is logged there like any prediction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import httpx
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shipyard.cli.context import console, current_settings
from shipyard.client import DEFAULT_BATCH_SIZE, ApiError, NonFiniteValue, ShipyardClient
from shipyard.errors import InvalidInput
from shipyard.services.loading import load_served_model
from shipyard.services.runtime import registry_for
from shipyard.services.scoring import (
    CHUNK_ROWS,
    CSV_BLOCK_BYTES,
    ScoringEngine,
    UnreadableInput,
    count_rows,
    score_file,
)


class Engine(StrEnum):
    LOCAL = "local"
    DASK = "dask"


class RemoteScoringFailed(InvalidInput):
    """The server refused a request of the file's rows (or did not answer), or a row holds a
    value no request can carry (``inf``)."""


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def predict(
    source: Annotated[Path, typer.Argument(help="Input file: .csv or .parquet.")],
    destination: Annotated[Path, typer.Argument(help="Output file: .parquet.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Registered model name.")],
    version: Annotated[
        str | None, typer.Option(help="Version number or alias (default: the serving alias).")
    ] = None,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows scored per chunk.")] = CHUNK_ROWS,
    engine: Annotated[
        Engine,
        typer.Option(
            help="Where chunks are scored: local (threads of this process) or dask "
            "(a Dask cluster; the dask extra)."
        ),
    ] = Engine.LOCAL,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
            "(default: a LocalCluster of one worker per core)."
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="Score through this running server instead, e.g. http://127.0.0.1:8000: "
            "its served version answers and every row is logged there."
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="SHIPYARD_API_KEY", help="With --url: a key with the predict scope."),
    ] = None,
    batch_size: Annotated[
        int,
        typer.Option(
            min=1,
            help="With --url: rows per request (at most the server's "
            "SHIPYARD_SERVING__MAX_ROWS_PER_REQUEST).",
        ),
    ] = DEFAULT_BATCH_SIZE,
) -> None:
    """Score every row of a file in chunks; write inputs, label and probabilities. With
    --url, through a running server: every row is logged there."""
    if url is not None:
        if version is not None or engine is not Engine.LOCAL or scheduler:
            raise typer.BadParameter(
                "--url scores with the server's served version, there: no --version, "
                "--engine or --scheduler",
                param_hint="--url",
            )
        _check_files(source, destination)  # before the first row is sent (and logged)
        request_id = uuid.uuid4().hex
        with _progress() as progress:
            task = progress.add_task(f"{model} at {url}", total=count_rows(source))
            rows = score_remotely(
                ShipyardClient(url, api_key=api_key, batch_size=batch_size),
                model,
                source,
                destination,
                request_id=request_id,
                on_chunk=lambda n: progress.advance(task, n),
            )
        console.print(
            f"[green]✓[/] {rows} rows scored and logged by {url} (request id {request_id}) "
            f"-> {destination}"
        )
        return
    settings = current_settings()
    registry = registry_for(settings)
    served = load_served_model(registry, model, settings.serving, version)
    if scheduler and engine is not Engine.DASK:
        raise typer.BadParameter("--scheduler goes with --engine dask", param_hint="--scheduler")
    cluster: AbstractContextManager[ScoringEngine | None] = nullcontext()
    if engine is Engine.DASK:
        from shipyard.services.dask_scoring import dask_engine, model_source

        cluster = dask_engine(model_source(registry, served, settings.serving), scheduler)
    with cluster as chosen, _progress() as progress:
        task = progress.add_task(f"{model} v{served.version}", total=count_rows(source))
        rows = score_file(
            served,
            source,
            destination,
            chunk_rows=chunk_rows,
            engine=chosen,
            on_chunk=lambda n: progress.advance(task, n),
        )
    console.print(f"[green]✓[/] {rows} rows scored by {model} v{served.version} -> {destination}")


def score_remotely(
    client: ShipyardClient,
    model: str,
    source: Path,
    destination: Path,
    *,
    request_id: str | None = None,
    on_chunk: Callable[[int], None] = lambda _rows: None,
) -> int:
    """Send ``source``'s rows to the server, one request of ``client.batch_size`` rows at a
    time (each with ``request_id``), and write them with the answers' ``label``,
    ``proba_<class>``, ``prediction_id`` and ``version`` columns to Parquet, in order. Rows
    sent before a refused request stay scored and logged on the server; a request with
    ``inf`` or ``-inf`` in a row is refused before it is sent (:class:`RemoteScoringFailed`
    naming the file's row and column)."""
    _check_files(source, destination)
    writer: pq.ParquetWriter | None = None
    done = 0
    try:
        with client:
            for batch in _batches(source, client.batch_size):
                scored = _scored(client, model, batch, done, request_id)
                if writer is None:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    writer = pq.ParquetWriter(destination, scored.schema)
                writer.write_batch(scored)
                done += batch.num_rows
                on_chunk(batch.num_rows)
    finally:
        if writer is not None:
            writer.close()
    return done


def _check_files(source: Path, destination: Path) -> None:
    if not source.exists():
        raise UnreadableInput(f"{source} does not exist")
    if destination.suffix.lower() not in {".parquet", ".pq"}:
        raise UnreadableInput(f"{destination.name}: the output must be a .parquet file")


def _scored(
    client: ShipyardClient, model: str, batch: pa.RecordBatch, done: int, request_id: str | None
) -> pa.RecordBatch:
    rows = f"rows {done + 1}-{done + batch.num_rows}"
    frame = batch.to_pandas(integer_object_nulls=True)
    try:
        answers = client.predict_frame(model, frame, request_id=request_id)
    except ApiError as error:
        raise RemoteScoringFailed(
            f"{rows} refused with HTTP {error.status} {error.name}: {error.detail} (record 0 "
            f"there is row {done + 1}; the {done} rows before it were scored and logged)"
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise RemoteScoringFailed(f"{rows}: no answer from {client.base_url} ({error})") from None
    except NonFiniteValue as error:
        raise RemoteScoringFailed(
            f"{rows} not sent: row {done + error.index + 1} has {error.value} in "
            f"{error.field}, a number JSON cannot carry (leave the cell empty for a missing "
            f"value; the {done} rows before these were scored and logged)"
        ) from None
    answered = pa.RecordBatch.from_pandas(answers, preserve_index=False)
    columns = [*batch.columns, *(_plain_text(column) for column in answered.columns)]
    return pa.RecordBatch.from_arrays(columns, names=[*batch.schema.names, *answered.schema.names])


def _plain_text(column: pa.Array) -> pa.Array:
    """pandas' text as Arrow ``string``, the type of the in-process ``label``."""
    return column.cast(pa.string()) if pa.types.is_large_string(column.type) else column


def _batches(source: Path, rows: int) -> Iterator[pa.RecordBatch]:
    """The file's rows, ``rows`` at a time, typed as the in-process scoring reads them."""
    suffix = source.suffix.lower()
    try:
        if suffix == ".csv":
            reader = pa_csv.open_csv(
                source,
                read_options=pa_csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                # An empty cell is a missing value in text columns too (null, not "").
                convert_options=pa_csv.ConvertOptions(strings_can_be_null=True),
            )
            for block in reader:
                for start in range(0, block.num_rows, rows):
                    yield block.slice(start, rows)
        elif suffix in {".parquet", ".pq"}:
            yield from pq.ParquetFile(source).iter_batches(batch_size=rows)
        else:
            raise UnreadableInput(f"{source.name}: use a .csv or .parquet file")
    except pa.ArrowInvalid as error:
        raise UnreadableInput(f"{source.name}: {error}") from None
