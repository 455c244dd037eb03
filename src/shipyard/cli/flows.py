"""``shipyard flows``: monitor → retrain → promote as Prefect 3 deployments."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from shipyard.cli.context import console, current_settings, reporting_errors
from shipyard.errors import InvalidInput

app = typer.Typer(help="Prefect deployments of the model life cycle.", no_args_is_help=True)


class PrefectMissing(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "the Prefect client is not installed: pip install 'shipyard[prefect]' "
            "(see docs/lifecycle.md for the Prefect server's own environment)"
        )


class NoPrefectServer(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "PREFECT_API_URL is not set: start a Prefect server (prefect server start, in its "
            "own environment) and set PREFECT_API_URL=http://HOST:4200/api"
        )


@app.command("serve")
@reporting_errors
def serve(
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model to deploy (repeatable; default: served ones)."),
    ] = None,
) -> None:
    """Register one deployment per model with the Prefect server and run them on their
    schedule (SHIPYARD_PREFECT__EVERY) until interrupted."""
    if not os.environ.get("PREFECT_API_URL"):
        raise NoPrefectServer()
    try:
        from shipyard.flows.lifecycle import serve_deployments
    except ModuleNotFoundError as missing:
        if missing.name and missing.name.startswith("prefect"):
            raise PrefectMissing() from None
        raise
    settings = current_settings()
    models = model or list(settings.serving.models)
    console.print(
        f"serving {len(models)} deployment(s) of shipyard-lifecycle every "
        f"{settings.prefect.every}: {', '.join(models)}"
    )
    serve_deployments(models, settings)
