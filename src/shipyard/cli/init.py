"""``shipyard init``: a new project around the user's own model and data."""

from __future__ import annotations

import importlib.util
import json
import keyword
import re
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from shipyard import __version__
from shipyard.cli.context import console
from shipyard.scaffold import PROJECT_EXTRAS, ProjectValues, scaffold_project
from shipyard.training.datasets import read_table

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def _package_name(project: str) -> str:
    """The project's Python package: it must not shadow a module Python would import."""
    package = project.replace("-", "_")
    if keyword.iskeyword(package) or importlib.util.find_spec(package) is not None:
        raise typer.BadParameter(
            f"{package!r} is already a Python module here: the project's package would "
            "shadow it; choose another folder name",
            param_hint="DIRECTORY",
        )
    return package


def _shipyard_requirement(source: str | None) -> str:
    """The project's dependency on shipyard: this version from PyPI, or ``source``."""
    extras = "shipyard" + PROJECT_EXTRAS
    if source is None:
        return f"{extras}=={__version__}"
    path = Path(source).expanduser()
    if path.exists():
        return f"{extras} @ {path.resolve().as_uri()}"
    return f"{extras} @ {source}"  # a URL pip understands, e.g. git+https://...


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
    shipyard_source: Annotated[
        str | None,
        typer.Option(
            help="Where the project installs shipyard from: a folder or a pip URL "
            "(git+https://...). Default: this version from PyPI."
        ),
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
    package = _package_name(project)
    frame = read_table(data)
    dropped = drop or []
    unknown = [column for column in dropped if column not in frame.columns]
    if unknown:
        raise typer.BadParameter(f"no column {', '.join(map(repr, unknown))}", param_hint="--drop")
    if target in dropped:
        raise typer.BadParameter(f"{target!r} is the target: keep it", param_hint="--drop")
    positive_label = _positive_label(frame, target, positive)
    values = ProjectValues(
        project=project,
        model=name,
        extras="",  # the project's own dependencies name shipyard's extras
        python_package=package,
        space_files=f"{package} data pyproject.toml .dockerignore",
        # Written into pyproject.toml as TOML strings: JSON's escaping is TOML's.
        target=json.dumps(target),
        positive_label=json.dumps(positive_label),
        data_file=f"data/{name}{data.suffix.lower()}",
        drop=json.dumps(dropped),
        shipyard_requirement=json.dumps(_shipyard_requirement(shipyard_source)),
    )
    written = scaffold_project(directory, values, data)
    console.print(f"[green]✓[/] {len(written)} files in {directory}")
    labelled = int(frame[target].notna().sum())
    console.print(
        f"  model {name!r}: predicts {target!r} ({labelled} labelled rows, "
        f"{len(frame.columns) - 1 - len(dropped)} inputs), ROC AUC for {positive_label!r}",
        markup=False,
    )
    console.print(
        f"next:\n  cd {directory}\n  pip install -e '.[dev]'\n  shipyard train {name}\n"
        "  shipyard serve\n  pytest",
        markup=False,
    )
