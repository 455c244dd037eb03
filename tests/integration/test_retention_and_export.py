"""Retention (prune by age, by hand or on a schedule) and export of the log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shipyard.api.app import create_app
from shipyard.cli.main import app as cli
from shipyard.config import RetentionSettings, Settings
from shipyard.db import Database, open_database
from shipyard.db import predictions as log
from shipyard.domain.prediction import Feedback
from shipyard.services.retention import prune
from tests.conftest import attrition_record
from tests.conftest import log_entries as insert
from tests.conftest import prediction_entry as entry

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


@pytest.fixture
def database(migrated: Settings) -> Iterator[Database]:
    database = open_database(migrated.resolved_database_url())
    yield database
    database.dispose()


def count(database: Database) -> int:
    with database.session_scope() as session:
        return log.count_predictions(session)


def test_prune_removes_old_predictions_with_their_feedback(database: Database) -> None:
    old = entry(at=NOW - timedelta(days=100))
    recent = entry(at=NOW - timedelta(days=10))
    insert(database, old, recent)
    with database.session_scope() as session:
        log.record_feedback(session, Feedback(old.id, "Yes", NOW, ""))
    assert prune(database, timedelta(days=90)) == 1
    with database.session_scope() as session:
        assert log.get_prediction(session, recent.id).entry == recent
    assert count(database) == 1


def test_the_cli_prunes_by_age(
    database: Database, migrated: Settings, cli_env: dict[str, str]
) -> None:
    insert(database, entry(at=NOW - timedelta(days=3)), entry(at=NOW))
    result = CliRunner().invoke(cli, ["db", "prune", "--older-than", "2d"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "removed 1 predictions older than 2d" in result.output
    bad = CliRunner().invoke(cli, ["db", "prune", "--older-than", "two days"], env=cli_env)
    assert bad.exit_code == 2
    assert "90d" in bad.output
    assert count(database) == 1


def test_the_server_prunes_on_its_schedule(database: Database, migrated: Settings) -> None:
    insert(database, entry(at=NOW - timedelta(days=30)), entry(at=NOW))
    keep_a_week = migrated.model_copy(
        update={"retention": RetentionSettings(max_age=timedelta(days=7))}
    )
    with TestClient(create_app(keep_a_week)):
        deadline = time.monotonic() + 20
        while count(database) != 1 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert count(database) == 1


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_writes_the_filtered_log_with_feedback(
    migrated: Settings, cli_env: dict[str, str], tmp_path: Path, suffix: str
) -> None:
    with TestClient(create_app(migrated)) as client:
        for age in (30, 40, 50):
            client.post("/predict", json={**attrition_record(), "Age": age})
        first = client.get("/v1/predictions", params={"limit": 1}).json()["items"][0]
        client.post(f"/v1/predictions/{first['id']}/feedback", json={"label": "No"})
    destination = tmp_path / f"log{suffix}"
    result = CliRunner().invoke(
        cli, ["predictions", "export", str(destination), "--model", "attrition"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    assert "3 predictions" in result.output
    frame = pd.read_parquet(destination) if suffix == ".parquet" else pd.read_csv(destination)
    assert frame["input_Age"].tolist() == [50, 40, 30]  # newest first
    assert {"prediction_id", "version", "label", "proba_Yes", "proba_No", "true_label"} <= set(
        frame.columns
    )
    assert frame["true_label"].iloc[0] == "No"
    assert frame["true_label"].iloc[1:].isna().all()

    nothing = tmp_path / f"none{suffix}"
    empty = CliRunner().invoke(
        cli, ["predictions", "export", str(nothing), "--label", "Maybe"], env=cli_env
    )
    assert empty.exit_code == 0, empty.output
    assert "0 predictions" in empty.output


def test_export_refuses_other_formats(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["predictions", "export", str(tmp_path / "x.xlsx")], env=cli_env
    )
    assert result.exit_code == 1
    assert ".parquet or a .csv" in result.output
