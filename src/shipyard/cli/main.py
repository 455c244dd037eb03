"""Entry point: ``shipyard <command>``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from shipyard import __version__
from shipyard.cli import (
    dashboard,
    db,
    flows,
    init,
    keys,
    models,
    monitor,
    predict,
    predictions,
    serve,
    simulate,
    smoke,
    train,
    users,
    watch,
)
from shipyard.cli.context import error_console, reporting_errors
from shipyard.config import load_settings
from shipyard.errors import ShipyardError
from shipyard.telemetry.logs import configure_logging

app = typer.Typer(
    name="shipyard",
    help="Take a trained model to production and keep it healthy there.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
)
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users")
app.add_typer(predictions.app, name="predictions")
app.add_typer(monitor.app, name="monitor")
app.add_typer(models.app, name="models")
app.add_typer(flows.app, name="flows")
app.command("train")(reporting_errors(train.train))
app.command("serve")(reporting_errors(serve.serve))
app.command("demo")(reporting_errors(serve.demo))
app.command("predict")(reporting_errors(predict.predict))
app.command("simulate")(reporting_errors(simulate.simulate))
app.command("watch")(reporting_errors(watch.watch))
app.command("retrain")(reporting_errors(models.retrain))
app.command("dashboard")(reporting_errors(dashboard.dashboard))
app.command("smoke")(reporting_errors(smoke.smoke))
app.command("init")(reporting_errors(init.init))


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"shipyard {__version__}")
        raise typer.Exit()


CLIENT_COMMANDS = {"dashboard", "smoke", "init"}


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder of the embedded default (SQLite log, MLflow store). "
            "Same as SHIPYARD_DATA_DIR.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """shipyard: a typed prediction API, an audit log of every prediction, the model life cycle."""
    if data_dir is not None:
        # Through the environment, so server worker processes read the same folder.
        os.environ["SHIPYARD_DATA_DIR"] = str(data_dir)
    if ctx.invoked_subcommand in CLIENT_COMMANDS:
        # These need none of the server's settings (a prod profile's secrets): the dashboard
        # reads its own (with --with-api the command reads the server's itself), the others
        # talk to a server over HTTP or write files.
        configure_logging("INFO", "console")
        return
    try:
        settings = load_settings()
    except ShipyardError as error:
        error_console.print(f"[bold red]error:[/] {error.detail}")
        raise typer.Exit(1) from None
    configure_logging(settings.log_level, settings.resolved_log_format())


def run() -> None:
    """Console-script entry point."""
    app()
