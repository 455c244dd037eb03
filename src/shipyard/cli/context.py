"""What every command shares: the console and the settings it runs with."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from shipyard.config import Settings, load_settings
from shipyard.db import Database, configured_database
from shipyard.errors import ShipyardError

P = ParamSpec("P")
R = TypeVar("R")

console = Console(highlight=False)
error_console = Console(stderr=True, highlight=False)


def current_settings() -> Settings:
    """Settings from the environment and ``.env`` files (read when a command runs)."""
    return load_settings()


@contextmanager
def log_database(settings: Settings | None = None) -> Iterator[Database]:
    """The prediction log database of the current settings, closed after the block."""
    with configured_database(settings or current_settings()) as database:
        yield database


def reporting_errors(command: Callable[P, R]) -> Callable[P, R]:
    """shipyard's own errors become one red line and exit code 1, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ShipyardError as error:
            error_console.print(f"[bold red]error:[/] {error.detail}")
            raise typer.Exit(1) from None

    return wrapper


V = TypeVar("V")


def parsed_option(parse: Callable[[str], V], value: str, hint: str) -> V:
    """``parse(value)``, a ValueError shown as a bad ``hint`` option (usage error, exit 2)."""
    try:
        return parse(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=hint) from None


def shown_time(moment: datetime | None) -> str:
    """A time as the listings show it; empty when there is none."""
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""
