"""``shipyard dashboard``: the Streamlit dashboard, beside a server or with the API on the
same port."""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Annotated, Any

import typer
import uvicorn

from shipyard.cli.context import console, current_settings
from shipyard.cli.serve import migrate_log, port_for
from shipyard.config import load_dashboard_settings
from shipyard.errors import InvalidSettings

ONE_PORT_FACTORY = "shipyard.cli.dashboard:one_port_app"


def _require_streamlit() -> None:
    if importlib.util.find_spec("streamlit") is None:
        raise InvalidSettings(['the dashboard needs Streamlit: pip install "shipyard[dashboard]"'])


def one_port_app() -> Any:
    """The uvicorn factory of ``--with-api``: built in the server process, after the
    environment says where the API is."""
    from shipyard.api.app import create_app
    from shipyard.dashboard.hosting import one_port_app as compose

    return compose(create_app())


def run_one_port(host: str, port: int) -> None:
    """Serve the dashboard at ``/`` and the API at ``/api`` in this process."""
    _require_streamlit()
    from shipyard.dashboard.hosting import API_PREFIX

    # The dashboard calls the API in this same process, at the address it is bound to.
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # nosec B104 - compared
    local = f"[{local}]" if ":" in local else local
    os.environ["SHIPYARD_DASHBOARD__API_URL"] = f"http://{local}:{port}{API_PREFIX}"
    console.print(
        f"Dashboard: http://localhost:{port}/   API: http://localhost:{port}{API_PREFIX}/"
    )
    uvicorn.run(
        ONE_PORT_FACTORY,
        factory=True,
        host=host,
        port=port,
        timeout_graceful_shutdown=30,
        log_config=None,
        access_log=False,
    )


def dashboard(
    api_url: Annotated[
        str | None,
        typer.Option(help="The server to read (default: SHIPYARD_DASHBOARD__API_URL)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(help="Port (default 8501; with --with-api, $PORT first).")
    ] = None,
    with_api: Annotated[
        bool,
        typer.Option(
            "--with-api",
            help="Also serve the API, at /api on the same port (one container).",
        ),
    ] = False,
) -> None:
    """Open the dashboard: traffic, predictions, monitoring, models, and a form to try it.

    The key it sends is SHIPYARD_DASHBOARD__API_KEY: keep it read-only; operators sign in as
    users to promote and roll back."""
    _require_streamlit()
    if with_api:
        settings = current_settings()
        migrate_log(settings)
        run_one_port(host, port_for(port, settings, settings.dashboard.port))
        return
    own = load_dashboard_settings()
    chosen_port = port or own.port
    from shipyard.dashboard.hosting import ENTRY, streamlit_flags

    if api_url:
        os.environ["SHIPYARD_DASHBOARD__API_URL"] = api_url
    shown = api_url or own.api_url
    console.print(f"Dashboard: http://localhost:{chosen_port}/ reading {shown}")
    sys.stdout.flush()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ENTRY),
        "--server.address",
        host,
        "--server.port",
        str(chosen_port),
        *streamlit_flags(),
    ]
    # Replaced, not wrapped: signals (Ctrl-C, a container's SIGTERM) reach Streamlit itself.
    os.execv(sys.executable, command)  # nosec B606 - our own interpreter and entry script
