"""The entry script (``shipyard dashboard`` runs it with ``streamlit run``): the sidebar that
every page shares (the server, who the key is, the model) and the page navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from shipyard.dashboard.connection import (
    MODEL_KEY,
    caller,
    client,
    dashboard_settings,
    fetch,
)

VIEWS = Path(__file__).parent / "views"
PAGES = (
    ("overview.py", "Overview", ":material/monitoring:"),
    ("predictions.py", "Predictions", ":material/list_alt:"),
    ("monitoring.py", "Monitoring", ":material/troubleshoot:"),
    ("models.py", "Models", ":material/deployed_code:"),
    ("try_it.py", "Try it", ":material/play_circle:"),
)


def sidebar() -> None:
    with st.sidebar:
        st.markdown("### ⚓ shipyard")
        page = fetch("the models", client().models)
        names = [model.name for model in page.items] if page else []
        if names:
            st.selectbox("Model", names, key=MODEL_KEY)
        who = caller()
        if who is not None:
            identity = "auth off" if who.via == "auth-disabled" else who.via
            st.caption(f"{dashboard_settings().api_url} · {identity} ({', '.join(who.scopes)})")
        if st.button("Reload data", icon=":material/refresh:"):
            st.rerun()


st.set_page_config(page_title="shipyard", page_icon="⚓", layout="wide")
navigation = st.navigation(
    [
        st.Page(VIEWS / file, title=title, icon=icon, default=index == 0)
        for index, (file, title, icon) in enumerate(PAGES)
    ]
)
sidebar()
navigation.run()
