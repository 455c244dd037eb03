"""``shipyard db``: the prediction log's schema."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard.cli.context import (
    console,
    log_database,
    parsed_option,
    reporting_errors,
)
from shipyard.config import parse_duration
from shipyard.db import upgrade_database
from shipyard.db.migrate import current_revision, head_revision
from shipyard.services import retention

app = typer.Typer(help="Manage the prediction log database.", no_args_is_help=True)


@app.command("upgrade")
@reporting_errors
def upgrade() -> None:
    """Apply the migrations that ship with shipyard (safe to run again)."""
    with log_database() as database:
        upgrade_database(database)
        console.print(f"[green]✓[/] {database.url} is at revision {current_revision(database)}")


@app.command("current")
@reporting_errors
def current() -> None:
    """Show the schema revision of the database and the newest one shipyard knows."""
    with log_database() as database:
        console.print(f"database: {database.url}")
        console.print(f"current:  {current_revision(database) or 'empty'}")
        console.print(f"head:     {head_revision()}")


@app.command("prune")
@reporting_errors
def prune(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Age past which rows go, e.g. 90d, 12h, 2w.")
    ],
) -> None:
    """Delete predictions (with their feedback) older than the given age."""
    age = parsed_option(parse_duration, older_than, "--older-than")
    with log_database() as database:
        removed = retention.prune(database, age)
    console.print(f"[green]✓[/] removed {removed} predictions older than {older_than}")
