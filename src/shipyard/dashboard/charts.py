"""The API's answers as frames and Altair charts (pure functions: no Streamlit, no I/O)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import altair as alt
import pandas as pd

from shipyard.schemas.monitoring import MonitoringReport
from shipyard.schemas.traffic import TrafficRead

TIME_AXIS = alt.Axis(format="%H:%M", title=None)
"""Times on the x axis, 24-hour."""
UTC_TIME = alt.Scale(type="utc")
"""The API's times are UTC: drawn in UTC, not in the browser's zone."""
OUTCOME_COLORS = alt.Scale(domain=["2xx", "4xx", "5xx"], range=["#4c78a8", "#f58518", "#e45756"])


def window_scale(traffic: TrafficRead) -> Any:
    """The whole window on the time axis, whichever buckets have data (UTC)."""
    ends = [
        alt.DateTime(
            year=moment.year,
            month=moment.month,
            date=moment.day,
            hours=moment.hour,
            minutes=moment.minute,
            utc=True,
        )
        for moment in (traffic.window_start, traffic.window_end)
    ]
    return alt.Scale(type="utc", domain=ends)


def utc_text(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def table_height(rows: int) -> int:
    """Pixels for a table that shows ``rows`` rows without scrolling (35 px a row, plus the
    header)."""
    return 35 * (rows + 1) + 3


def traffic_frame(traffic: TrafficRead) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "start": bucket.start,
                "time": utc_text(bucket.start),
                "2xx": bucket.requests - bucket.client_errors - bucket.server_errors,
                "4xx": bucket.client_errors,
                "5xx": bucket.server_errors,
                "p50 (ms)": bucket.latency_p50_ms,
                "p95 (ms)": bucket.latency_p95_ms,
                "predictions": bucket.predictions,
            }
            for bucket in traffic.buckets
        ]
    )


def requests_chart(traffic: TrafficRead) -> Any:
    """Requests per bucket, stacked by outcome."""
    frame = traffic_frame(traffic).melt(
        id_vars=["start", "time"],
        value_vars=["2xx", "4xx", "5xx"],
        var_name="outcome",
        value_name="requests",
    )
    return (
        alt.Chart(frame, title="Requests")
        .mark_bar()
        .encode(
            x=alt.X("start:T", axis=TIME_AXIS, scale=window_scale(traffic)),
            y=alt.Y("requests:Q", stack="zero", title="requests"),
            color=alt.Color("outcome:N", scale=OUTCOME_COLORS, title=None),
            tooltip=["time:N", "outcome:N", "requests:Q"],
        )
    )


def latency_chart(traffic: TrafficRead) -> Any:
    frame = traffic_frame(traffic).melt(
        id_vars=["start", "time"],
        value_vars=["p50 (ms)", "p95 (ms)"],
        var_name="quantile",
        value_name="ms",
    )
    return (
        alt.Chart(frame.dropna(), title="Request latency")
        .mark_line(point=True)
        .encode(
            x=alt.X("start:T", axis=TIME_AXIS, scale=window_scale(traffic)),
            y=alt.Y("ms:Q", title="milliseconds"),
            color=alt.Color("quantile:N", title=None),
            tooltip=["time:N", "quantile:N", alt.Tooltip("ms:Q", format=".2f")],
        )
    )


def label_share_chart(traffic: TrafficRead) -> Any:
    """Each predicted label's share of the bucket's predictions."""
    rows = [
        {
            "start": bucket.start,
            "time": utc_text(bucket.start),
            "label": label,
            "predictions": count,
        }
        for bucket in traffic.buckets
        for label, count in bucket.labels.items()
    ]
    frame = pd.DataFrame(rows, columns=["start", "time", "label", "predictions"])
    return (
        alt.Chart(frame, title="Predicted class share")
        .mark_bar()
        .encode(
            x=alt.X("start:T", axis=TIME_AXIS, scale=window_scale(traffic)),
            y=alt.Y("predictions:Q", stack="normalize", title="share", axis=alt.Axis(format="%")),
            color=alt.Color("label:N", title="label"),
            tooltip=["time:N", "label:N", "predictions:Q"],
        )
    )


def column_drift_frame(report: MonitoringReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "column": c.column,
                "kind": c.kind,
                "method": c.method,
                "score": c.score,
                "threshold": c.threshold,
                "PSI": c.psi,
                "drifted": c.drifted,
                "rows": c.current_rows,
            }
            for c in report.columns
        ]
    )


def drift_history_chart(reports: list[MonitoringReport]) -> Any:
    """One cell per run and column: the column's PSI, outlined where it drifted."""
    rows = [
        {
            "run": report.window_end,
            "time": utc_text(report.window_end),
            "column": c.column,
            "PSI": c.psi if c.psi is not None else 0.0,
            "drifted": "drifted" if c.drifted else "stable",
            "score": c.score,
        }
        for report in reports
        for c in report.columns
    ]
    frame = pd.DataFrame(rows, columns=["run", "time", "column", "PSI", "drifted", "score"])
    return (
        alt.Chart(frame, title="Drift per feature over time (PSI; red outline: drifted)")
        .mark_rect(strokeWidth=2)
        .encode(
            x=alt.X("run:O", timeUnit="utcyearmonthdatehoursminutes", title="monitoring run"),
            y=alt.Y("column:N", title=None),
            color=alt.Color(
                "PSI:Q", scale=alt.Scale(scheme="oranges", domain=[0, 0.5], clamp=True)
            ),
            stroke=alt.condition(
                alt.datum.drifted == "drifted", alt.value("#d62728"), alt.value(None)
            ),
            tooltip=[
                "time:N",
                "column:N",
                alt.Tooltip("PSI:Q", format=".3f"),
                "score:Q",
                "drifted:N",
            ],
        )
    )


def drift_share_chart(reports: list[MonitoringReport]) -> Any:
    frame = pd.DataFrame(
        [
            {
                "run": r.window_end,
                "time": utc_text(r.window_end),
                "drifted share": r.dataset_drift.share,
                "threshold": r.dataset_drift.threshold,
            }
            for r in reports
        ],
        columns=["run", "time", "drifted share", "threshold"],
    )
    line = (
        alt.Chart(frame, title="Share of drifted features")
        .mark_line(point=True)
        .encode(
            x=alt.X("run:T", axis=TIME_AXIS, scale=UTC_TIME),
            y=alt.Y("drifted share:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=["time:N", alt.Tooltip("drifted share:Q", format=".0%")],
        )
    )
    rule = alt.Chart(frame).mark_rule(strokeDash=[4, 4], color="#d62728").encode(y="threshold:Q")
    return line + rule


def performance_frame(reports: list[MonitoringReport], metric: str) -> pd.DataFrame:
    """``metric`` per run: realised (from feedback), estimated (CBPE) and at training."""
    rows = []
    for report in reports:
        performance = report.performance
        values = {
            "realised": getattr(performance.realised, metric, None),
            "estimated": getattr(performance.estimated, metric, None),
            "at training": performance.reference.get(metric),
        }
        rows += [
            {
                "run": report.window_end,
                "time": utc_text(report.window_end),
                "source": source,
                metric: value,
            }
            for source, value in values.items()
            if value is not None
        ]
    return pd.DataFrame(rows, columns=["run", "time", "source", metric])


def performance_chart(reports: list[MonitoringReport], metric: str) -> Any:
    frame = performance_frame(reports, metric)
    return (
        alt.Chart(frame, title=f"{metric}: realised, estimated and at training")
        .mark_line(point=True)
        .encode(
            x=alt.X("run:T", axis=TIME_AXIS, scale=UTC_TIME),
            y=alt.Y(f"{metric}:Q", scale=alt.Scale(zero=False)),
            color=alt.Color("source:N", title=None),
            strokeDash=alt.condition(
                alt.datum.source == "at training", alt.value([4, 4]), alt.value([1, 0])
            ),
            tooltip=["time:N", "source:N", alt.Tooltip(f"{metric}:Q", format=".3f")],
        )
    )


def probabilities_chart(probabilities: dict[str, float]) -> Any:
    frame = pd.DataFrame(
        {"label": list(probabilities), "probability": list(probabilities.values())}
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            y=alt.Y("label:N", title=None, sort="-x"),
            tooltip=["label:N", alt.Tooltip("probability:Q", format=".3f")],
        )
    )
