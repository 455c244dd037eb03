"""Predictions: the log, filtered; one record with its inputs, answer and feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from shipyard.dashboard import charts
from shipyard.dashboard.connection import act, caller, client, fetch, is_admin, page_for_model
from shipyard.schemas.predictions import PredictionRead

SINCE = {
    "any time": None,
    "last hour": timedelta(hours=1),
    "last day": timedelta(days=1),
    "last week": timedelta(days=7),
}


def _row(p: PredictionRead) -> dict[str, object]:
    return {
        "time (UTC)": p.created_at,
        "id": str(p.id),
        "version": p.version,
        "label": p.label,
        "probability": p.probabilities.get(p.label),
        "feedback": p.feedback.label if p.feedback else None,
        "latency (ms)": p.latency_ms,
    }


def _detail(chosen: PredictionRead) -> None:
    st.subheader(f"Prediction {chosen.id}")
    st.caption(
        f"{chosen.created_at:%Y-%m-%d %H:%M:%S} UTC · {chosen.model} v{chosen.version} · "
        f"request {chosen.request_id} · caller {chosen.caller_id or '-'}"
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Inputs**")
        st.dataframe(
            [{"field": k, "value": str(v)} for k, v in chosen.inputs.items()],
            hide_index=True,
            height=charts.table_height(len(chosen.inputs)),
        )
    with right:
        st.markdown(f"**Answer: {chosen.label}**")
        st.altair_chart(charts.probabilities_chart(chosen.probabilities), width="stretch")
        if chosen.feedback:
            verdict = "right" if chosen.feedback.label == chosen.label else "wrong"
            st.success(
                f"Feedback: the true label is **{chosen.feedback.label}** (the model was "
                f"{verdict}), recorded {chosen.feedback.created_at:%Y-%m-%d %H:%M} UTC."
            )
        else:
            st.markdown("**Feedback**: none yet.")
            with st.form("feedback"):
                label = st.selectbox("The true label", sorted(chosen.probabilities))
                if st.form_submit_button("Record feedback"):
                    sent = act("recorded", lambda: client().feedback(chosen.id, str(label)))
                    if sent is not None:
                        st.rerun()


def render() -> None:
    name = page_for_model("Predictions")
    if name is None:
        return
    filters = st.columns(4)
    since_text = filters[0].selectbox("Since", list(SINCE), key="predictions_since")
    label = filters[1].text_input("Label", key="predictions_label", placeholder="any")
    version = filters[2].text_input("Version", key="predictions_version", placeholder="any")
    limit = filters[3].selectbox("Rows", [50, 100, 200, 500], key="predictions_limit")
    age = SINCE[since_text or "any time"]
    page = fetch(
        "the predictions",
        lambda: client().predictions(
            model=name,
            label=label or None,
            version=version or None,
            since=datetime.now(UTC) - age if age else None,
            limit=int(limit or 50),
        ),
    )
    if page is None:
        return
    if not page.items:
        mine = "" if is_admin(caller()) else " This key sees only the predictions it made."
        st.info(
            "No predictions match. If the log is empty, send some with "
            f"`shipyard simulate --model {name} --url {client().base_url}` or the *Try it* "
            f"page.{mine}"
        )
        return
    st.dataframe(
        [_row(p) for p in page.items],
        hide_index=True,
        column_config={
            "probability": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="%.3f"
            )
        },
    )
    st.caption(
        f"{len(page.items)} newest first" + (" · more in the log" if page.next_cursor else "")
    )
    ids = [str(p.id) for p in page.items]
    by_id = {str(p.id): p for p in page.items}
    opened = st.selectbox(
        "Open a prediction",
        ids,
        key="predictions_open",
        format_func=lambda i: f"{by_id[i].created_at:%H:%M:%S} · {by_id[i].label} · {i}",
    )
    if opened:
        chosen = fetch("the prediction", lambda: client().prediction(opened))
        if chosen is not None:
            _detail(chosen)


render()
