"""Idempotency-Key: a retried request returns the first answer and adds no row."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from shipyard.config import Settings
from tests.conftest import attrition_record, count_rows

pytestmark = pytest.mark.integration


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
    assert count_rows(migrated) == 2


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
    assert count_rows(migrated) == 1


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
    assert count_rows(migrated) == 1


def test_requests_without_a_key_or_with_other_keys_are_separate(
    client: TestClient, migrated: Settings
) -> None:
    client.post("/predict", json=attrition_record())
    client.post("/predict", json=attrition_record())
    client.post("/predict", json=attrition_record(), headers={"Idempotency-Key": "a"})
    client.post("/predict", json=attrition_record(), headers={"Idempotency-Key": "b"})
    assert count_rows(migrated) == 4


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "tab\there"])
def test_malformed_keys_are_refused(client: TestClient, migrated: Settings, key: str) -> None:
    response = client.post(
        "/predict",
        json=attrition_record(),
        headers={"Idempotency-Key": key.encode().decode("latin-1")},
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.text
    assert count_rows(migrated) == 0
