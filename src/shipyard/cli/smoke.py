"""``shipyard smoke``: check a deployed server end to end, as a deploy pipeline's last step."""

from __future__ import annotations

import time
from typing import Annotated, Any

import httpx
import typer

from shipyard.cli.context import console, error_console
from shipyard.client import ApiError, ShipyardClient
from shipyard.schemas.models import InputFieldRead


class SmokeFailed(Exception):
    pass


def record_from_schema(fields: list[InputFieldRead]) -> dict[str, Any]:
    """One record made of each field's typical value (the served version's reference data)."""
    record: dict[str, Any] = {}
    for field in fields:
        if field.example is not None:
            record[field.name] = field.example
        elif field.choices:
            record[field.name] = field.choices[0]
        elif field.required:
            raise SmokeFailed(
                f"the schema gives no typical value for {field.name!r} (the model was "
                "registered without reference data): no record can be made up"
            )
    return record


def _wait_until_ready(client: ShipyardClient, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    status = 0
    while True:
        try:
            status = client.probe("/readyz")
        except httpx.TransportError as error:
            status, reason = 0, f"{type(error).__name__}: {error}"
        else:
            reason = f"HTTP {status}"
        if status == 200:
            return
        if time.monotonic() >= deadline:
            raise SmokeFailed(f"/readyz not ready after {wait_seconds:g} s ({reason})")
        time.sleep(1.0)


def _check(client: ShipyardClient, model: str | None, wait_seconds: float) -> None:
    _wait_until_ready(client, wait_seconds)  # a fresh deploy may still be starting
    console.print("[green]✓[/] /readyz")
    live = client.probe("/livez")
    if live != 200:
        raise SmokeFailed(f"/livez answered {live}")
    console.print("[green]✓[/] /livez")
    health = client.health()
    console.print(f"[green]✓[/] /health: {health.status}")
    names = [model] if model else [m.name for m in client.models().items if m.served_version]
    if not names:
        raise SmokeFailed("the server serves no model")
    for name in names:
        described = client.model(name)
        answer = client.predict(name, record_from_schema(described.input_schema))
        scored = answer.predictions[0]
        console.print(
            f"[green]✓[/] {name} v{scored.version}: {scored.label} "
            f"(request {answer.request_id}, logged as {scored.prediction_id})"
        )


def smoke(
    url: Annotated[str, typer.Option(help="The server, e.g. https://my-app.onrender.com.")],
    model: Annotated[
        str | None, typer.Option(help="Model to send a prediction to (default: every served one).")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="SHIPYARD_API_KEY", help="Key with the predict and read scopes."),
    ] = None,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for /readyz to answer 200.")
    ] = 60.0,
) -> None:
    """Check a running server: /livez, /readyz, /health, then one prediction per model, made
    from the typical values its schema gives. Exits 1 with the reason on the first failure."""
    with ShipyardClient(url, api_key=api_key, timeout=30.0) as client:
        try:
            _check(client, model, wait)
        except ApiError as error:
            error_console.print(
                f"[bold red]smoke test failed:[/] HTTP {error.status}: {error.detail}"
            )
            raise typer.Exit(1) from None
        except (SmokeFailed, httpx.HTTPError, httpx.InvalidURL) as error:
            error_console.print(f"[bold red]smoke test failed:[/] {error}")
            raise typer.Exit(1) from None
    console.print(f"[green]✓[/] {url} passed the smoke test")
