"""Monitoring runs over a real prediction log, through the API and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.config import Settings
from shipyard.registry import input_schema_of
from shipyard.services.simulation import shift_records
from shipyard.training.datasets import example
from tests.integration.test_metrics import samples, value

ROWS = 400


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def send(client: TestClient, frame: pd.DataFrame) -> list[dict[str, Any]]:
    answers = []
    records = rows_of(frame)
    for start in range(0, len(records), 50):
        answer = client.post("/v1/models/attrition/predict", json=records[start : start + 50])
        assert answer.status_code == 200, answer.text
        answers.extend(answer.json()["predictions"])
    return answers


@pytest.fixture(scope="module")
def employees() -> tuple[pd.DataFrame, pd.Series]:
    return example("attrition").load()


def test_plain_traffic_does_not_drift_and_the_run_is_stored_and_served(
    client: TestClient, employees: tuple[pd.DataFrame, pd.Series]
) -> None:
    assert client.get("/v1/models/attrition/monitoring").json() == {"latest": None, "history": []}
    features, _ = employees
    send(client, features.sample(ROWS, random_state=11))
    ran = client.post("/v1/models/attrition/monitoring", params={"window": "1h"})
    assert ran.status_code == 201, ran.text
    report = ran.json()
    assert report["rows"] == ROWS
    assert report["dataset_drift"]["drifted"] is False
    assert report["dataset_drift"]["share"] < 0.2
    assert len(report["columns"]) == 30
    assert {c["method"] for c in report["columns"]} <= {"wasserstein", "jensenshannon"}
    assert report["prediction"]["label"]["drifted"] is False
    assert report["performance"]["realised"] is None  # no feedback sent
    assert 0.5 < report["performance"]["estimated"]["roc_auc"] <= 1.0
    page = client.get("/v1/models/attrition/monitoring").json()
    assert page["latest"] == report
    assert [run["id"] for run in page["history"]] == [report["id"]]


def test_drifted_traffic_drifts_every_column_and_shows_in_the_metrics(
    client: TestClient, migrated: Settings, employees: tuple[pd.DataFrame, pd.Series]
) -> None:
    features, target = employees
    schema = input_schema_of(features)
    sample = features.sample(ROWS, random_state=12)
    answers = send(client, shift_records(sample, schema, 0.5, np.random.default_rng(1)))
    for answer, truth in zip(answers[:100], target.loc[sample.index][:100], strict=True):
        sent = client.post(
            f"/v1/predictions/{answer['prediction_id']}/feedback", json={"label": str(truth)}
        )
        assert sent.status_code in (200, 201), sent.text
    report = client.post("/v1/models/attrition/monitoring", params={"window": "1h"}).json()
    assert report["dataset_drift"]["drifted"] is True
    assert report["dataset_drift"]["drifted_columns"] == 30
    assert report["performance"]["labelled_share"] == pytest.approx(100 / ROWS)
    assert report["performance"]["realised"]["rows"] == 100
    found = samples(client)
    assert value(found, "shipyard_drift_share", model="attrition") == 1.0
    assert value(found, "shipyard_dataset_drift", model="attrition") == 1.0
    assert value(found, "shipyard_column_drifted", column="MonthlyIncome") == 1.0
    assert value(found, "shipyard_model_performance", source="realised", metric="accuracy") > 0
    reports = Path(migrated.reports_dir()) / "attrition"
    html = next(reports.glob(f"*-{report['id'][:8]}.html")).read_text()
    assert "<script" not in html
    assert "30 / 30" in html
    assert "MonthlyIncome" in html


def test_monitoring_needs_traffic_and_a_served_model(client: TestClient) -> None:
    empty = client.post("/v1/models/attrition/monitoring", params={"window": "1h"})
    assert empty.status_code == 422
    assert "no predictions of 'attrition' were logged" in empty.json()["detail"]
    assert client.get("/v1/models/churn/monitoring").status_code == 404
    bad = client.post("/v1/models/attrition/monitoring", params={"window": "soon"})
    assert bad.status_code == 422


def test_the_cli_runs_a_window_and_lists_the_history(
    client: TestClient,
    cli_env: dict[str, str],
    migrated: Settings,
    employees: tuple[pd.DataFrame, pd.Series],
) -> None:
    features, _ = employees
    send(client, features.sample(ROWS, random_state=13))
    env = {**cli_env, "SHIPYARD_MONITORING__REPORTS_DIR": str(migrated.reports_dir())}
    ran = CliRunner().invoke(
        app, ["monitor", "run", "--model", "attrition", "--window", "2h"], env=env
    )
    assert ran.exit_code == 0, ran.output
    assert "no data set drift" in ran.output
    html = ran.output.split("report: ")[1].split()[0]
    assert Path(html).exists()
    listed = CliRunner().invoke(app, ["monitor", "history", "--model", "attrition"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"{ROWS}" in listed.output
    wrong = CliRunner().invoke(
        app, ["monitor", "run", "-m", "attrition", "--window", "1y"], env=env
    )
    assert wrong.exit_code != 0
    assert "not a duration" in wrong.output


def test_the_grafana_dashboard_only_asks_for_metrics_the_server_exports(
    client: TestClient, cli_env: dict[str, str], employees: tuple[pd.DataFrame, pd.Series]
) -> None:
    features, _ = employees
    send(client, features.sample(150, random_state=14))
    ran = client.post("/v1/models/attrition/monitoring", params={"window": "1h"})
    assert ran.status_code == 201
    exported = set(samples(client))
    printed = CliRunner().invoke(app, ["monitor", "grafana"], env=cli_env)
    assert printed.exit_code == 0, printed.output
    dashboard = json.loads(printed.output)
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    asked = {name for query in queries for name in re.findall(r"shipyard_[a-z_]+", query)}
    assert len(asked) > 10
    assert asked <= exported, asked - exported


def test_the_window_keeps_each_fields_type_whatever_its_values_look_like(
    migrated: Settings,
) -> None:
    """A text that looks like a date stays that text; a key a record lacks is null; rows of
    another version are left out."""
    import dataclasses
    from datetime import UTC, datetime, timedelta

    from shipyard.db import open_database
    from shipyard.db.windows import read_window
    from shipyard.domain.schema import FieldType, InputField, InputSchema
    from tests.conftest import log_entries, prediction_entry

    database = open_database(migrated.resolved_database_url())
    schema = InputSchema(
        (
            InputField("Department", FieldType.STRING),
            InputField("Age", FieldType.NUMBER),
            InputField("Note", FieldType.STRING, required=False),
        )
    )
    dated = dataclasses.replace(
        prediction_entry(), inputs={"Department": "2024-01-05", "Age": 1e20}
    )
    log_entries(database, dated, prediction_entry(), prediction_entry(version="2"))
    now = datetime.now(UTC)
    last_hour = (database, "attrition", now - timedelta(hours=1), now + timedelta(seconds=1))
    window = read_window(*last_hour, schema, ("No", "Yes"), version="1")
    latest = read_window(*last_hour, schema, ("No", "Yes"), max_rows=2)
    database.dispose()
    assert latest.rows == 2  # of the three rows of both versions
    assert window.rows == 2
    assert sorted(window.inputs.column("Department").to_pylist()) == ["2024-01-05", "Sales"]
    assert 1e20 in window.inputs.column("Age").to_pylist()
    assert window.inputs.column("Note").to_pylist() == [None, None]
    assert window.feedback.tolist() == [None, None]
