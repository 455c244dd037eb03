"""Fixtures of the integration tests: the app over a migrated log, the CLI's environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shipyard.api.app import create_app
from shipyard.config import Settings


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
