"""``shipyard serve`` and ``shipyard demo``."""

from __future__ import annotations

import json
import os
import shlex
from typing import Annotated

import typer
import uvicorn

from shipyard.cli.context import console, current_settings, error_console, log_database
from shipyard.cli.train import run_training
from shipyard.config import Settings, duration_text
from shipyard.db import Database, upgrade_database
from shipyard.domain.auth import Scope
from shipyard.errors import DatabaseUnavailable, ModelNotFound, ModelVersionNotFound
from shipyard.project import project_models
from shipyard.services import keys as api_keys
from shipyard.services.runtime import registry_for
from shipyard.training.datasets import EXAMPLES, PRETRAINED, example_names, training_dataset

APP_FACTORY = "shipyard.api.app:create_app"


def port_for(option: int | None, settings: Settings, default: int | None = None) -> int:
    """--port, then SHIPYARD_SERVER__PORT, then PORT (Heroku, Render, Spaces), then the
    server's port setting (8000), or ``default``."""
    if option is not None:
        return option
    if "SHIPYARD_SERVER__PORT" not in os.environ and os.environ.get("PORT", "").isdigit():
        return int(os.environ["PORT"])
    return default if default is not None else settings.server.port


def migrate_log(settings: Settings) -> None:
    with log_database(settings) as database:
        _upgrade(database, settings)


def _upgrade(database: Database, settings: Settings) -> None:
    try:
        upgrade_database(database)
    except DatabaseUnavailable as error:
        if settings.log_writer.on_database_down != "spool":
            raise
        # A restart during an outage: predictions go to the spool; the server checks the
        # schema again when the database is back, and says in /readyz if it is behind.
        error_console.print(
            f"[yellow]warning:[/] migrations not applied ({error.detail}); predictions go to "
            "the spool until the database is back"
        )


def _run_server(host: str, port: int, workers: int, access_log: bool) -> None:
    # The app writes its own line per request (with the request id, the route and what was
    # predicted); the factory reads the choice from the environment, in every worker.
    os.environ["SHIPYARD_SERVER__ACCESS_LOG"] = "true" if access_log else "false"
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=30,
        log_level="info",
        log_config=None,  # uvicorn's records go through shipyard's structured logging
        access_log=False,
    )


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000, or $PORT).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations first.")] = True,
    access_log: Annotated[
        bool | None, typer.Option(help="Log a line per request (default: on).")
    ] = None,
) -> None:
    """Serve the @champion of each configured model over HTTP."""
    settings = current_settings()
    if migrate:
        migrate_log(settings)
    _run_server(
        host or settings.server.host,
        port_for(port, settings),
        workers or settings.server.workers,
        settings.server.access_log if access_log is None else access_log,
    )


DEMO_KEY_NAME = "demo"
DEMO_MONITORING_EVERY = "1m"
DEMO_RETRAIN_COOLDOWN = "2m"


def _demo_key(settings: Settings) -> str | None:
    """A fresh predict+read key for the demo's curl lines (the previous one is revoked: its
    secret cannot be shown again)."""
    if not settings.auth.enabled:
        return None
    with log_database(settings) as database:
        if any(key.name == DEMO_KEY_NAME for key in api_keys.list_keys(database)):
            api_keys.revoke_key(database, DEMO_KEY_NAME)
        minted = api_keys.create_key(
            database, DEMO_KEY_NAME, frozenset({Scope.PREDICT, Scope.READ})
        )
    return minted.plaintext


def _auth_header(key: str | None) -> str:
    return f" -H 'X-API-Key: {key}'" if key else ""


def _first_record(name: str) -> dict[str, object]:
    """The first row of what ``name`` was trained or referenced on; {} for another model."""
    if name in PRETRAINED:
        features = PRETRAINED[name].load_corpus()
    elif name in EXAMPLES or name in project_models():
        features, _ = training_dataset(name).load()
    else:
        return {}
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in features.iloc[0].items()}


def _curl_example(settings: Settings, host: str, base: str, key: str | None) -> str:
    name = settings.serving.served_default()
    body = shlex.quote(json.dumps(_first_record(name)))
    return (
        f"curl -s -X POST {base}/v1/models/{name}/predict{_auth_header(key)} "
        f"-H 'Content-Type: application/json' -d {body}"
    )


def demo(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000, or $PORT).")] = None,
    dashboard: Annotated[
        bool,
        typer.Option(
            "--dashboard",
            help="Serve the dashboard too, on the same port, with the API at /api "
            "(the dashboard extra; one container, e.g. a Hugging Face Space).",
        ),
    ] = False,
) -> None:
    """Train the demo model if there is no champion yet, migrate, and serve it."""
    # A demo shows drift being caught within a minute, not a quarter of an hour.
    os.environ.setdefault("SHIPYARD_MONITORING__EVERY", DEMO_MONITORING_EVERY)
    # A retrain at most every other monitoring run, not every six hours: the demo shows the loop.
    os.environ.setdefault("SHIPYARD_RETRAIN__COOLDOWN", DEMO_RETRAIN_COOLDOWN)
    settings = current_settings()
    registry = registry_for(settings)
    for name in settings.serving.models:
        try:
            version = registry.resolve(name, settings.serving.alias)
            console.print(
                f"[green]✓[/] {name} @{settings.serving.alias} is version {version.version}"
            )
        except (ModelNotFound, ModelVersionNotFound):
            if name not in example_names() and name not in project_models():
                raise
            console.print(f"No @{settings.serving.alias} for {name} yet: training it.")
            from shipyard.services.training import TrainingOptions

            run_training(name, TrainingOptions(alias=settings.serving.alias))
    migrate_log(settings)
    key = _demo_key(settings)
    host = host or settings.server.host
    chosen_port = port_for(port, settings)
    console.print(f"[green]✓[/] prediction log at {settings.resolved_database_url()}")
    if key:
        console.print(f"[green]✓[/] API key {DEMO_KEY_NAME!r} (predict, read): {key}")
    # Compares the bound address to show a clickable one; it binds nothing.
    shown_host = "localhost" if host in {"0.0.0.0", "127.0.0.1"} else host  # nosec B104
    site = f"http://{shown_host}:{chosen_port}"
    base = f"{site}/api" if dashboard else site
    if dashboard:
        console.print(f"\nDashboard: {site}/")
    console.print(f"\nAPI docs: {base}/docs\nTry it:\n")
    console.print(_curl_example(settings, host, base, key), soft_wrap=True)
    console.print("\nThen list what was logged:")
    console.print(f"curl -s{_auth_header(key)} '{base}/v1/predictions?limit=5'\n", soft_wrap=True)
    every = settings.monitoring.every
    name = settings.serving.served_default()
    if every is not None and name in EXAMPLES:
        key_option = f" --api-key {key}" if key else ""
        console.print(
            f"Watch drift get caught (monitoring every {duration_text(every)}, alerts logged here):"
        )
        console.print(
            f"shipyard simulate --model {name} --drift 0.5 --url {base}{key_option}\n",
            soft_wrap=True,
        )
        if settings.retrain.on != "never":
            console.print(
                "Then change the world and watch it retrain, evaluate and promote a new version:"
            )
            console.print(
                f"shipyard simulate --model {name} --drift 0.5 --rows 400 --feedback 1 "
                f"--concept OverTime=Yes --url {base}{key_option}\n",
                soft_wrap=True,
            )
    if dashboard:
        from shipyard.cli.dashboard import run_one_port

        if key:  # the dashboard reads and tries with the key just minted (the old one is revoked)
            os.environ["SHIPYARD_DASHBOARD__API_KEY"] = key
        run_one_port(host, chosen_port)
        return
    _run_server(host, chosen_port, 1, settings.server.access_log)
