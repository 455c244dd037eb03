"""``shipyard predict``: score a file with a registered model, no HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shipyard.cli.context import console, current_settings
from shipyard.services.loading import load_served_model
from shipyard.services.runtime import registry_for
from shipyard.services.scoring import CHUNK_ROWS, count_rows, score_file


def predict(
    source: Annotated[Path, typer.Argument(help="Input file: .csv or .parquet.")],
    destination: Annotated[Path, typer.Argument(help="Output file: .parquet.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Registered model name.")],
    version: Annotated[
        str | None, typer.Option(help="Version number or alias (default: the serving alias).")
    ] = None,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows scored per chunk.")] = CHUNK_ROWS,
) -> None:
    """Score every row of a file in chunks; write inputs, label and probabilities."""
    settings = current_settings()
    served = load_served_model(registry_for(settings), model, settings.serving, version)
    total = count_rows(source)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"{model} v{served.version}", total=total)
        rows = score_file(
            served,
            source,
            destination,
            chunk_rows=chunk_rows,
            on_chunk=lambda n: progress.advance(task, n),
        )
    console.print(f"[green]✓[/] {rows} rows scored by {model} v{served.version} -> {destination}")
