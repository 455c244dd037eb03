"""API keys, scopes and tenancy, through the app with auth on (the default)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import ValidationError

from shipyard.api.app import create_app
from shipyard.config import AuthSettings, RateLimitSettings, Settings
from shipyard.db import Database, open_database
from shipyard.domain.auth import Scope, parse_scopes
from shipyard.services import keys
from tests.conftest import attrition_record, infer_body

pytestmark = pytest.mark.integration


@dataclass
class Keys:
    predict: str
    read: str
    admin: str
    other: str  # predict + read, another owner


@pytest.fixture
def secured(migrated: Settings) -> Settings:
    return migrated.model_copy(update={"auth": AuthSettings(key_cache_seconds=0.2)})


@pytest.fixture
def database(secured: Settings) -> Iterator[Database]:
    database = open_database(secured.resolved_database_url())
    yield database
    database.dispose()


@pytest.fixture
def minted(database: Database) -> Keys:
    def mint(name: str, scopes: str, owner: str | None = None) -> str:
        return keys.create_key(database, name, parse_scopes(scopes), owner).plaintext

    return Keys(
        predict=mint("predictor", "predict"),
        # A read-only key of the same owner as "someone-else": it sees that owner's rows.
        read=mint("reader", "read", owner="someone-else"),
        admin=mint("operator", "admin"),
        other=mint("someone-else", "predict,read"),
    )


@pytest.fixture
def client(secured: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(secured)) as test_client:
        yield test_client


def as_key(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


PUBLIC = {"none": 200, "predict": 200, "read": 200, "admin": 200}
PREDICT = {"none": 401, "predict": 200, "read": 403, "admin": 200}
READ = {"none": 401, "predict": 403, "read": 200, "admin": 200}
MODELS = {"none": 401, "predict": 200, "read": 200, "admin": 200}
ADMIN = {"none": 401, "predict": 403, "read": 403, "admin": 200}
ADMIN_BAD_BODY = {"none": 401, "predict": 403, "read": 403, "admin": 422}

# Every route of the app and who may call it. A route missing here fails the test below:
# nothing can be added to the API without deciding its access.
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/livez"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/ping"): PUBLIC,  # MLflow's name for /readyz
    ("GET", "/health"): PUBLIC,
    ("GET", "/metrics"): ADMIN,
    # The login takes form fields: the JSON body of this test is refused as incomplete,
    # whoever sends it (no credentials are needed to log in).
    ("POST", "/v1/auth/token"): {"none": 422, "predict": 422, "read": 422, "admin": 422},
    # Who a credential is: any valid one may ask about itself.
    ("GET", "/v1/auth/me"): MODELS,
    ("POST", "/predict"): PREDICT,
    ("POST", "/v1/models/{name}/predict"): PREDICT,
    # MLflow's scoring protocol: the same access as /predict.
    ("POST", "/invocations"): PREDICT,
    ("POST", "/v1/models/{name}/invocations"): PREDICT,
    # The Open Inference Protocol (KServe V2): probes public as /livez and /readyz (model
    # readiness names no more than /readyz does); metadata as GET /v1/models/{name};
    # inference as /predict.
    ("GET", "/v2/health/live"): PUBLIC,
    ("GET", "/v2/health/ready"): PUBLIC,
    ("GET", "/v2"): PUBLIC,  # server name and version, as /health shows them
    ("GET", "/v2/models/{name}/ready"): PUBLIC,
    ("GET", "/v2/models/{name}/versions/{version}/ready"): PUBLIC,
    ("GET", "/v2/models/{name}"): MODELS,
    ("GET", "/v2/models/{name}/versions/{version}"): MODELS,
    ("POST", "/v2/models/{name}/infer"): PREDICT,
    ("POST", "/v2/models/{name}/versions/{version}/infer"): PREDICT,
    ("GET", "/v1/models"): MODELS,
    ("GET", "/v1/models/{name}"): MODELS,
    ("POST", "/v1/models/{name}/reload"): ADMIN,
    # Moving an alias or retraining is an operator's act; the record of this test is not a
    # request to do it, so an admin gets 422.
    ("POST", "/v1/models/{name}/promote"): ADMIN_BAD_BODY,
    ("POST", "/v1/models/{name}/rollback"): ADMIN_BAD_BODY,
    ("POST", "/v1/models/{name}/retrain"): ADMIN_BAD_BODY,
    # What a model went through is model metadata, like its versions.
    ("GET", "/v1/models/{name}/history"): MODELS,
    ("GET", "/v1/models/{name}/cards"): MODELS,
    # The comparison is statistics of everyone's traffic, like monitoring runs.
    ("GET", "/v1/models/{name}/comparison"): READ,
    # Monitoring: reading runs is reading traffic; running one costs seconds of CPU.
    ("GET", "/v1/models/{name}/monitoring"): READ,
    # Traffic counts are statistics of everyone's traffic too.
    ("GET", "/v1/models/{name}/traffic"): READ,
    ("POST", "/v1/models/{name}/monitoring"): {
        "none": 401,
        "predict": 403,
        "read": 403,
        "admin": 201,
    },
    ("GET", "/v1/predictions"): READ,
    ("GET", "/v1/predictions/{prediction_id}"): READ,
    ("POST", "/v1/predictions/{prediction_id}/feedback"): READ,
    # Keys and users over HTTP: admins only. The bodies of this test do not fit them, so
    # an admin gets 422 (or 404 for a name that does not exist), everyone else 401 / 403.
    ("GET", "/v1/keys"): ADMIN,
    ("POST", "/v1/keys"): {"none": 401, "predict": 403, "read": 403, "admin": 422},
    ("DELETE", "/v1/keys/{name}"): {"none": 401, "predict": 403, "read": 403, "admin": 404},
    ("GET", "/v1/users"): ADMIN,
    ("POST", "/v1/users"): {"none": 401, "predict": 403, "read": 403, "admin": 422},
    ("DELETE", "/v1/users/{name}"): {"none": 401, "predict": 403, "read": 403, "admin": 404},
    # Interactive docs: only when docs are enabled (dev default; off in prod).
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
}


def app_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, included routers flattened."""
    found = set()
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        for method in route.methods or ():
            if method != "HEAD" and route.path is not None:
                found.add((method, route.path))
    return found


def test_every_route_of_the_app_has_a_decided_access(client: TestClient) -> None:
    assert app_routes(client) == set(EXPECTED)


def test_every_route_answers_each_scope_as_the_matrix_says(
    client: TestClient, minted: Keys
) -> None:
    # A prediction of the reader's owner: read (its own) and admin (anyone's) may see it.
    owned = client.post("/predict", json=attrition_record(), headers=as_key(minted.other)).json()[
        "predictions"
    ][0]["prediction_id"]
    credentials = {
        "none": {},
        "predict": as_key(minted.predict),
        "read": as_key(minted.read),
        "admin": as_key(minted.admin),
    }
    problems = []
    for (method, path), expected in EXPECTED.items():
        for who, status in expected.items():
            url = (
                path.replace("{name}", "attrition")
                .replace("{prediction_id}", owned)
                .replace("{version}", "1")
            )
            body: dict[str, Any] = attrition_record()
            if path.endswith("/feedback"):
                body = {"label": "Yes"}
            elif path.endswith("/invocations"):
                body = {"dataframe_records": [attrition_record()]}
            elif path.endswith("/infer"):
                body = infer_body(attrition_record())
            response = client.request(
                method,
                url,
                json=body if method == "POST" else None,
                headers=credentials[who],
            )
            if response.status_code != status:
                problems.append(f"{method} {path} as {who}: {response.status_code}, not {status}")
    assert problems == []


def test_refusals_say_what_to_send(client: TestClient, minted: Keys) -> None:
    missing = client.get("/v1/models")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert missing.json()["error"] == "Unauthenticated"
    assert "X-API-Key" in missing.json()["detail"]
    scope = client.get("/v1/predictions", headers=as_key(minted.predict))
    assert scope.status_code == 403
    assert scope.json() == {
        "error": "MissingScope",
        "detail": "this operation needs the 'read' scope, which these credentials lack",
    }


def test_a_key_works_as_a_bearer_token_too(client: TestClient, minted: Keys) -> None:
    response = client.get("/v1/models", headers={"Authorization": f"Bearer {minted.predict}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "forged",
    ["sy_", "not-a-key", "sy_00000000_" + "A" * 43, "Bearer", "sy_zzzzzzzz_" + "A" * 43],
)
def test_malformed_or_unknown_keys_are_401(client: TestClient, forged: str) -> None:
    assert client.get("/v1/models", headers=as_key(forged)).status_code == 401


def test_the_right_prefix_with_a_wrong_secret_is_401(client: TestClient, minted: Keys) -> None:
    prefix = minted.predict[: len("sy_00000000_")]
    assert client.get("/v1/models", headers=as_key(prefix + "B" * 43)).status_code == 401


def test_a_revoked_key_stops_working_within_the_cache_time(
    client: TestClient, database: Database, minted: Keys
) -> None:
    assert client.get("/v1/models", headers=as_key(minted.predict)).status_code == 200
    keys.revoke_key(database, "predictor")
    time.sleep(0.3)  # key_cache_seconds is 0.2 in these tests
    assert client.get("/v1/models", headers=as_key(minted.predict)).status_code == 401


def test_callers_see_only_their_own_predictions(client: TestClient, minted: Keys) -> None:
    mine = client.post("/predict", json=attrition_record(), headers=as_key(minted.other))
    prediction_id = mine.json()["predictions"][0]["prediction_id"]
    theirs = client.post("/predict", json=attrition_record(), headers=as_key(minted.admin))
    their_id = theirs.json()["predictions"][0]["prediction_id"]

    own = client.get(f"/v1/predictions/{prediction_id}", headers=as_key(minted.other))
    assert own.status_code == 200
    assert own.json()["caller_id"] == "someone-else"  # the key's owner, recorded on the row
    listed = client.get("/v1/predictions", headers=as_key(minted.other)).json()["items"]
    assert [item["id"] for item in listed] == [prediction_id]

    # Someone else's prediction does not exist for this caller: 404, as for a random id.
    assert (
        client.get(f"/v1/predictions/{their_id}", headers=as_key(minted.other)).status_code == 404
    )
    feedback = client.post(
        f"/v1/predictions/{their_id}/feedback", json={"label": "Yes"}, headers=as_key(minted.read)
    )
    assert feedback.status_code == 404

    everyone = client.get("/v1/predictions", headers=as_key(minted.admin)).json()["items"]
    assert {item["id"] for item in everyone} == {prediction_id, their_id}


def test_prod_refuses_to_start_with_auth_off() -> None:
    with pytest.raises(ValidationError, match="SHIPYARD_AUTH__ENABLED=false is refused"):
        Settings(env="prod", auth=AuthSettings(enabled=False))


def test_health_says_when_auth_is_off(migrated: Settings) -> None:
    with TestClient(create_app(migrated)) as open_client:  # the test settings turn it off
        assert open_client.get("/health").json()["auth"] == "disabled"
        assert open_client.get("/v1/models").status_code == 200


def test_scopes_are_parsed_strictly() -> None:
    assert parse_scopes("predict, READ") == {Scope.PREDICT, Scope.READ}
    with pytest.raises(ValueError, match="unknown scope write"):
        parse_scopes("predict,write")
    with pytest.raises(ValueError, match="at least one scope"):
        parse_scopes(" , ")


def limited(settings: Settings, rate: str, storage: str = "memory://", **more: str) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit": RateLimitSettings(per_key=rate, storage_uri=storage, **more)  # type: ignore[arg-type]
        }
    )


def test_past_its_limit_a_key_gets_429_with_retry_after(secured: Settings, minted: Keys) -> None:
    with TestClient(create_app(limited(secured, "3/minute"))) as client:
        statuses = [
            client.get("/v1/models", headers=as_key(minted.predict)).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        refused = client.get("/v1/models", headers=as_key(minted.predict))
        assert refused.status_code == 429
        assert refused.json()["error"] == "RateLimited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Limits are per key: another key is not affected, nor are the probes.
        assert client.get("/v1/models", headers=as_key(minted.read)).status_code == 200
        assert client.get("/health").status_code == 200


def test_the_open_inference_routes_count_against_the_same_limit(
    secured: Settings, minted: Keys
) -> None:
    with TestClient(create_app(limited(secured, "3/minute"))) as client:
        headers = as_key(minted.predict)
        infer = "/v2/models/attrition/infer"
        assert client.post(infer, json=infer_body(attrition_record()), headers=headers).is_success
        assert client.get("/v2/models/attrition", headers=headers).status_code == 200
        assert client.post("/predict", json=attrition_record(), headers=headers).is_success
        refused = client.post(infer, json=infer_body(attrition_record()), headers=headers)
        assert refused.status_code == 429
        # The protocol's clients show ``error`` alone: on /v2 it says the rest too.
        assert refused.json()["error"] == f"RateLimited: {refused.json()['detail']}"
        assert "retry in" in refused.json()["detail"]
        assert client.get("/v2/health/ready").status_code == 200  # probes need no count


def test_redis_shares_the_count_between_processes(secured: Settings, minted: Keys) -> None:
    # Two apps stand for two worker processes: each has its own limiter, Redis holds the count.
    shared = limited(secured, "3/minute", "redis://127.0.0.1:6379")  # counts by key id
    with (
        TestClient(create_app(shared)) as first,
        TestClient(create_app(shared)) as second,
    ):
        headers = as_key(minted.predict)
        assert first.get("/v1/models", headers=headers).status_code == 200
        assert second.get("/v1/models", headers=headers).status_code == 200
        assert first.get("/v1/models", headers=headers).status_code == 200
        assert second.get("/v1/models", headers=headers).status_code == 429


def test_unreachable_redis_serves_without_limits_by_default(
    secured: Settings, minted: Keys
) -> None:
    down = limited(secured, "1/minute", "redis://127.0.0.1:1")  # nothing listens on port 1
    with TestClient(create_app(down)) as client:
        statuses = {
            client.get("/v1/models", headers=as_key(minted.predict)).status_code for _ in range(3)
        }
        assert statuses == {200}
        assert client.get("/health").json()["rate_limits"] == "unreachable"


def test_unreachable_redis_refuses_when_told_to(secured: Settings, minted: Keys) -> None:
    down = limited(secured, "1/minute", "redis://127.0.0.1:1", on_storage_down="deny")
    with TestClient(create_app(down)) as client:
        refused = client.get("/v1/models", headers=as_key(minted.predict))
        assert refused.status_code == 503
        assert refused.json()["error"] == "RateLimitStorageUnavailable"
        assert client.get("/livez").status_code == 200  # the probes need no count


def test_every_response_carries_the_security_headers(client: TestClient, minted: Keys) -> None:
    for response in (
        client.get("/health"),
        client.get("/v1/models", headers=as_key(minted.predict)),
        client.get("/v1/models"),  # a 401 too
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert response.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in response.headers  # dev: plain HTTP
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "Content-Security-Policy" not in docs.headers  # Swagger UI must run its scripts


PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key"}


def test_cors_is_closed_by_default(client: TestClient) -> None:
    response = client.options("/predict", headers={"Origin": "https://evil.example", **PREFLIGHT})
    assert "access-control-allow-origin" not in response.headers


def test_cors_opens_to_the_configured_origins_only_and_never_with_cookies(
    secured: Settings,
) -> None:
    server = secured.server.model_copy(update={"cors_origins": ["https://app.example"]})
    with TestClient(create_app(secured.model_copy(update={"server": server}))) as client:
        allowed = client.options("/predict", headers={"Origin": "https://app.example", **PREFLIGHT})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert "access-control-allow-credentials" not in allowed.headers
        other = client.options("/predict", headers={"Origin": "https://evil.example", **PREFLIGHT})
        assert "access-control-allow-origin" not in other.headers


def test_prod_sends_hsts(secured: Settings) -> None:
    with TestClient(create_app(secured.model_copy(update={"env": "prod"}))) as client:
        assert client.get("/health").headers["Strict-Transport-Security"].startswith("max-age=")


def test_admins_manage_keys_and_users_over_http(client: TestClient, minted: Keys) -> None:
    admin = as_key(minted.admin)
    created = client.post("/v1/keys", json={"name": "svc", "scopes": ["predict"]}, headers=admin)
    assert created.status_code == 201
    key = created.json()["key"]
    assert client.get("/v1/models", headers=as_key(key)).status_code == 200
    listed = client.get("/v1/keys", headers=admin).json()
    assert "svc" in [item["name"] for item in listed]
    assert key not in str(listed)  # the secret is shown once
    assert client.delete("/v1/keys/svc", headers=admin).status_code == 200
    time.sleep(0.3)
    assert client.get("/v1/models", headers=as_key(key)).status_code == 401

    colon = client.post(
        "/v1/keys", json={"name": "x", "owner": "user:ana", "scopes": ["read"]}, headers=admin
    )
    assert colon.status_code == 422  # key owners never take a user's caller id
    bad = client.post("/v1/keys", json={"name": "x", "scopes": ["write"]}, headers=admin)
    assert bad.status_code == 422
    assert "unknown scope write" in bad.json()["detail"]
    made = client.post(
        "/v1/users",
        json={"name": "cy", "password": "a long enough password", "scopes": ["read"]},
        headers=admin,
    )
    assert made.status_code == 201
    assert "password" not in made.json()
    token = client.post(
        "/v1/auth/token", data={"username": "cy", "password": "a long enough password"}
    )
    assert token.status_code == 200
    assert client.delete("/v1/users/cy", headers=admin).json()["disabled_at"] is not None


def test_a_credential_can_ask_who_it_is_and_what_it_may_do(
    client: TestClient, minted: Keys
) -> None:
    predictor = client.get("/v1/auth/me", headers=as_key(minted.predict)).json()
    operator = client.get("/v1/auth/me", headers=as_key(minted.admin)).json()
    assert (predictor["via"], predictor["scopes"]) == ("api-key:predictor", ["predict"])
    assert (operator["via"], operator["scopes"]) == (
        "api-key:operator",
        ["admin", "predict", "read"],
    )
    assert client.get("/v1/auth/me").status_code == 401
