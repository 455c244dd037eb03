"""Idempotency-Key: a retried request returns the first answer and adds no row."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from shipyard.api.app import create_app
from shipyard.config import Settings
from shipyard.db import open_database
from shipyard.db import predictions as log
from tests.conftest import attrition_record

pytestmark = pytest.mark.integration


@pytest.fixture
def client(migrated: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(migrated)) as test_client:
        yield test_client


def rows(settings: Settings) -> int:
    database = open_database(settings.resolved_database_url())
    try:
        with database.session_scope() as session:
            return log.count_predictions(session)
    finally:
        database.dispose()


def test_a_retry_returns_the_first_answer_and_adds_no_row(
    client: TestClient, migrated: Settings
) -> None:
    headers = {"Idempotency-Key": "order-42"}
    first = client.post("/predict", json=[attrition_record()] * 2, headers=headers)
    again = client.post("/predict", json=[attrition_record()] * 2, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert rows(migrated) == 2


def test_the_same_key_for_a_different_request_is_a_conflict(
    client: TestClient, migrated: Settings
) -> None:
    headers = {"Idempotency-Key": "order-43"}
    assert client.post("/predict", json=attrition_record(), headers=headers).status_code == 200
    other = client.post("/predict", json={**attrition_record(), "Age": 30}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"] == "IdempotencyKeyReused"
    other_model = client.post(
        "/v1/models/attrition/predict", json=attrition_record(), headers=headers
    )
    assert other_model.status_code == 200  # same model, same body: the same request
    assert rows(migrated) == 1


def test_concurrent_retries_with_one_key_get_one_answer_and_one_row(
    client: TestClient, migrated: Settings
) -> None:
    headers = {"Idempotency-Key": "burst-1"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda _: client.post("/predict", json=attrition_record(), headers=headers),
                range(16),
            )
        )
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["predictions"][0]["prediction_id"] for a in answers}) == 1
    assert rows(migrated) == 1


def test_requests_without_a_key_or_with_other_keys_are_separate(
    client: TestClient, migrated: Settings
) -> None:
    client.post("/predict", json=attrition_record())
    client.post("/predict", json=attrition_record())
    client.post("/predict", json=attrition_record(), headers={"Idempotency-Key": "a"})
    client.post("/predict", json=attrition_record(), headers={"Idempotency-Key": "b"})
    assert rows(migrated) == 4


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "tab\there"])
def test_malformed_keys_are_refused(client: TestClient, migrated: Settings, key: str) -> None:
    response = client.post(
        "/predict",
        json=attrition_record(),
        headers={"Idempotency-Key": key.encode().decode("latin-1")},
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.text
    assert rows(migrated) == 0
