"""``shipyard predictions``: the prediction log from the command line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from shipyard.cli.context import console, log_database, reporting_errors
from shipyard.domain.prediction import PredictionFilter
from shipyard.services.export import export_predictions

app = typer.Typer(help="Read the prediction log.", no_args_is_help=True)


@app.command("export")
@reporting_errors
def export(
    destination: Annotated[Path, typer.Argument(help="Output file: .parquet or .csv.")],
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    version: Annotated[str | None, typer.Option(help="Only this version.")] = None,
    label: Annotated[str | None, typer.Option(help="Only this predicted label.")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Created at or after (UTC unless a zone is given).")
    ] = None,
    until: Annotated[datetime | None, typer.Option(help="Created before.")] = None,
) -> None:
    """Write predictions (inputs, label, probabilities, feedback) to a file, newest first."""
    where = PredictionFilter(
        model_name=model,
        model_version=version,
        label=label,
        created_after=since,
        created_before=until,
    )
    with (
        log_database() as database,
        Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as bar,
    ):
        task = bar.add_task("exporting", total=None)
        done = 0

        def advance(rows: int) -> None:
            nonlocal done
            done += rows
            bar.update(task, description=f"exported {done} predictions")

        total = export_predictions(database, where, destination, on_page=advance)
    console.print(f"[green]✓[/] {total} predictions -> {destination}")
