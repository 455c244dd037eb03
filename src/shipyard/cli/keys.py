"""``shipyard keys``: mint, list and revoke API keys."""

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
from shipyard.services import keys as api_keys

app = typer.Typer(help="Manage API keys (only their hashes are stored).", no_args_is_help=True)


@app.command("create")
@reporting_errors
def create(
    name: Annotated[str, typer.Option(help="A name to list and revoke the key by.")],
    scopes: Annotated[
        str, typer.Option(help="Comma-separated: predict, read, admin (admin includes all).")
    ] = "predict,read",
    owner: Annotated[
        str | None,
        typer.Option(
            help="Caller id recorded on its predictions (default: the name). Give a new key "
            "the owner of the one it replaces to keep seeing the same predictions."
        ),
    ] = None,
) -> None:
    """Mint a key and print it once: it cannot be shown again."""
    chosen = parsed_option(parse_scopes, scopes, "--scopes")
    with log_database() as database:
        try:
            minted = api_keys.create_key(database, name, chosen, owner)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--name") from None
    key = minted.key
    console.print(
        f"[green]✓[/] key {key.name!r} for {key.owner!r}, scopes {format_scopes(key.scopes, ', ')}"
    )
    console.print("Store it now; shipyard keeps only its hash:\n")
    console.print(minted.plaintext, soft_wrap=True)


@app.command("list")
@reporting_errors
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
) -> None:
    """Show the keys: name, owner, scopes, prefix and dates (never the secret)."""
    with log_database() as database:
        found = api_keys.list_keys(database, include_revoked=all_)
    table = Table("name", "owner", "scopes", "prefix", "created", "revoked")
    for key in found:
        table.add_row(
            key.name,
            key.owner,
            format_scopes(key.scopes),
            f"{key.shown_prefix}…",
            shown_time(key.created_at),
            shown_time(key.revoked_at),
        )
    console.print(table)


@app.command("revoke")
@reporting_errors
def revoke(name: Annotated[str, typer.Argument(help="Name of the key to revoke.")]) -> None:
    """Revoke a key. Every server process refuses it within `auth.key_cache_seconds` (1 s)."""
    with log_database() as database:
        key = api_keys.revoke_key(database, name)
    console.print(f"[green]✓[/] key {key.name!r} ({key.shown_prefix}…) revoked")
