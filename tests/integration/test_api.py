"""The API through its ASGI app, with real SQLite and a real MLflow store."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shipyard.api.app import create_app
from shipyard.config import Settings
from shipyard.db import open_database, upgrade_database
from tests.conftest import attrition_record, count_rows, make_settings, write_lock
from tests.e2e.private_postgres import PrivatePostgres

pytestmark = pytest.mark.integration


def test_probes_report_a_ready_server(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["models"] == {"attrition": True}
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["model_loaded"] is True
    assert health["version"] == "1"


def test_one_record_is_predicted_logged_and_readable(
    client: TestClient, migrated: Settings
) -> None:
    response = client.post(
        "/v1/models/attrition/predict", json=attrition_record(), headers={"X-Request-ID": "abc-1"}
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-1"
    body = response.json()
    assert body["request_id"] == "abc-1"
    [prediction] = body["predictions"]
    assert prediction["model"] == "attrition"
    assert prediction["version"] == "1"
    assert prediction["label"] in {"Yes", "No"}
    assert set(prediction["probabilities"]) == {"No", "Yes"}
    assert sum(prediction["probabilities"].values()) == pytest.approx(1.0)
    assert prediction["latency_ms"] >= 0

    logged = client.get(f"/v1/predictions/{prediction['prediction_id']}").json()
    assert logged["inputs"] == attrition_record()
    assert logged["label"] == prediction["label"]
    assert logged["probabilities"] == prediction["probabilities"]
    assert logged["request_id"] == "abc-1"
    assert logged["version"] == "1"
    assert count_rows(migrated) == 1


def test_a_list_of_records_gets_one_prediction_and_one_row_each(
    client: TestClient, migrated: Settings
) -> None:
    records = [attrition_record(), {**attrition_record(), "OverTime": "No", "Age": 55}]
    response = client.post("/predict", json=records)
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == 2
    assert len({p["prediction_id"] for p in predictions}) == 2
    assert count_rows(migrated) == 2


def test_same_input_same_version_same_answer(client: TestClient) -> None:
    first = client.post("/predict", json=attrition_record()).json()["predictions"][0]
    second = client.post("/predict", json=attrition_record()).json()["predictions"][0]
    assert first["probabilities"] == second["probabilities"]
    assert first["prediction_id"] != second["prediction_id"]


BAD_BODIES: list[tuple[str, bytes, int, str]] = [
    ("unknown field", json.dumps({**attrition_record(), "Salary": 1}).encode(), 422, "Salary"),
    (
        "missing field",
        json.dumps({k: v for k, v in attrition_record().items() if k != "Age"}).encode(),
        422,
        "Age",
    ),
    ("mistyped", json.dumps({**attrition_record(), "Age": "forty"}).encode(), 422, "Age"),
    ("NaN", json.dumps({**attrition_record(), "Age": float("nan")}).encode(), 422, "Age"),
    (
        "Infinity",
        json.dumps({**attrition_record(), "MonthlyIncome": float("inf")}).encode(),
        422,
        "MonthlyIncome",
    ),
    ("not JSON", b"{Age: 41", 422, "not valid JSON"),
    ("empty list", b"[]", 422, "empty"),
    ("not an object", b"42", 422, "JSON object"),
    ("too many rows", json.dumps([attrition_record()] * 51).encode(), 413, "limit is 50"),
    ("body too large", b"[" + b" " * 70_000 + b"]", 413, "larger than 64000 bytes"),
    (
        "integer over int64",
        json.dumps({**attrition_record(), "Age": 2**63}).encode(),
        422,
        "less than or equal to 9223372036854775807",
    ),
    (
        "integer far over int64",
        json.dumps({**attrition_record(), "Age": 10**400}).encode(),
        422,
        "Age",
    ),
    (
        "float for an integer",
        json.dumps({**attrition_record(), "Age": 41.5}).encode(),
        422,
        "valid integer",
    ),
    ("NUL in text", json.dumps({**attrition_record(), "Gender": "F\u0000"}).encode(), 422, "NUL"),
]


@pytest.mark.parametrize(
    ("case", "body", "status", "mentions"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES]
)
def test_bad_input_gets_a_clear_4xx_and_leaves_no_row(
    client: TestClient, migrated: Settings, case: str, body: bytes, status: int, mentions: str
) -> None:
    response = client.post(
        "/v1/models/attrition/predict", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    error = response.json()
    assert set(error) >= {"error", "detail"}
    assert mentions in json.dumps(error)
    assert count_rows(migrated) == 0


def test_every_bad_field_is_listed_with_its_place(client: TestClient) -> None:
    records = [attrition_record(), {**attrition_record(), "Age": None, "Gender": 3}]
    error = client.post("/predict", json=records).json()
    assert error["error"] == "InvalidRecords"
    assert [e["loc"] for e in error["errors"]] == [[1, "Age"], [1, "Gender"]]


def test_a_chunked_body_over_the_limit_is_stopped(client: TestClient, migrated: Settings) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(100):
            yield b" " * 1_000

    response = client.post(
        "/predict", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert count_rows(migrated) == 0


def test_unknown_model_is_404(client: TestClient) -> None:
    response = client.post("/v1/models/churn/predict", json=attrition_record())
    assert response.status_code == 404
    assert response.json() == {
        "error": "ModelNotFound",
        "detail": "no model named 'churn' is served here",
    }


def test_listing_filters_and_paginates(client: TestClient) -> None:
    for age in range(30, 37):
        client.post("/predict", json={**attrition_record(), "Age": age})
    first = client.get("/v1/predictions", params={"limit": 4}).json()
    assert len(first["items"]) == 4
    second = client.get(
        "/v1/predictions", params={"limit": 4, "cursor": first["next_cursor"]}
    ).json()
    assert len(second["items"]) == 3
    assert second["next_cursor"] is None
    ages = [item["inputs"]["Age"] for item in first["items"] + second["items"]]
    assert ages == list(range(36, 29, -1))  # newest first
    label = first["items"][0]["label"]
    by_label = client.get("/v1/predictions", params={"label": label, "limit": 100}).json()
    assert all(item["label"] == label for item in by_label["items"])
    assert client.get("/v1/predictions", params={"model": "other"}).json()["items"] == []
    assert client.get("/v1/predictions", params={"version": "1", "limit": 100}).json()["items"]
    future = client.get("/v1/predictions", params={"since": "2999-01-01T00:00:00"}).json()
    assert future["items"] == []


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 422),
        ({"limit": 501}, 422),
        ({"cursor": "garbage"}, 422),
        ({"since": "yesterday"}, 422),
    ],
)
def test_bad_query_parameters(client: TestClient, params: dict[str, Any], status: int) -> None:
    response = client.get("/v1/predictions", params=params)
    assert response.status_code == status
    assert response.json()["detail"]


def test_unknown_or_malformed_prediction_ids(client: TestClient) -> None:
    assert client.get(f"/v1/predictions/{uuid.uuid4()}").status_code == 404
    malformed = client.get("/v1/predictions/not-a-uuid")
    assert malformed.status_code == 422
    assert malformed.json()["error"] == "InvalidRequest"


def test_feedback_is_recorded_once_and_shown_with_the_prediction(client: TestClient) -> None:
    prediction_id = client.post("/predict", json=attrition_record()).json()["predictions"][0][
        "prediction_id"
    ]
    url = f"/v1/predictions/{prediction_id}/feedback"
    assert client.post(url, json={"label": "Yes"}).status_code == 200
    assert client.post(url, json={"label": "Yes"}).status_code == 200
    conflict = client.post(url, json={"label": "No"})
    assert conflict.status_code == 409
    assert "already has feedback 'Yes'" in conflict.json()["detail"]
    assert client.get(f"/v1/predictions/{prediction_id}").json()["feedback"]["label"] == "Yes"


def test_feedback_must_be_a_class_of_the_model(client: TestClient) -> None:
    prediction_id = client.post("/predict", json=attrition_record()).json()["predictions"][0][
        "prediction_id"
    ]
    response = client.post(f"/v1/predictions/{prediction_id}/feedback", json={"label": "Maybe"})
    assert response.status_code == 422
    assert "use one of: No, Yes" in response.json()["detail"]
    missing = client.post(f"/v1/predictions/{uuid.uuid4()}/feedback", json={"label": "Yes"})
    assert missing.status_code == 404
    extra = client.post(f"/v1/predictions/{prediction_id}/feedback", json={"label": "Yes", "x": 1})
    assert extra.status_code == 422


def test_models_show_versions_aliases_metrics_and_schema(client: TestClient) -> None:
    page = client.get("/v1/models").json()
    assert page["items"] == [
        {
            "name": "attrition",
            "served_version": "1",
            "aliases": {"champion": "1"},
            "latest_version": "1",
        }
    ]
    model = client.get("/v1/models/attrition").json()
    assert model["served_version"] == "1"
    assert model["versions"][0]["metrics"]["roc_auc"] > 0.75
    (age,) = [field for field in model["input_schema"] if field["name"] == "Age"]
    assert (age["type"], age["required"]) == ("integer", True)
    assert client.get("/v1/models/churn").status_code == 404


def test_openapi_shows_the_models_named_typed_fields(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    record = spec["components"]["schemas"]["AttritionRecord"]
    assert record["additionalProperties"] is False
    assert record["properties"]["Age"]["type"] == "integer"
    assert record["properties"]["Department"]["type"] == "string"
    assert len(record["required"]) == 30
    body = spec["paths"]["/v1/models/attrition/predict"]["post"]["requestBody"]
    refs = json.dumps(body)
    assert "#/components/schemas/AttritionRecord" in refs
    assert "AttritionRecord" in json.dumps(spec["paths"]["/predict"]["post"]["requestBody"])


def test_every_error_has_the_one_shape(client: TestClient) -> None:
    for response in (
        client.get("/nowhere"),
        client.delete("/v1/predictions"),
        client.get("/v1/predictions", params={"limit": "x"}),
        client.post("/v1/models/churn/predict", json={}),
    ):
        assert response.status_code in {404, 405, 422}
        assert set(response.json()) >= {"error", "detail"}


def test_prod_profile_hides_the_docs(migrated: Settings) -> None:
    with TestClient(create_app(migrated.model_copy(update={"env": "prod"}))) as prod:
        assert prod.get("/docs").status_code == 404
        assert prod.get("/openapi.json").status_code == 404
        assert prod.get("/health").json()["profile"] == "prod"


def test_not_ready_until_the_schema_is_migrated(settings: Settings) -> None:
    with TestClient(create_app(settings)) as unmigrated:
        ready = unmigrated.get("/readyz")
        assert ready.status_code == 503
        assert "shipyard db upgrade" in " ".join(ready.json()["reasons"])
        database = open_database(settings.resolved_database_url())
        upgrade_database(database)
        database.dispose()
        assert unmigrated.get("/readyz").status_code == 200  # no restart needed


def test_not_ready_without_a_champion(migrated: Settings) -> None:
    no_model = migrated.model_copy(
        update={"serving": migrated.serving.model_copy(update={"alias": "missing"})}
    )
    with TestClient(create_app(no_model)) as client:
        assert client.get("/livez").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "no version or alias 'missing'" in ready.json()["reasons"][0]
        predict = client.post("/predict", json=attrition_record())
        assert predict.status_code == 503
        assert predict.headers["retry-after"] == "1"
        assert client.get("/health").json()["model_loaded"] is False


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_bodies_not_declared_as_json_get_415(
    client: TestClient, migrated: Settings, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/predict", content=json.dumps(attrition_record()), headers=headers)
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["detail"]
    assert count_rows(migrated) == 0


def test_json_with_a_charset_is_json(client: TestClient) -> None:
    response = client.post(
        "/predict",
        content=json.dumps(attrition_record()),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"since": "9999-12-31T23:59:59-12:00"},
        {"until": "0001-01-01T00:00:00+01:00"},
        {"cursor": "WyIyMDIwLTAxLTAxIiwgIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJd"},
    ],
    ids=["since overflows", "until underflows", "cursor without a zone"],
)
def test_times_that_cannot_be_compared_are_refused(
    client: TestClient, params: dict[str, str]
) -> None:
    response = client.get("/v1/predictions", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_a_chunked_feedback_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"label": "'
        for _ in range(100):
            yield b"x" * 1_000
        yield b'"}'

    response = client.post(
        f"/v1/predictions/{uuid.uuid4()}/feedback",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "BodyTooLarge"


def test_concurrent_feedback_answers_200_or_409_never_500(client: TestClient) -> None:
    prediction_id = client.post("/predict", json=attrition_record()).json()["predictions"][0][
        "prediction_id"
    ]
    url = f"/v1/predictions/{prediction_id}/feedback"
    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(
                lambda i: client.post(url, json={"label": "Yes" if i % 2 else "No"}).status_code,
                range(16),
            )
        )
    assert set(statuses) <= {200, 409}
    stored = client.get(f"/v1/predictions/{prediction_id}").json()["feedback"]["label"]
    winners = statuses.count(200)
    assert winners == 8  # every caller that sent the stored label, and only those
    assert stored in {"Yes", "No"}


def test_reads_on_an_unmigrated_database_are_503_not_500(settings: Settings) -> None:
    with TestClient(create_app(settings)) as unmigrated:
        for response in (
            unmigrated.get("/v1/predictions"),
            unmigrated.get(f"/v1/predictions/{uuid.uuid4()}"),
            unmigrated.post(f"/v1/predictions/{uuid.uuid4()}/feedback", json={"label": "Yes"}),
        ):
            assert response.status_code == 503
            assert "shipyard db upgrade" in response.json()["detail"]
            assert response.headers["retry-after"] == "1"


def test_a_commit_that_does_not_come_in_time_is_a_503_not_a_hang(migrated: Settings) -> None:
    slow = migrated.model_copy(
        update={
            "log_writer": migrated.log_writer.model_copy(update={"commit_timeout_seconds": 0.5})
        }
    )
    database = open_database(slow.resolved_database_url())
    with TestClient(create_app(slow)) as client:
        with write_lock(database):
            response = client.post("/predict", json=attrition_record())
        database.dispose()
        assert response.status_code == 503
        assert response.json()["error"] == "CommitTimeout"
        assert client.post("/predict", json=attrition_record()).status_code == 200


def test_health_names_no_durability_problem_on_safe_settings(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["durability"] == []
    assert health["status"] == "ok"


def test_health_reports_settings_that_could_lose_acknowledged_rows(
    trained_store: Path,
) -> None:
    unsafe = PrivatePostgres()
    try:
        unsafe.start("synchronous_commit=off", "fsync=off")
        settings = make_settings(trained_store, unsafe.url)
        database = open_database(settings.resolved_database_url())
        upgrade_database(database)
        database.dispose()
        with TestClient(create_app(settings)) as client:
            health = client.get("/health").json()
    finally:
        unsafe.remove()
    assert health["durability"] == ["PostgreSQL fsync=off", "PostgreSQL synchronous_commit=off"]
    assert health["status"] == "degraded"
