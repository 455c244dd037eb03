"""Schemathesis against the app's own OpenAPI document: every operation, with an admin key.

Passing means no 5xx and no response that contradicts the schema (status code, content type,
headers, body), and every request that breaks the schema refused with a 4xx. One check is left
out: "a schema-valid request must be accepted". The API validates meaning beyond the schema
(an opaque cursor it did not issue, a feedback label that is not a class of the model, a
prediction id that does not exist), and refusing those with a 4xx is its job.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from shipyard.api.app import create_app
from shipyard.config import AuthSettings, Settings
from shipyard.db import open_database
from shipyard.domain.auth import Scope
from shipyard.services import keys

pytestmark = pytest.mark.integration


@pytest.fixture
def admin_key(migrated: Settings) -> str:
    database = open_database(migrated.resolved_database_url())
    try:
        return keys.create_key(database, "fuzzer", frozenset({Scope.ADMIN})).plaintext
    finally:
        database.dispose()


@pytest.fixture
def running(migrated: Settings) -> Iterator[TestClient]:
    secured = migrated.model_copy(update={"auth": AuthSettings()})
    with TestClient(create_app(secured)) as client:  # the lifespan loads the model
        yield client


@pytest.fixture
def api_schema(running: TestClient) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", running.app)


def test_no_operation_fails_or_breaks_its_schema(
    api_schema: schemathesis.BaseSchema, admin_key: str
) -> None:
    # Driven by hand rather than with @schema.parametrize: the schema exists only once the
    # app has started (it is built from the served model), and pytest 9 has no room for
    # schemathesis' fixture-based parametrization.
    checked = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,  # the same cases every run: a failure reproduces
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers={"X-API-Key": admin_key}, excluded_checks=[positive_data_acceptance]
            )

        fuzz()
        checked.append(operation.label)
    assert len(checked) >= 12, checked  # every operation of the API was fuzzed
