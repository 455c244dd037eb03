"""The client against a real server: ``shipyard predict --url`` and docs/client.md's example."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.db import open_database
from shipyard.domain.auth import Scope
from shipyard.services import keys
from shipyard.training.datasets import example
from tests.e2e.conftest import RunningServer, free_port

pytestmark = pytest.mark.e2e

GUIDE = Path(__file__).parents[2] / "docs" / "client.md"


def key_of(server: RunningServer) -> str:
    database = open_database(server.settings.resolved_database_url())
    try:
        scopes = frozenset({Scope.PREDICT, Scope.READ})
        return keys.create_key(database, "client", scopes).plaintext
    finally:
        database.dispose()


def logged(server: RunningServer, key: str) -> list[dict[str, object]]:
    answer = httpx.get(
        f"{server.url}/v1/predictions", params={"limit": 500}, headers={"X-API-Key": key}
    )
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_predict_through_a_server_writes_the_local_columns_and_logs_every_row(
    start_server: Callable[..., RunningServer], tmp_path: Path
) -> None:
    server = start_server(env={"SHIPYARD_AUTH__ENABLED": "true"})
    key = key_of(server)
    features, _ = example("attrition").load()
    source = tmp_path / "employees.csv"
    features.head(120).to_csv(source, index=False)
    env = {
        "SHIPYARD_DATA_DIR": str(server.settings.data_dir),
        "SHIPYARD_DATABASE_URL": server.settings.resolved_database_url(),
        "SHIPYARD_MLFLOW_TRACKING_URI": server.settings.resolved_tracking_uri(),
    }
    here, there = tmp_path / "local.parquet", tmp_path / "remote.parquet"
    local = CliRunner().invoke(app, ["predict", "-m", "attrition", str(source), str(here)], env=env)
    assert local.exit_code == 0, local.output

    remote_command = ["predict", "-m", "attrition", str(source), str(there), "--url", server.url]
    remote = CliRunner().invoke(
        app, [*remote_command, "--batch-size", "50"], env={**env, "SHIPYARD_API_KEY": key}
    )
    assert remote.exit_code == 0, remote.output
    assert f"120 rows scored and logged by {server.url}" in remote.output
    by_server, by_cli = pd.read_parquet(there), pd.read_parquet(here)
    assert by_server.columns.tolist() == [*by_cli.columns, "prediction_id", "version"]
    pd.testing.assert_frame_equal(by_server[by_cli.columns], by_cli, rtol=1e-6)
    assert set(by_server["version"]) == {"1"}
    rows = logged(server, key)
    assert {row["id"] for row in rows} == set(by_server["prediction_id"])
    assert len({row["request_id"] for row in rows}) == 1

    broken = tmp_path / "broken.csv"
    spoiled = features.head(120).copy()
    spoiled.loc[59, "Department"] = None  # an empty cell: a missing required value
    spoiled.to_csv(broken, index=False)
    part = tmp_path / "part.parquet"
    refused_command = ["predict", "-m", "attrition", str(broken), str(part), "--url", server.url]
    refused = CliRunner().invoke(
        app, [*refused_command, "--batch-size", "50", "--api-key", key], env=env
    )
    assert refused.exit_code == 1
    said = " ".join(refused.output.split())
    assert "rows 51-100 refused with HTTP 422 InvalidRecords" in said
    assert "9.Department" in said
    assert "the 50 rows before it were scored and logged" in said
    assert len(pd.read_parquet(part)) == 50
    assert len(logged(server, key)) == 120 + 50

    wrong = CliRunner().invoke(app, [*remote_command, "--version", "1"], env=env)
    assert wrong.exit_code == 2
    assert "--url" in wrong.output


def test_predict_through_a_server_refuses_an_infinite_value_naming_its_row(
    start_server: Callable[..., RunningServer], tmp_path: Path
) -> None:
    server = start_server(env={"SHIPYARD_AUTH__ENABLED": "true"})
    key = key_of(server)
    features, _ = example("attrition").load()
    source = tmp_path / "infinite.csv"
    spoiled = features.head(120).astype({"MonthlyIncome": "float64"})
    spoiled.loc[74, "MonthlyIncome"] = float("inf")  # row 75 of the file: written as "inf"
    spoiled.to_csv(source, index=False)
    part = tmp_path / "part.parquet"
    command = ["predict", "-m", "attrition", str(source), str(part), "--url", server.url]
    refused = CliRunner().invoke(
        app,
        [*command, "--batch-size", "50", "--api-key", key],
        env={"SHIPYARD_DATA_DIR": str(server.settings.data_dir)},
    )
    assert refused.exit_code == 1, refused.output
    assert not isinstance(refused.exception, ValueError)  # a refusal, not a traceback
    said = " ".join(refused.output.split())
    assert "rows 51-100 not sent: row 75 has inf in MonthlyIncome" in said
    assert "the 50 rows before these were scored and logged" in said
    assert "Traceback" not in refused.output
    assert len(pd.read_parquet(part)) == 50
    assert len(logged(server, key)) == 50  # nothing of rows 51-100


def test_the_guide_s_example_runs_against_a_live_server(
    start_server: Callable[..., RunningServer], tmp_path: Path
) -> None:
    server = start_server(env={"SHIPYARD_AUTH__ENABLED": "true"})
    key = key_of(server)
    (block,) = re.findall(r"## Example\n.*?```python\n(.*?)```", GUIDE.read_text(), re.DOTALL)
    script = tmp_path / "client_example.py"
    script.write_text(block)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SHIPYARD_URL": server.url, "SHIPYARD_API_KEY": key},
    )
    assert result.returncode == 0, result.stderr
    assert "logged inputs: 25" in result.stdout
    assert "refused: 422 InvalidRecords" in result.stdout
    assert "scored concurrently: 6" in result.stdout
    assert len(logged(server, key)) == 9


def test_predict_through_a_server_says_when_nothing_answers(tmp_path: Path) -> None:
    source = tmp_path / "one.csv"
    pd.DataFrame([{"Age": 41}]).to_csv(source, index=False)
    url = f"http://127.0.0.1:{free_port()}"
    command = ["predict", "-m", "attrition", str(source), "--url", url]
    runner = CliRunner(env={"SHIPYARD_DATA_DIR": str(tmp_path / "data")})
    wrong_file = runner.invoke(app, [*command[:4], "out.csv", *command[4:]])
    assert wrong_file.exit_code == 1
    assert "out.csv: the output must be a .parquet file" in wrong_file.output
    nothing = runner.invoke(app, [*command[:4], str(tmp_path / "o.parquet"), *command[4:]])
    assert nothing.exit_code == 1
    said = " ".join(nothing.output.split())
    assert f"rows 1-1: no answer from {url} (" in said
    assert not (tmp_path / "o.parquet").exists()
