"""``shipyard predict``: score a file with a registered model, no HTTP."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shipyard.cli.context import console, current_settings
from shipyard.services.loading import load_served_model
from shipyard.services.runtime import registry_for
from shipyard.services.scoring import CHUNK_ROWS, ScoringEngine, count_rows, score_file


class Engine(StrEnum):
    LOCAL = "local"
    DASK = "dask"


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
) -> None:
    """Score every row of a file in chunks; write inputs, label and probabilities."""
    settings = current_settings()
    registry = registry_for(settings)
    served = load_served_model(registry, model, settings.serving, version)
    if scheduler and engine is not Engine.DASK:
        raise typer.BadParameter("--scheduler goes with --engine dask", param_hint="--scheduler")
    cluster: AbstractContextManager[ScoringEngine | None] = nullcontext()
    if engine is Engine.DASK:
        from shipyard.services.dask_scoring import dask_engine, model_source

        cluster = dask_engine(model_source(registry, served, settings.serving), scheduler)
    total = count_rows(source)
    with (
        cluster as chosen,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress,
    ):
        task = progress.add_task(f"{model} v{served.version}", total=total)
        rows = score_file(
            served,
            source,
            destination,
            chunk_rows=chunk_rows,
            engine=chosen,
            on_chunk=lambda n: progress.advance(task, n),
        )
    console.print(f"[green]✓[/] {rows} rows scored by {model} v{served.version} -> {destination}")
