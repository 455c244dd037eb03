"""``shipyard models``: list, promote, roll back, and the history of each model's aliases.

``shipyard retrain``: retrain a model now on its training data plus labelled feedback."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from typing import Annotated

import typer
from rich.table import Table

from shipyard.cli.context import console, current_settings, log_database, reporting_errors
from shipyard.config import ServingSettings
from shipyard.db import Database, upgrade_database
from shipyard.registry import ModelRegistry
from shipyard.services import promotion
from shipyard.services.runtime import registry_for

app = typer.Typer(help="Registered models: list, promote, roll back.", no_args_is_help=True)


def _actor() -> str:
    """Who runs the command, as the history records it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _version_number(value: str | None) -> str | None:
    if value is not None and not value.isdigit():
        raise typer.BadParameter(f"a version is a number such as 3, not {value!r}")
    return value


def _move(step: Callable[[ModelRegistry, Database, ServingSettings], promotion.Promotion]) -> None:
    """Run a promotion or rollback against the configured registry and log, and say so."""
    settings = current_settings()
    with log_database(settings) as database:
        upgrade_database(database)  # the history is kept there
        move = step(registry_for(settings), database, settings.serving).move
    before = f"v{move.from_version}" if move.from_version else "nothing"
    console.print(
        f"[green]✓[/] {move.model}@{move.alias}: {before} -> v{move.to_version}; servers "
        "following the registry swap it in at their next look"
    )


@app.command("list")
@reporting_errors
def list_models() -> None:
    """Every registered model with its aliases and latest version."""
    registry = registry_for(current_settings())
    table = Table(title="registered models")
    for column in ("model", "aliases", "versions", "latest"):
        table.add_column(column)
    for name in registry.model_names():
        model = registry.get_model(name)
        aliases = ", ".join(f"@{a} v{v}" for a, v in sorted(model.aliases.items()))
        latest = model.versions[0] if model.versions else None
        table.add_row(
            name,
            aliases or "-",
            str(len(model.versions)),
            f"v{latest.version} {latest.created_at:%Y-%m-%d %H:%M}" if latest else "-",
        )
    console.print(table)


@app.command("promote")
@reporting_errors
def promote(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    version: Annotated[
        str, typer.Argument(help="The version to serve, e.g. 3.", callback=_version_number)
    ],
    reason: Annotated[str, typer.Option(help="Why, for the history.")] = "",
) -> None:
    """Move the serving alias to VERSION, once it loads and checks as a server would."""
    _move(
        functools.partial(
            promotion.promote, name=name, version=version, actor=_actor(), reason=reason
        )
    )


@app.command("rollback")
@reporting_errors
def rollback(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    to: Annotated[
        str | None,
        typer.Option(
            help="The version to return to (default: the one before).", callback=_version_number
        ),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why, for the history.")] = "",
) -> None:
    """Move the serving alias back to the version it named before the current one."""
    _move(functools.partial(promotion.rollback, name=name, actor=_actor(), to=to, reason=reason))


@app.command("history")
@reporting_errors
def history(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    limit: Annotated[int, typer.Option(min=1, help="Most moves shown, newest first.")] = 20,
) -> None:
    """Moves of the model's aliases made through shipyard, newest first."""
    with log_database() as database:
        moves = promotion.alias_history(database, name, limit)
    table = Table(title=f"{name}: alias moves")
    for column in ("when (UTC)", "alias", "from", "to", "kind", "by", "why"):
        table.add_column(column)
    for move in moves:
        table.add_row(
            f"{move.created_at:%Y-%m-%d %H:%M:%S}",
            f"@{move.alias}",
            f"v{move.from_version}" if move.from_version else "-",
            f"v{move.to_version}",
            move.kind.value,
            move.actor,
            move.reason,
        )
    console.print(table)


def retrain(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    promote: Annotated[
        bool | None,
        typer.Option(
            "--promote/--no-promote", help="Promote a winner (default: SHIPYARD_RETRAIN__PROMOTE)."
        ),
    ] = None,
) -> None:
    """Retrain NAME on its training data plus the labelled feedback of the log, compare it
    with the champion on held-out feedback, register it @challenger, promote it if it wins."""
    from shipyard.services.retraining import card_message, retrain_and_tell
    from shipyard.telemetry.notifications import Notifier

    settings = current_settings()
    notifier = Notifier([url.get_secret_value() for url in settings.alerts.urls])
    with log_database(settings) as database:
        upgrade_database(database)
        card = retrain_and_tell(
            database,
            registry_for(settings),
            settings,
            notifier,
            name,
            trigger=f"shipyard retrain ({_actor()})",
            actor=_actor(),
            promote=promote,
        )
    title, body, _tone = card_message(card)
    colour = "green" if card.outcome == "promoted" else "yellow"
    console.print(f"[{colour}]{title}[/]")
    console.print(body)
