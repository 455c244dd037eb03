"""Monitoring: drift per feature over time, data quality, realised and estimated
performance, and the latest report."""

from __future__ import annotations

import streamlit as st

from shipyard.dashboard import charts
from shipyard.dashboard.connection import act, caller, client, fetch, is_admin, page_for_model
from shipyard.schemas.monitoring import MonitoringReport

HISTORY = 50


def _run_now(name: str) -> None:
    if st.button("Run monitoring now", icon=":material/play_arrow:", key="monitoring_run"):
        with st.spinner("Comparing the log's last window with the reference data…"):
            done = act("run", lambda: client().run_monitoring(name))
        if done is not None:
            st.rerun()


def _latest(report: MonitoringReport) -> None:
    drift = report.dataset_drift
    performance = report.performance
    columns = st.columns(5)
    columns[0].metric(
        "Data set",
        "drifted" if drift.drifted else "stable",
        f"{drift.drifted_columns} of {drift.columns} features",
        delta_color="inverse" if drift.drifted else "off",
    )
    columns[1].metric("Rows in window", f"{report.rows:,}")
    realised = performance.realised.roc_auc if performance.realised else None
    columns[2].metric(
        "ROC AUC realised",
        f"{realised:.3f}" if realised is not None else "-",
        help="from feedback labels in the window",
    )
    columns[3].metric(
        "ROC AUC estimated",
        f"{performance.estimated.roc_auc:.3f}"
        if performance.estimated.roc_auc is not None
        else "-",
        help="CBPE: from the probabilities alone",
    )
    columns[4].metric("Labelled", f"{performance.labelled_share:.0%}")
    st.caption(
        f"Version {report.version} · window {report.window_start:%Y-%m-%d %H:%M} - "
        f"{report.window_end:%Y-%m-%d %H:%M} UTC · run {report.created_at:%Y-%m-%d %H:%M} UTC"
    )


def _quality(report: MonitoringReport) -> None:
    st.subheader("Data quality")
    rows = [
        {
            "column": q.column,
            "missing": q.missing_share,
            "out of range": q.out_of_range_share,
            "unseen categories": q.unseen_share,
            "examples": ", ".join(q.unseen_examples),
        }
        for q in report.quality
    ]
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        rows,
        hide_index=True,
        height=charts.table_height(len(rows)),
        column_config={"missing": percent, "out of range": percent, "unseen categories": percent},
    )


def _prediction_drift(report: MonitoringReport) -> None:
    shares = report.prediction
    labels = sorted(set(shares.reference_label_shares) | set(shares.current_label_shares))
    st.markdown("**Predicted label share: reference against window**")
    st.dataframe(
        [
            {
                "label": label,
                "reference": shares.reference_label_shares.get(label, 0.0),
                "window": shares.current_label_shares.get(label, 0.0),
            }
            for label in labels
        ],
        hide_index=True,
        column_config={
            "reference": st.column_config.NumberColumn(format="percent"),
            "window": st.column_config.NumberColumn(format="percent"),
        },
    )


def render() -> None:
    name = page_for_model("Monitoring")
    if name is None:
        return
    admin = is_admin(caller())
    page = fetch(f"the monitoring runs of {name}", lambda: client().monitoring(name, limit=HISTORY))
    if page is None:
        return
    if page.latest is None:
        st.info(
            "No monitoring run yet. Runs happen on the server's schedule "
            "(`SHIPYARD_MONITORING__EVERY`); start one now with "
            f"`shipyard monitor run {name}`" + (" or the button below." if admin else ".")
        )
        if admin:
            _run_now(name)
        return
    if admin:
        _run_now(name)
    latest = page.latest
    _latest(latest)
    history = list(reversed(page.history))  # oldest first, for time axes
    st.subheader("Drift over time")
    left, right = st.columns([3, 2])
    left.altair_chart(charts.drift_history_chart(history), width="stretch")
    right.altair_chart(charts.drift_share_chart(history), width="stretch")
    st.subheader("Performance")
    left, right = st.columns(2)
    left.altair_chart(charts.performance_chart(history, "roc_auc"), width="stretch")
    right.altair_chart(charts.performance_chart(history, "accuracy"), width="stretch")
    _quality(latest)
    st.subheader("Latest report")
    st.dataframe(
        charts.column_drift_frame(latest),
        hide_index=True,
        height=charts.table_height(len(latest.columns)),
        column_config={"drifted": st.column_config.CheckboxColumn()},
    )
    _prediction_drift(latest)
    with st.expander("The whole report (JSON)"):
        st.json(latest.model_dump(mode="json"), expanded=False)


render()
