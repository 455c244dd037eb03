"""The dashboard's one way to data: an API client built from ``SHIPYARD_DASHBOARD__*``, or,
once a user has signed in, one that sends that user's access token.

Whoever reaches the dashboard acts with its key. Keep that key ``read`` (the default way to
run it) and let operators sign in to promote or roll back: their token lives in their own
browser session only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
import streamlit as st

from shipyard.client import ApiError, ShipyardClient
from shipyard.config import DashboardSettings, load_dashboard_settings
from shipyard.schemas.auth import CallerRead
from shipyard.schemas.models import ModelRead

T = TypeVar("T")
MODEL_KEY = "model"
"""Session state key of the model chosen in the sidebar (shared by every page)."""
# The name of a session state entry, not a secret (bandit B105).
TOKEN_KEY = "access_token"  # nosec B105
"""Session state key of a signed-in user's access token (this browser session only)."""
CALLER_KEY = "caller"
"""Session state key of who the API says this session is, asked once per run."""
SETTINGS_KEY = "dashboard_settings"
"""Session state key of the settings, read once per run (not once per API call)."""


def read_settings() -> DashboardSettings:
    """Read ``SHIPYARD_DASHBOARD__*`` (the entry script does, at the start of each run)."""
    st.session_state[SETTINGS_KEY] = settings = load_dashboard_settings()
    return settings


def dashboard_settings() -> DashboardSettings:
    settings = st.session_state.get(SETTINGS_KEY)
    return settings if isinstance(settings, DashboardSettings) else read_settings()


@st.cache_resource(show_spinner=False, max_entries=100)
def _client(url: str, key: str | None, token: str | None) -> ShipyardClient:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return ShipyardClient(url, api_key=None if token else key, headers=headers, timeout=60.0)


def client() -> ShipyardClient:
    """The signed-in user's client, else the dashboard key's (shared by every session)."""
    settings = dashboard_settings()
    key = settings.api_key.get_secret_value() if settings.api_key else None
    return _client(settings.api_url.rstrip("/"), key, st.session_state.get(TOKEN_KEY))


def _problem(what: str, error: Exception) -> str:
    if isinstance(error, ApiError):
        return f"{what}: {error.detail} ({error.status} {error.name})"
    return (
        f"{what}: the API at {dashboard_settings().api_url} did not answer "
        f"({type(error).__name__}). Start it with `shipyard serve` or set "
        "SHIPYARD_DASHBOARD__API_URL."
    )


def fetch(what: str, call: Callable[[], T]) -> T | None:
    """Read from the API; on failure say why in an error box and give None."""
    try:
        return call()
    except ApiError as error:
        if error.status == 401 and st.session_state.pop(TOKEN_KEY, None):
            st.warning("Your sign-in has expired: sign in again.")
            return None
        st.error(_problem(f"Could not load {what}", error))
    except httpx.HTTPError as error:
        st.error(_problem(f"Could not load {what}", error))
    return None


def act(what: str, call: Callable[[], T]) -> T | None:
    """Change something through the API (a button); a refusal is a warning that says why."""
    try:
        return call()
    except (ApiError, httpx.HTTPError) as error:
        st.warning(_problem(f"Not {what}", error))
    return None


def caller() -> CallerRead | None:
    """Who this session is to the API (asked by the entry script on each run)."""
    who = st.session_state.get(CALLER_KEY)
    return who if isinstance(who, CallerRead) else None


def refresh_caller() -> CallerRead | None:
    st.session_state[CALLER_KEY] = who = fetch("who this dashboard is", lambda: client().me())
    return who


def allows(who: CallerRead | None, scope: str) -> bool:
    return who is not None and scope in who.scopes


def is_admin(who: CallerRead | None) -> bool:
    return allows(who, "admin")


def chosen_model() -> str | None:
    """The model chosen in the sidebar; None when the server serves none."""
    chosen = st.session_state.get(MODEL_KEY)
    return str(chosen) if chosen else None


def page_for_model(title: str) -> str | None:
    """A page's title, then the model it shows; None, with what to do, when there is none."""
    st.title(title)
    name = chosen_model()
    if name is None:
        st.info(
            "No model to show: the server lists none (`SHIPYARD_SERVING__MODELS`). Train one "
            "with `shipyard train attrition`, then start `shipyard serve`."
        )
    return name


def page_for_model_read(title: str) -> ModelRead | None:
    """:func:`page_for_model`, with what the API says of the model (versions, schema)."""
    name = page_for_model(title)
    return None if name is None else fetch(f"model {name}", lambda: client().model(name))
