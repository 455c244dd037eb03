"""``shipyard train``: train an example model, register it, promote it if it wins."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from shipyard.cli.context import console, current_settings, log_database
from shipyard.db import Database, upgrade_database
from shipyard.errors import DatabaseUnavailable, ModelNotFound, ModelVersionNotFound
from shipyard.services.runtime import registry_for
from shipyard.training.datasets import EXAMPLES

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


def run_training(name: str, options: TrainingOptions) -> TrainingReport:
    """Train with a live progress display; shared by ``train`` and ``demo``."""
    from shipyard.services.training import train_example

    settings = current_settings()
    registry = registry_for(settings)
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
            upgrade_database(database)  # the alias history is kept there
            history: Database | None = database
        except DatabaseUnavailable as error:  # training needs only the registry
            console.print(f"[yellow]warning:[/] {error.detail}: this promotion is not recorded")
            history = None
        report = train_example(
            registry,
            name,
            options,
            progress=lambda step: progress.update(task, description=step),
            database=history,
        )
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
    return report


def _served_version(name: str) -> str | None:
    settings = current_settings()
    try:
        return registry_for(settings).resolve(name, settings.serving.alias).version
    except (ModelNotFound, ModelVersionNotFound):
        return None


def train(
    name: Annotated[
        str,
        typer.Argument(
            help=f"Model to train: an example ({', '.join(EXAMPLES)}) or a model the "
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
