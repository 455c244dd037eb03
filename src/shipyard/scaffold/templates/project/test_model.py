"""The @@model@@ model trains, beats chance on its holdout, and a real server answers with it.

They run on shipyard's embedded default (SQLite and a local MLflow store in a temporary
folder), so they need no service; with SHIPYARD_TEST_POSTGRES_URL set (CI's PostgreSQL
service), the server's prediction log is in that database instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from shipyard.config import Settings
from shipyard.services.runtime import registry_for
from shipyard.services.training import TrainingOptions, TrainingReport, train_example

PROJECT = Path(__file__).resolve().parents[1]
MODEL = "@@model@@"
# Raise it once you know what your model reaches: a version below it fails CI.
MIN_ROC_AUC = 0.6


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shipyard")


@pytest.fixture(scope="module")
def report(data_dir: Path) -> Iterator[TrainingReport]:
    here = Path.cwd()
    os.chdir(PROJECT)  # the model is declared in this project's pyproject.toml
    try:
        yield train_example(registry_for(Settings(data_dir=data_dir)), MODEL, TrainingOptions())
    finally:
        os.chdir(here)


def test_the_model_beats_chance_on_its_holdout(report: TrainingReport) -> None:
    assert report.promoted
    assert report.metrics.roc_auc >= MIN_ROC_AUC


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(data_dir: Path) -> dict[str, str]:
    """This machine's environment without its shipyard settings: the embedded default, with
    the prediction log in PostgreSQL where CI gives one (SHIPYARD_TEST_POSTGRES_URL)."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SHIPYARD_")
        and name not in {"DATABASE_URL", "MLFLOW_TRACKING_URI", "PORT"}
    }
    env = {**kept, "SHIPYARD_DATA_DIR": str(data_dir)}
    postgres = os.environ.get("SHIPYARD_TEST_POSTGRES_URL")
    if postgres:
        env["SHIPYARD_DATABASE_URL"] = postgres
    return env


def _shipyard(env: dict[str, str], *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "shipyard", *arguments],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_server_answers_with_the_trained_model(report: TrainingReport, data_dir: Path) -> None:
    """Auth on, as in production: the smoke test calls with a key of its own."""
    port = _free_port()
    env = _environment(data_dir)
    _shipyard(env, "db", "upgrade")
    minted = _shipyard(env, "keys", "create", "--name", "tests", "--scopes", "predict,read")
    key = minted.strip().splitlines()[-1]
    server = subprocess.Popen(
        [sys.executable, "-m", "shipyard", "serve", "--port", str(port), "--no-migrate"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        smoke = subprocess.run(
            [
                *(sys.executable, "-m", "shipyard", "smoke"),
                *("--url", f"http://127.0.0.1:{port}", "--model", MODEL, "--wait", "120"),
            ],
            cwd=PROJECT,
            env={**env, "SHIPYARD_API_KEY": key},
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=60)
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr + log
    assert f"{MODEL} v{report.version.version}: " in smoke.stdout
