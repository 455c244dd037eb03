"""The dashboard and the API on one port (one container, e.g. a Hugging Face Space): a
Streamlit ``App`` that serves the pages at ``/`` and mounts the API at ``/api``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.routing import Mount

ENTRY = Path(__file__).parent / "app.py"
API_PREFIX = "/api"
STREAMLIT_OPTIONS = {
    # No usage statistics leave the machine; no "Deploy" menu in a deployed app.
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "viewer",
    "server.headless": "true",
    # Installed code does not change under a running app: no watcher polling the files.
    "server.fileWatcherType": "none",
}


def streamlit_flags() -> list[str]:
    """``streamlit run`` flags for :data:`STREAMLIT_OPTIONS`."""
    return [part for key, value in STREAMLIT_OPTIONS.items() for part in (f"--{key}", value)]


def one_port_app(api: Any) -> Any:
    """``api`` (the FastAPI app) under ``/api``, its lifespan (log writer, models, schedules)
    run by the Streamlit app's own."""

    from streamlit import config

    for key, value in STREAMLIT_OPTIONS.items():
        config.set_option(key, value == "true" if value in ("true", "false") else value)

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        async with api.router.lifespan_context(api):
            yield

    return st.App(str(ENTRY), routes=[Mount(API_PREFIX, app=api)], lifespan=lifespan)
