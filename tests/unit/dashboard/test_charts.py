"""The dashboard's frames: what its charts draw, from the API's answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shipyard.dashboard.charts import (
    label_share_chart,
    performance_frame,
    requests_chart,
    traffic_frame,
)
from shipyard.schemas.traffic import TrafficBucket, TrafficRead
from tests.reports import monitoring_report

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def traffic() -> TrafficRead:
    buckets = [
        TrafficBucket(
            start=START,
            requests=10,
            client_errors=2,
            server_errors=1,
            latency_p50_ms=3.0,
            latency_p95_ms=9.0,
            predictions=12,
            labels={"No": 9, "Yes": 3},
        ),
        TrafficBucket(
            start=START + timedelta(minutes=1),
            requests=0,
            client_errors=0,
            server_errors=0,
            latency_p50_ms=None,
            latency_p95_ms=None,
            predictions=0,
            labels={},
        ),
    ]
    return TrafficRead(
        model="attrition",
        window_start=START,
        window_end=START + timedelta(minutes=2),
        bucket_seconds=60,
        requests=10,
        client_errors=2,
        server_errors=1,
        predictions=12,
        statuses={"200": 7, "422": 2, "503": 1},
        buckets=buckets,
    )


def test_requests_are_split_by_outcome_per_bucket() -> None:
    frame = traffic_frame(traffic())
    assert frame[["2xx", "4xx", "5xx"]].values.tolist() == [[7, 2, 1], [0, 0, 0]]
    assert frame["p95 (ms)"].tolist()[0] == 9.0
    drawn = requests_chart(traffic()).data
    assert drawn.groupby("outcome")["requests"].sum().to_dict() == {"2xx": 7, "4xx": 2, "5xx": 1}


def test_class_share_draws_each_label_of_each_bucket() -> None:
    drawn = label_share_chart(traffic()).data
    assert drawn.to_dict("records") == [
        {"start": START, "time": "2026-11-24 12:00 UTC", "label": "No", "predictions": 9},
        {"start": START, "time": "2026-11-24 12:00 UTC", "label": "Yes", "predictions": 3},
    ]


def test_performance_has_realised_estimated_and_training_scores_per_run() -> None:
    runs = [
        monitoring_report(realised_auc=0.7, estimated_auc=0.8, training_auc=0.82, window_end=START),
        monitoring_report(window_end=START + timedelta(hours=1)),
    ]
    frame = performance_frame(runs, "roc_auc")
    first = frame[frame["run"] == runs[0].window_end]
    assert dict(zip(first["source"], first["roc_auc"], strict=True)) == {
        "realised": 0.7,
        "estimated": 0.8,
        "at training": 0.82,
    }
    # No feedback in the second run: nothing realised to draw.
    assert "realised" not in set(frame[frame["run"] == runs[1].window_end]["source"])
