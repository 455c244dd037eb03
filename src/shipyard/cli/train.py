"""``shipyard train``: train an example model, register it, promote it if it wins."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from shipyard.cli.context import console, current_settings, log_database
from shipyard.db import Database, upgrade_database
from shipyard.errors import (
    DatabaseUnavailable,
    InvalidInput,
)
from shipyard.services.promotion import alias_version
from shipyard.services.runtime import registry_for
from shipyard.training.datasets import PRETRAINED, example_names

# Training imports scikit-learn (seconds, ~150 MB): imported by the commands that train, so
# that `shipyard serve` of a converted model never loads it.
if TYPE_CHECKING:
    from shipyard.services.training import TrainingOptions, TrainingReport


def _report_table(report: TrainingReport) -> Table:
    table = Table(title=f"{report.model_name} v{report.version.version} ({report.algorithm})")
    table.add_column("metric (holdout)")
    table.add_column("candidate", justify="right")
    table.add_column(
        f"champion v{report.champion_before}" if report.champion_before else "champion",
        justify="right",
    )
    champion = report.champion_metrics.as_dict() if report.champion_metrics else {}
    for metric, value in report.metrics.as_dict().items():
        before = champion.get(metric)
        table.add_row(metric, f"{value:.4f}", f"{before:.4f}" if before is not None else "—")
    return table


@contextmanager
def _training_session() -> Iterator[tuple[Callable[[str], None], Database | None]]:
    """A live progress line, and the log database where the alias history is kept (None,
    with a warning, when it is down: training needs only the registry)."""
    settings = current_settings()
    with (
        log_database(settings) as database,
        Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as progress,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # MLflow's hints about integer columns and pip
        task = progress.add_task("Starting", total=None)
        try:
            upgrade_database(database)
            history: Database | None = database
        except DatabaseUnavailable as error:
            console.print(f"[yellow]warning:[/] {error.detail}: this promotion is not recorded")
            history = None
        yield (lambda step: progress.update(task, description=step)), history


def run_training(name: str, options: TrainingOptions) -> None:
    """Train (or register a pretrained example) with a live progress display; shared by
    ``train`` and ``demo``."""
    if name in PRETRAINED:
        if options.algorithm != "auto":
            raise InvalidInput(f"{name} is pretrained: register it without --algorithm")
        _register_pretrained(name, options)
        return
    from shipyard.services.training import train_example

    registry = registry_for(current_settings())
    with _training_session() as (step, history):
        report = train_example(registry, name, options, progress=step, database=history)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for algorithm, auc in report.cv_auc.items():
        console.print(f"cross-validated ROC AUC of {algorithm}: {auc:.4f}")
    console.print(_report_table(report))
    if report.promoted:
        console.print(f"[green]✓[/] @{options.alias} -> version {report.version.version}")
    else:
        console.print(
            f"[yellow]•[/] version {report.version.version} registered; @{options.alias} stays on "
            f"version {report.champion_before} (it scores as well or better on the same holdout)"
        )


def _register_pretrained(name: str, options: TrainingOptions) -> None:
    from shipyard.services.pretrained import register_pretrained

    registry = registry_for(current_settings())
    with _training_session() as (step, history):
        report = register_pretrained(
            registry,
            PRETRAINED[name],
            seed=options.seed,
            alias=options.alias,
            progress=step,
            database=history,
        )
    table = Table(title=f"{name} v{report.version.version} (pretrained)")
    table.add_column("predicted label")
    table.add_column(f"share of {report.reference_rows} reference rows", justify="right")
    for label, share in sorted(report.label_shares.items()):
        table.add_row(label, f"{share:.1%}")
    console.print(table)
    if report.promoted:
        console.print(f"[green]✓[/] @{options.alias} -> version {report.version.version}")
    else:
        console.print(
            f"[yellow]•[/] version {report.version.version} registered; @{options.alias} stays on "
            f"version {report.champion_before} (a pretrained model has no holdout to win on: "
            f"`shipyard models promote {name} {report.version.version}` serves it)"
        )


def _served_version(name: str) -> str | None:
    settings = current_settings()
    return alias_version(registry_for(settings), name, settings.serving.alias)


def train(
    name: Annotated[
        str,
        typer.Argument(
            help=f"Model to train: an example ({', '.join(example_names())}) or a model the "
            "pyproject.toml of this folder declares under [tool.shipyard.models]."
        ),
    ],
    algorithm: Annotated[
        str, typer.Option(help="auto (pick by 5-fold CV ROC AUC), logistic or gradient_boosting.")
    ] = "auto",
    test_size: Annotated[float, typer.Option(min=0.05, max=0.5, help="Holdout share.")] = 0.25,
    seed: Annotated[int, typer.Option(help="Seed of the split and the models.")] = 42,
    if_missing: Annotated[
        bool,
        typer.Option(
            "--if-missing",
            help="Do nothing when the serving alias (@champion) names a version already "
            "(a container's first start).",
        ),
    ] = False,
) -> None:
    """Train an example or a project's model, log it to MLflow and register a version."""
    from shipyard.services.training import TrainingOptions

    if if_missing:
        served = _served_version(name)
        if served is not None:
            alias = current_settings().serving.alias
            console.print(f"[green]✓[/] {name}@{alias} is version {served}: nothing to train")
            return
    run_training(name, TrainingOptions(algorithm=algorithm, test_size=test_size, seed=seed))
