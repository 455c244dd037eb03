"""``shipyard init``: a new project around the user's own model and data."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from shipyard.cli.context import console
from shipyard.scaffold import ProjectValues, scaffold_project

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def _read(data: Path) -> pd.DataFrame:
    if not data.is_file():
        raise typer.BadParameter(f"{data} is not a file", param_hint="--data")
    if data.suffix.lower() in {".parquet", ".pq"}:
        return pd.read_parquet(data)
    if data.suffix.lower() != ".csv":
        raise typer.BadParameter("use a .csv or .parquet file", param_hint="--data")
    return pd.read_csv(data)


def _positive_label(frame: pd.DataFrame, target: str, given: str | None) -> str:
    if target not in frame.columns:
        raise typer.BadParameter(
            f"{target!r} is not a column of the data (its columns: "
            f"{', '.join(map(str, frame.columns[:20]))})",
            param_hint="--target",
        )
    counts = frame[target].dropna().astype(str).value_counts()
    if len(counts) < 2:
        raise typer.BadParameter(f"{target!r} has fewer than two classes", param_hint="--target")
    if given is not None:
        if given not in counts.index:
            raise typer.BadParameter(
                f"{given!r} is not a value of {target!r} ({', '.join(counts.index[:10])})",
                param_hint="--positive",
            )
        return given
    if len(counts) > 2:
        raise typer.BadParameter(
            f"{target!r} has {len(counts)} classes: say which one --positive is",
            param_hint="--positive",
        )
    return str(counts.index[-1])  # the rarer class: what such a model is usually asked to find


def init(
    directory: Annotated[Path, typer.Argument(help="New folder for the project.")],
    data: Annotated[Path, typer.Option(help="Training data: a .csv or .parquet file.")],
    target: Annotated[str, typer.Option(help="The column the model predicts.")],
    model: Annotated[
        str | None, typer.Option(help="Model name (default: the data file's name).")
    ] = None,
    positive: Annotated[
        str | None,
        typer.Option(help="The class ROC AUC is computed for (default: the rarer of two)."),
    ] = None,
    drop: Annotated[
        list[str] | None,
        typer.Option(help="A column that is not an input (an id, a date); repeat for more."),
    ] = None,
) -> None:
    """Make a project around your model: its pipeline, training declaration and tests, with
    a Dockerfile, Compose file, Heroku/Render/Spaces files and a GitHub Actions workflow."""
    directory = directory.resolve()
    project = re.sub(r"[^a-z0-9]+", "-", directory.name.lower()).strip("-")
    name = model or re.sub(r"[^a-z0-9]+", "_", data.stem.lower()).strip("_")
    for value, hint in ((project, "DIRECTORY"), (name, "--model")):
        if not NAME.match(value):
            raise typer.BadParameter(
                f"{value!r}: use lower-case letters, digits, - and _, starting with a letter",
                param_hint=hint,
            )
    frame = _read(data)
    dropped = drop or []
    unknown = [column for column in dropped if column not in frame.columns]
    if unknown:
        raise typer.BadParameter(f"no column {', '.join(map(repr, unknown))}", param_hint="--drop")
    values = ProjectValues(
        project=project,
        model=name,
        python_package=project.replace("-", "_"),
        space_files=f"{project.replace('-', '_')} data pyproject.toml .dockerignore",
        target=target,
        positive_label=_positive_label(frame, target, positive),
        data_file=f"data/{name}{data.suffix.lower()}",
        drop=json.dumps(dropped),  # a TOML array of strings is written as JSON writes it
    )
    written = scaffold_project(directory, values, data)
    console.print(f"[green]✓[/] {len(written)} files in {directory}")
    console.print(
        f"  model {name!r}: predicts {target!r} ({len(frame)} rows, "
        f"{len(frame.columns) - 1 - len(dropped)} inputs), ROC AUC for "
        f"{values.positive_label!r}"
    )
    console.print(f"next:\n  cd {directory}\n  pip install -e '.[dev]'\n  shipyard train {name}")
    console.print("  shipyard serve\n  pytest")
