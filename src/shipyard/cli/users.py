"""``shipyard users``: people who log in for access tokens (``POST /v1/auth/token``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from shipyard.cli.context import (
    console,
    log_database,
    parsed_option,
    reporting_errors,
    shown_time,
)
from shipyard.domain.auth import format_scopes, parse_scopes
from shipyard.services import users as accounts

app = typer.Typer(
    help="Manage users (passwords are stored as Argon2 hashes).", no_args_is_help=True
)


@app.command("create")
@reporting_errors
# The empty default password makes typer prompt for it (bandit B107).
def create(  # nosec B107
    name: Annotated[str, typer.Option(help="The name to log in with.")],
    scopes: Annotated[
        str, typer.Option(help="Comma-separated: predict, read, admin (admin includes all).")
    ] = "read",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="SHIPYARD_NEW_USER_PASSWORD",
            help="Asked for when not given (at least 12 characters).",
        ),
    ] = "",
) -> None:
    """Create a user."""
    chosen = parsed_option(parse_scopes, scopes, "--scopes")
    with log_database() as database:
        try:
            user = accounts.create_user(database, name, password, chosen)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    console.print(f"[green]✓[/] user {user.name!r}, scopes {format_scopes(user.scopes, ', ')}")


@app.command("list")
@reporting_errors
def list_() -> None:
    """Show the users: name, scopes, dates (never a password)."""
    with log_database() as database:
        found = accounts.list_users(database)
    table = Table("name", "scopes", "created", "disabled")
    for user in found:
        table.add_row(
            user.name,
            format_scopes(user.scopes),
            shown_time(user.created_at),
            shown_time(user.disabled_at),
        )
    console.print(table)


@app.command("disable")
@reporting_errors
def disable(name: Annotated[str, typer.Argument(help="Name of the user.")]) -> None:
    """Disable a user: its tokens stop working within `auth.key_cache_seconds` (1 s)."""
    with log_database() as database:
        user = accounts.disable_user(database, name)
    console.print(f"[green]✓[/] user {user.name!r} disabled")
