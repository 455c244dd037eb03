"""The dashboard's one way to data: an API client built from ``SHIPYARD_DASHBOARD__*``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from shipyard.client import ApiError, ShipyardClient
from shipyard.config import DashboardSettings, load_settings
from shipyard.schemas.auth import CallerRead

T = TypeVar("T")
MODEL_KEY = "model"
"""Session state key of the model chosen in the sidebar (shared by every page)."""


def dashboard_settings() -> DashboardSettings:
    return load_settings().dashboard


@st.cache_resource(show_spinner=False)
def _client(url: str, key: str | None) -> ShipyardClient:
    return ShipyardClient(url, api_key=key, timeout=30.0)


def client() -> ShipyardClient:
    """One client per (server, key), shared by every session of this process."""
    settings = dashboard_settings()
    key = settings.api_key.get_secret_value() if settings.api_key else None
    return _client(settings.api_url.rstrip("/"), key)


def fetch(what: str, call: Callable[[], T]) -> T | None:
    """Call the API; on failure show why in an error box and give None."""
    try:
        return call()
    except ApiError as error:
        st.error(f"Could not load {what}: {error.detail} ({error.status} {error.name})")
    except Exception as error:  # the server is down or unreachable
        st.error(
            f"Could not load {what}: the API at {dashboard_settings().api_url} did not answer "
            f"({type(error).__name__}). Start it with `shipyard serve` or set "
            "SHIPYARD_DASHBOARD__API_URL."
        )
    return None


def caller() -> CallerRead | None:
    return fetch("who this dashboard is", client().me)


def is_admin(who: CallerRead | None) -> bool:
    return who is not None and "admin" in who.scopes


def chosen_model() -> str | None:
    """The model chosen in the sidebar; None when the server serves none."""
    chosen = st.session_state.get(MODEL_KEY)
    return str(chosen) if chosen else None
