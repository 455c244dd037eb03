"""Overview: traffic, errors, latency and predicted classes over time, per model."""

from __future__ import annotations

import streamlit as st

from shipyard.dashboard import charts
from shipyard.dashboard.connection import client, fetch, page_for_model_read

WINDOWS = {
    "1 hour": ("1h", 60),
    "6 hours": ("6h", 72),
    "24 hours": ("24h", 96),
    "7 days": ("7d", 84),
}


def render() -> None:
    model = page_for_model_read("Overview")
    if model is None:
        return
    name = model.name
    shown = st.segmented_control("Window", list(WINDOWS), default="1 hour", key="overview_window")
    window, buckets = WINDOWS[shown or "1 hour"]
    traffic = fetch(
        f"the traffic of {name}", lambda: client().traffic(name, window=window, buckets=buckets)
    )
    if traffic is None:
        return
    served = model.served_version or "none"
    columns = st.columns(5)
    columns[0].metric("Served version", served, help=f"aliases: {model.aliases}")
    columns[1].metric("Requests", f"{traffic.requests:,}")
    columns[2].metric("Predictions", f"{traffic.predictions:,}", help="records logged")
    errors = traffic.client_errors + traffic.server_errors
    share = errors / traffic.requests if traffic.requests else 0.0
    columns[3].metric(
        "Errors",
        f"{errors:,}",
        f"{share:.1%} of requests",
        delta_color="inverse" if errors else "off",
    )
    p95 = [b.latency_p95_ms for b in traffic.buckets if b.latency_p95_ms is not None]
    columns[4].metric(
        "p95 latency", f"{max(p95):.1f} ms" if p95 else "-", help="slowest bucket's p95"
    )
    if traffic.requests == 0 and traffic.predictions == 0:
        st.info(
            f"No predictions in the last {shown} yet. Send some with "
            f"`shipyard simulate --model {name} --url {client().base_url}` (add `--drift 0.5` "
            "to see drift), or use the *Try it* page."
        )
        return
    left, right = st.columns(2)
    left.altair_chart(charts.requests_chart(traffic), width="stretch")
    right.altair_chart(charts.latency_chart(traffic), width="stretch")
    left, right = st.columns(2)
    left.altair_chart(charts.label_share_chart(traffic), width="stretch")
    with right:
        st.markdown("**Answers by status**")
        st.dataframe(
            [{"status": status, "requests": count} for status, count in traffic.statuses.items()],
            hide_index=True,
        )
        st.caption(
            f"{traffic.window_start:%Y-%m-%d %H:%M} - {traffic.window_end:%H:%M} UTC, "
            f"{traffic.bucket_seconds // 60} min per bar; requests from every worker and replica."
        )


render()
