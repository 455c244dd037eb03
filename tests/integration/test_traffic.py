"""Traffic over time and the hints of the input schema: what the dashboard charts and the
"try it" form are built from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from shipyard.api.app import create_app
from shipyard.config import AuthSettings, Settings
from shipyard.db import open_database
from shipyard.db import traffic as counts
from shipyard.domain.traffic import RequestCount, RequestTally
from shipyard.services.traffic import flush_request_counts, latency_quantile, model_traffic
from tests.conftest import attrition_record, infer_body, log_entries, prediction_entry

pytestmark = pytest.mark.integration


def test_traffic_counts_requests_errors_and_labels_per_bucket(client: TestClient) -> None:
    good = [client.post("/v1/models/attrition/predict", json=attrition_record()) for _ in range(3)]
    batch = client.post("/v1/models/attrition/predict", json=[attrition_record()] * 4)
    bad = client.post("/v1/models/attrition/predict", json={**attrition_record(), "Age": "old"})
    assert [r.status_code for r in [*good, batch, bad]] == [200] * 4 + [422]
    labels = [p["label"] for r in [*good, batch] for p in r.json()["predictions"]]

    answer = client.get("/v1/models/attrition/traffic", params={"window": "1h", "buckets": 12})

    assert answer.status_code == 200
    traffic = answer.json()
    assert traffic["bucket_seconds"] == 300
    assert len(traffic["buckets"]) == 12
    assert (traffic["requests"], traffic["client_errors"], traffic["server_errors"]) == (5, 1, 0)
    assert traffic["statuses"] == {"200": 4, "422": 1}
    assert traffic["predictions"] == 7
    last = traffic["buckets"][-1]
    assert last["requests"] == 5
    assert sum(last["labels"].values()) == 7
    assert last["labels"] == {label: labels.count(label) for label in set(labels)}
    assert 0 < last["latency_p50_ms"] <= last["latency_p95_ms"]
    assert all(b["requests"] == 0 and b["latency_p50_ms"] is None for b in traffic["buckets"][:-1])


def test_every_protocols_scoring_requests_are_counted_and_probes_are_not(
    client: TestClient,
) -> None:
    invoked = client.post("/invocations", json={"dataframe_records": [attrition_record()] * 2})
    inferred = client.post("/v2/models/attrition/infer", json=infer_body(attrition_record()))
    for probe in ("/v2/health/ready", "/v2/health/live", "/v2/models/attrition/ready"):
        assert client.get(probe).status_code == 200
    assert (invoked.status_code, inferred.status_code) == (200, 200)

    traffic = client.get("/v1/models/attrition/traffic", params={"window": "1h"}).json()
    totals = client.app.state.runtime.metrics.http_totals()  # type: ignore[attr-defined]

    assert (traffic["requests"], traffic["predictions"]) == (2, 3)
    assert totals.requests == 3  # the two scoring requests and the traffic read: no probe


def test_traffic_refuses_a_window_it_cannot_chart(client: TestClient) -> None:
    too_long = client.get("/v1/models/attrition/traffic", params={"window": "400d"})
    unknown = client.get("/v1/models/nope/traffic")
    assert too_long.status_code == 422
    assert "90d" in too_long.json()["detail"]
    assert unknown.status_code == 404


def test_counts_from_several_processes_add_up(migrated: Settings) -> None:
    """Two workers flushing the same minute: the stored count is their sum."""
    database = open_database(migrated.resolved_database_url())
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    try:
        for worker_requests in (3, 4):
            with database.session_scope() as session:
                counts.add_request_counts(
                    session, [RequestCount(minute, "attrition", 500, 0.01, worker_requests)]
                )
        traffic = model_traffic(database, "attrition", timedelta(minutes=10), 10, now=now)
    finally:
        database.dispose()
    assert (traffic.requests, traffic.server_errors) == (7, 7)
    assert traffic.buckets[-1].start == minute


def test_each_row_falls_in_its_own_bucket_from_the_first_to_the_last(migrated: Settings) -> None:
    """Ten-minute buckets over an hour: rows at the window's first instant, inside a middle
    bucket, just before a boundary, and in the current minute; none from before the window."""
    now = datetime(2026, 11, 24, 12, 34, 56, tzinfo=UTC)
    end = datetime(2026, 11, 24, 12, 35, tzinfo=UTC)  # the current minute's end
    start = end - timedelta(hours=1)
    database = open_database(migrated.resolved_database_url())
    at = {
        "before the window": start - timedelta(microseconds=1),
        "first instant": start,
        "middle": start + timedelta(minutes=25),
        "end of a bucket": start + timedelta(minutes=30) - timedelta(milliseconds=1),
        "current minute": now,
    }
    try:
        log_entries(
            database, *(prediction_entry(label=name, at=moment) for name, moment in at.items())
        )
        with database.session_scope() as session:
            counts.add_request_counts(
                session,
                [
                    RequestCount(start - timedelta(minutes=1), "attrition", 200, 0.01, 100),
                    RequestCount(start, "attrition", 200, 0.01, 1),
                    RequestCount(start + timedelta(minutes=29), "attrition", 503, 0.5, 2),
                    RequestCount(now.replace(second=0), "attrition", 429, 0.001, 3),
                ],
            )
        traffic = model_traffic(database, "attrition", timedelta(hours=1), 6, now=now)
    finally:
        database.dispose()
    assert (traffic.window_start, traffic.window_end) == (start, end)
    assert [b.start for b in traffic.buckets] == [
        start + timedelta(minutes=10 * i) for i in range(6)
    ]
    assert [b.labels for b in traffic.buckets] == [
        {"first instant": 1},
        {},
        {"end of a bucket": 1, "middle": 1},
        {},
        {},
        {"current minute": 1},
    ]
    assert [(b.requests, b.server_errors, b.client_errors) for b in traffic.buckets] == [
        (1, 0, 0),
        (0, 0, 0),
        (2, 2, 0),
        (0, 0, 0),
        (0, 0, 0),
        (3, 0, 3),
    ]
    assert traffic.statuses == {"200": 1, "429": 3, "503": 2}


def test_a_failed_flush_keeps_its_counts() -> None:
    tally = RequestTally()
    tally.add("attrition", 200, 0.003)
    tally.add("attrition", 200, 0.004)
    taken = tally.take()
    assert tally.take() == []
    tally.give_back(taken)
    (count,) = tally.take()
    assert (count.status, count.le_seconds, count.count) == (200, 0.005, 2)


def test_latency_quantiles_interpolate_inside_their_bucket() -> None:
    assert latency_quantile({}, 0.5) is None
    # 10 requests in (0.005, 0.01]: the median is half way through that bucket.
    assert latency_quantile({0.01: 10}, 0.5) == pytest.approx(0.0075)
    # Beyond the last finite bound all that is known is that bound.
    assert latency_quantile({3600.0: 5}, 0.95) == 10.0


def test_the_input_schema_says_what_a_form_should_offer(client: TestClient) -> None:
    fields = {f["name"]: f for f in client.get("/v1/models/attrition").json()["input_schema"]}

    assert fields["OverTime"]["choices"] == ["No", "Yes"]
    assert fields["OverTime"]["example"] in ("No", "Yes")
    age = fields["Age"]
    assert age["type"] == "integer"
    assert age["minimum"] <= age["example"] <= age["maximum"]
    assert fields["BusinessTravel"]["choices"] == sorted(fields["BusinessTravel"]["choices"])
    assert len(fields["BusinessTravel"]["choices"]) == 3


def test_only_served_models_are_counted_even_when_refused(migrated: Settings) -> None:
    """A scanner's made-up names, sent without a key, must not become rows of their own;
    a refused request for a served model is counted under it."""
    secured = migrated.model_copy(update={"auth": AuthSettings()})
    with TestClient(create_app(secured)) as client:
        refused = [
            client.post(f"/v1/models/{name}/predict", json=attrition_record())
            for name in ("made-up", "x" * 300, "attrition")
        ]
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        flush_request_counts(runtime.database, runtime.requests)
        counted = {
            name: model_traffic(runtime.database, name, timedelta(hours=1), 1).statuses
            for name in ("made-up", "x" * 300, "attrition")
        }
    assert [r.status_code for r in refused] == [401, 401, 401]
    assert counted == {"made-up": {}, "x" * 300: {}, "attrition": {"401": 1}}
