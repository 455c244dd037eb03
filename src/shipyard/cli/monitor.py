"""``shipyard monitor``: drift, data quality and performance of a model's logged traffic."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from shipyard.cli.context import console, current_settings, log_database, reporting_errors
from shipyard.config import parse_duration
from shipyard.domain.timestamps import as_utc
from shipyard.schemas.monitoring import MonitoringReport
from shipyard.services.monitoring import monitor_model, recent_reports
from shipyard.services.runtime import registry_for
from shipyard.telemetry.metrics import grafana_dashboard

app = typer.Typer(help="Monitor models: drift, data quality, performance.", no_args_is_help=True)


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _summary(report: MonitoringReport) -> Table:
    table = Table(title=f"{report.model} v{report.version}: {report.rows} predictions")
    for column in ("column", "method", "score", "threshold", "PSI", "drift"):
        table.add_column(column)
    for drift in sorted(report.columns, key=lambda c: (not c.drifted, c.column)):
        table.add_row(
            drift.column,
            drift.method,
            _score(drift.score),
            f"{drift.threshold:g}",
            _score(drift.psi),
            "[red]drift[/]" if drift.drifted else "[green]ok[/]",
        )
    return table


@app.command("run")
@reporting_errors
def run(
    model: Annotated[str, typer.Option("--model", "-m", help="Registered model name.")],
    window: Annotated[
        str, typer.Option(help="How far back to read the prediction log, e.g. 24h, 7d.")
    ] = "24h",
    end: Annotated[
        datetime | None, typer.Option(help="End of the window (UTC unless a zone is given).")
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="Compare with this version's data (default: serving alias).")
    ] = None,
) -> None:
    """Compare the window's logged inputs and predictions with the training data; store the
    report and write it as JSON and HTML."""
    settings = current_settings()
    try:
        length = parse_duration(window)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--window") from None
    with log_database(settings) as database:
        done = monitor_model(
            database,
            registry_for(settings),
            settings.serving,
            settings.reports_dir(),
            model,
            window=length,
            end=as_utc(end),
            version=version,
            max_rows=settings.monitoring.max_rows,
        )
    report = done.report
    console.print(_summary(report))
    drift = report.dataset_drift
    verdict = "[red]drifted[/]" if drift.drifted else "[green]no data set drift[/]"
    console.print(
        f"{verdict}: {drift.drifted_columns} of {drift.columns} columns "
        f"({drift.share:.0%}); predicted labels {_score(report.prediction.label.score)} "
        f"({report.prediction.label.method}); estimated ROC AUC "
        f"{_score(report.performance.estimated.roc_auc)}"
    )
    console.print(f"report: {done.html_path}\n        {done.json_path}")


@app.command("history")
@reporting_errors
def history(
    model: Annotated[str, typer.Option("--model", "-m", help="Registered model name.")],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Most runs shown.")] = 20,
) -> None:
    """The model's latest monitoring runs, newest first."""
    with log_database() as database:
        reports = recent_reports(database, model, limit)
    table = Table(title=f"{model}: monitoring runs")
    for column in ("when (UTC)", "version", "rows", "drifted columns", "data set", "est. ROC AUC"):
        table.add_column(column)
    for report in reports:
        table.add_row(
            f"{report.created_at:%Y-%m-%d %H:%M}",
            report.version,
            str(report.rows),
            f"{report.dataset_drift.drifted_columns}/{report.dataset_drift.columns}",
            "[red]drift[/]" if report.dataset_drift.drifted else "[green]ok[/]",
            _score(report.performance.estimated.roc_auc),
        )
    console.print(table)


@app.command("grafana")
def grafana() -> None:
    """Print the Grafana dashboard of shipyard's metrics (JSON, to import or provision)."""
    print(grafana_dashboard())  # noqa: T201 (the output is the product: pipe it to a file)
