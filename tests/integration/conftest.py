"""Fixtures of the integration tests: the app over a migrated log, the CLI's environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shipyard.api.app import create_app
from shipyard.config import AlertSettings, Settings
from shipyard.db import open_database, upgrade_database
from tests.conftest import make_settings
from tests.receiver import Receiver, receiver


@pytest.fixture
def client(migrated: Settings) -> Iterator[TestClient]:
    """The API over a migrated prediction log, lifespan started."""
    with TestClient(create_app(migrated)) as test_client:
        yield test_client


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """The environment a `shipyard` command needs to use the test's stores."""
    return {
        "SHIPYARD_DATA_DIR": str(settings.data_dir),
        "SHIPYARD_DATABASE_URL": settings.resolved_database_url(),
        "SHIPYARD_MLFLOW_TRACKING_URI": settings.resolved_tracking_uri(),
    }


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
