"""The entry script (``shipyard dashboard`` runs it with ``streamlit run``): who this
session is, the sidebar every page shares (the model, sign in and out), and the pages this
session may use."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from shipyard.dashboard.connection import (
    MODEL_KEY,
    TOKEN_KEY,
    act,
    allows,
    client,
    dashboard_settings,
    fetch,
    read_settings,
    refresh_caller,
)
from shipyard.schemas.auth import CallerRead

VIEWS = Path(__file__).parent / "views"
PAGES = (
    # file, title, icon, the scope it needs (None: any key that reads)
    ("overview.py", "Overview", ":material/monitoring:", None),
    ("predictions.py", "Predictions", ":material/list_alt:", None),
    ("monitoring.py", "Monitoring", ":material/troubleshoot:", None),
    ("models.py", "Models", ":material/deployed_code:", None),
    ("try_it.py", "Try it", ":material/play_circle:", "predict"),
)


def sign_in_form() -> None:
    with st.expander("Sign in", icon=":material/login:"), st.form("sign_in"):
        st.caption("A shipyard user (`shipyard users create`): act with their scopes.")
        username = st.text_input("User", key="sign_in_user")
        password = st.text_input("Password", type="password", key="sign_in_password")
        if st.form_submit_button("Sign in"):
            issued = act("signed in", lambda: client().token(username, password))
            if issued is not None:
                st.session_state[TOKEN_KEY] = issued.access_token
                st.rerun()


def sidebar(who: CallerRead | None) -> None:
    with st.sidebar:
        st.markdown("### ⚓ shipyard")
        page = fetch("the models", lambda: client().models())
        names = [model.name for model in page.items] if page else []
        if names:
            st.selectbox("Model", names, key=MODEL_KEY)
        if who is not None:
            identity = "auth off" if who.via == "auth-disabled" else who.via
            st.caption(f"{dashboard_settings().api_url} · {identity} ({', '.join(who.scopes)})")
            if TOKEN_KEY in st.session_state:
                if st.button("Sign out", icon=":material/logout:"):
                    st.session_state.pop(TOKEN_KEY, None)
                    st.rerun()
            elif who.via != "auth-disabled":
                sign_in_form()
        if st.button("Reload data", icon=":material/refresh:"):
            st.rerun()


st.set_page_config(page_title="shipyard", page_icon="⚓", layout="wide")
read_settings()
caller = refresh_caller()
navigation = st.navigation(
    [
        st.Page(VIEWS / file, title=title, icon=icon, default=index == 0)
        for index, (file, title, icon, scope) in enumerate(PAGES)
        # Unknown (the API is down): every page, each saying why it is empty.
        if scope is None or caller is None or allows(caller, scope)
    ]
)
sidebar(caller)
navigation.run()
