"""Shared fixtures: a real MLflow store with a trained attrition model, built once per run."""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from shipyard.api.app import create_app
from shipyard.config import (
    AlertSettings,
    AuthSettings,
    MonitoringSettings,
    RetrainSettings,
    ServingSettings,
    Settings,
)
from shipyard.db import Database, open_database, upgrade_database
from shipyard.db import predictions as log
from shipyard.domain.ids import new_id
from shipyard.domain.prediction import PredictionEntry, PredictionFilter
from shipyard.registry import ModelRegistry
from tests.receiver import Receiver, receiver


def attrition_record() -> dict[str, Any]:
    """A valid record for the attrition example (an employee of the data set)."""
    return {
        "Age": 41,
        "BusinessTravel": "Travel_Rarely",
        "DailyRate": 1102,
        "Department": "Sales",
        "DistanceFromHome": 1,
        "Education": "College",
        "EducationField": "Life_Sciences",
        "EnvironmentSatisfaction": "Medium",
        "Gender": "Female",
        "HourlyRate": 94,
        "JobInvolvement": "High",
        "JobLevel": 2,
        "JobRole": "Sales_Executive",
        "JobSatisfaction": "Very_High",
        "MaritalStatus": "Single",
        "MonthlyIncome": 5993,
        "MonthlyRate": 19479,
        "NumCompaniesWorked": 8,
        "OverTime": "Yes",
        "PercentSalaryHike": 11,
        "PerformanceRating": "Excellent",
        "RelationshipSatisfaction": "Low",
        "StockOptionLevel": 0,
        "TotalWorkingYears": 8,
        "TrainingTimesLastYear": 0,
        "WorkLifeBalance": "Bad",
        "YearsAtCompany": 6,
        "YearsInCurrentRole": 4,
        "YearsSinceLastPromotion": 0,
        "YearsWithCurrManager": 5,
    }


def infer_body(record: dict[str, Any]) -> dict[str, Any]:
    """An Open Inference Protocol request for one record: a tensor per field."""
    datatypes = {int: "INT64", float: "FP64", bool: "BOOL", str: "BYTES"}
    return {
        "inputs": [
            {"name": name, "datatype": datatypes[type(value)], "shape": [1], "data": [value]}
            for name, value in record.items()
        ]
    }


def logged_ids(database: Database, *, page_size: int = 500) -> list[uuid.UUID]:
    """Every prediction id in the log, newest first, read page by page as a client would."""
    ids: list[uuid.UUID] = []
    cursor = None
    while True:
        with database.session_scope() as session:
            page, cursor = log.page_predictions(
                session, PredictionFilter(), limit=page_size, cursor=cursor
            )
        ids.extend(item.entry.id for item in page)
        if cursor is None:
            return ids


def count_rows(settings: Settings) -> int:
    """Rows in the prediction log the settings point at."""
    database = open_database(settings.resolved_database_url())
    try:
        with database.session_scope() as session:
            return log.count_predictions(session)
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose MLflow store holds attrition v1 @champion (logistic, trained once)."""
    from shipyard.services.runtime import registry_for
    from shipyard.services.training import TrainingOptions, train_example

    data_dir = tmp_path_factory.mktemp("store")
    settings = Settings(data_dir=data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_example(registry_for(settings), "attrition", TrainingOptions(algorithm="logistic"))
    return data_dir


EXAMPLE_MODELS = ("attrition", "credit", "sentiment")


@pytest.fixture(scope="session")
def examples_store(trained_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained store plus credit v1 (logistic) and sentiment v1 (pretrained), each
    @champion: the three examples one server serves."""
    from shipyard.services.pretrained import register_pretrained
    from shipyard.services.runtime import registry_for
    from shipyard.services.training import TrainingOptions, train_example
    from shipyard.training.datasets import PRETRAINED

    data_dir = tmp_path_factory.mktemp("examples") / "data"
    shutil.copytree(trained_store, data_dir)
    registry = registry_for(Settings(data_dir=data_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_example(registry, "credit", TrainingOptions(algorithm="logistic"))
        register_pretrained(registry, PRETRAINED["sentiment"])
    return data_dir


@pytest.fixture
def store_copy(trained_store: Path, tmp_path: Path) -> Path:
    """A private copy of the trained store, for tests that register more versions."""
    target = tmp_path / "data"
    shutil.copytree(trained_store, target)
    return target


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings over a store and a log. Auth is off (the dev profile allows it) for the tests
    of other features; the security tests turn it on. Scheduled monitoring is off (a period
    ending mid-test would add a run), and so is the retrain policy (a drifted monitoring run
    would register versions, in the shared store too); their tests turn them on."""
    uri = f"sqlite:///{data_dir / 'mlflow.db'}"
    defaults = {
        "auth": AuthSettings(enabled=False),
        "monitoring": MonitoringSettings(every=None, reports_dir=data_dir.parent / "reports"),
        "retrain": RetrainSettings(on="never"),
    }
    return Settings(
        data_dir=data_dir,
        mlflow_tracking_uri=uri,
        database_url=database_url,
        **{**defaults, **overrides},
    )


POSTGRES_ADMIN_URL = os.environ.get(
    "SHIPYARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server, dropped afterwards."""
    name = f"shipyard_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        raise RuntimeError(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({error.orig}); start it "
            "(.ci/run does) or point SHIPYARD_TEST_POSTGRES_URL at a server you may create "
            "databases on"
        ) from None
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The prediction log's URL: every test that takes it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.db'}"
        return
    with temporary_postgres_database() as url:
        yield url


@contextmanager
def write_lock(database: Database) -> Iterator[None]:
    """Hold the prediction table's write lock from another connection, as a long
    transaction would, so that the log writer has to wait."""
    connection = database.engine.connect()
    try:
        if database.is_sqlite:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.execute(text("LOCK TABLE predictions IN EXCLUSIVE MODE"))
        yield
    finally:
        connection.rollback()
        connection.close()


@pytest.fixture
def settings(trained_store: Path, database_url: str) -> Settings:
    """Settings over the shared trained store (read only) and a fresh prediction log."""
    return make_settings(
        trained_store,
        database_url,
        serving=ServingSettings(max_rows_per_request=50, max_body_bytes=64_000),
    )


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    database = open_database(settings.resolved_database_url())
    upgrade_database(database)
    database.dispose()
    return settings


def prediction_entry(
    *, model: str = "attrition", version: str = "1", label: str = "No", at: datetime | None = None
) -> PredictionEntry:
    return PredictionEntry(
        id=new_id(),
        created_at=at or datetime.now(UTC),
        model_name=model,
        model_version=version,
        inputs={"Age": 41, "Department": "Sales"},
        label=label,
        probabilities={"No": 0.7, "Yes": 0.3},
        latency_ms=1.5,
        request_id="req-1",
        caller_id="",
    )


def log_entries(database: Database, *entries: PredictionEntry) -> None:
    """Write rows straight into the log, as the writer would."""
    with database.engine.begin() as connection:
        log.insert_entries(connection, entries)


@pytest.fixture
def hook() -> Iterator[Receiver]:
    """A webhook receiver that alerts can be sent to."""
    with receiver() as running:
        yield running


@pytest.fixture
def alerting_store(store_copy: Path, database_url: str, hook: Receiver) -> Settings:
    """Settings over a private copy of the trained store (for tests that register versions),
    a migrated log, and alerts sent to ``hook``."""
    settings = make_settings(
        store_copy,
        database_url,
        alerts=AlertSettings(urls=[f"json://{hook.url.removeprefix('http://')}/a"], every=None),
    )
    database = open_database(settings.resolved_database_url())
    upgrade_database(database)
    database.dispose()
    return settings


@pytest.fixture
def alerting_client(alerting_store: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(alerting_store)) as test_client:
        yield test_client


def register_version(
    registry: ModelRegistry,
    estimator: Any,
    features: pd.DataFrame,
    *,
    params: dict[str, Any] | None = None,
    with_onnx: bool = False,
) -> str:
    """Log a fitted estimator as the next version of attrition, as training would (with
    300 reference rows; converted to ONNX when ``with_onnx``); its version number."""
    from shipyard.monitoring.profile import build_reference_profile
    from shipyard.registry import TrainingRun
    from shipyard.registry.skops_policy import untrusted_types_of
    from shipyard.services.training import onnx_export

    reference = features.sample(min(300, len(features)), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        version = registry.log_training_run(
            TrainingRun(
                model_name="attrition",
                estimator=estimator,
                input_example=features.head(3),
                params=params or {},
                metrics={},
                profile=build_reference_profile(features),
                reference_data=reference,
                onnx=onnx_export(estimator, reference) if with_onnx else None,
                skops_trusted_types=untrusted_types_of(estimator),
                tags={},
            )
        )
    return version.version
