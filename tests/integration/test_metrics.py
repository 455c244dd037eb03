"""``/metrics``: what Prometheus reads, checked by Prometheus's own linter."""

from __future__ import annotations

import subprocess
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from shipyard.config import Settings
from shipyard.db import open_database
from tests.conftest import attrition_record
from tests.debian_tools import debian_tool


def samples(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every sample of the scrape, by sample name."""
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def value(found: dict[str, Any], name: str, **labels: str) -> float:
    return sum(
        v for sample_labels, v in found.get(name, []) if labels.items() <= sample_labels.items()
    )


def logged_labels(settings: Settings) -> dict[str, int]:
    """Rows in the log by label, counted by the database."""
    database = open_database(settings.resolved_database_url())
    try:
        with database.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT label, COUNT(*) FROM predictions GROUP BY label")
            ).all()
        return {str(label): int(count) for label, count in rows}
    finally:
        database.dispose()


def test_predictions_counted_equal_the_rows_written_by_label(
    client: TestClient, migrated: Settings
) -> None:
    record = attrition_record()
    calm = {**record, "OverTime": "No", "MonthlyIncome": 19000, "JobLevel": 5}
    for body in ([record] * 3, record, [calm] * 5, calm):
        assert client.post("/v1/models/attrition/predict", json=body).status_code == 200
    assert client.post("/v1/models/attrition/predict", json={"Age": "old"}).status_code == 422

    found = samples(client)
    logged = logged_labels(migrated)
    assert sum(logged.values()) == 10
    for label, rows in logged.items():
        assert value(found, "shipyard_predictions_total", label=label, version="1") == rows
    assert value(found, "shipyard_prediction_log_committed_rows_total") == 10
    route = "/v1/models/{name}/predict"
    assert value(found, "shipyard_http_requests_total", route=route, status="200") == 4
    assert value(found, "shipyard_http_requests_total", route=route, status="422") == 1
    assert value(found, "shipyard_http_request_duration_seconds_count", route=route) == 5
    assert value(found, "shipyard_batch_rows_sum", model="attrition") == 10
    assert value(found, "shipyard_predict_duration_seconds_count", model="attrition") >= 1
    assert value(found, "shipyard_model_info", model="attrition", version="1") == 1
    assert value(found, "shipyard_model_loads_total", model="attrition", outcome="loaded") == 1
    assert value(found, "shipyard_prediction_log_commit_duration_seconds_count") >= 1


def test_paths_no_route_matches_share_one_series(client: TestClient) -> None:
    for path in ("/wp-admin", "/.env", "/v1/nothing/here"):
        assert client.get(path).status_code == 404
    found = samples(client)
    assert value(found, "shipyard_http_requests_total", route="unmatched", status="404") == 3
    routes = {labels["route"] for labels, _ in found["shipyard_http_requests_total"]}
    assert not routes & {"/wp-admin", "/.env", "/v1/nothing/here"}


def test_promtool_accepts_the_output(client: TestClient) -> None:
    assert client.post("/predict", json=attrition_record()).status_code == 200
    text = client.get("/metrics").text
    checked = subprocess.run(
        [str(debian_tool("promtool", "prometheus")), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
