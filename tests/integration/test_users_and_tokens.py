"""Users log in with a password for a JWT; forged, expired or foreign tokens are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from shipyard.api.app import create_app
from shipyard.config import AuthSettings, Settings
from shipyard.db import open_database
from shipyard.domain.auth import Scope
from shipyard.services import users
from tests.conftest import attrition_record

pytestmark = pytest.mark.integration

SECRET = "s" * 20 + "-test-only-secret-0123456789"
PASSWORD = "correct horse battery"


@pytest.fixture
def secured(migrated: Settings) -> Settings:
    auth = AuthSettings(jwt_secret=SecretStr(SECRET), key_cache_seconds=0.2)
    return migrated.model_copy(update={"auth": auth})


@pytest.fixture
def client(secured: Settings) -> Iterator[TestClient]:
    database = open_database(secured.resolved_database_url())
    users.create_user(database, "ana", PASSWORD, frozenset({Scope.PREDICT, Scope.READ}))
    users.create_user(database, "root", PASSWORD, frozenset({Scope.ADMIN}))
    database.dispose()
    with TestClient(create_app(secured)) as test_client:
        yield test_client


def login(client: TestClient, name: str = "ana", password: str = PASSWORD, **form: str) -> str:
    response = client.post("/v1/auth/token", data={"username": name, "password": password, **form})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_user_logs_in_and_uses_the_token(client: TestClient) -> None:
    answer = client.post("/v1/auth/token", data={"username": "ana", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    assert body["scope"] == "predict read"
    token = body["access_token"]
    predicted = client.post("/predict", json=attrition_record(), headers=bearer(token))
    assert predicted.status_code == 200
    prediction_id = predicted.json()["predictions"][0]["prediction_id"]
    mine = client.get(f"/v1/predictions/{prediction_id}", headers=bearer(token))
    assert mine.json()["caller_id"] == "user:ana"  # never the same caller as a key "ana"
    assert client.get("/metrics", headers=bearer(token)).status_code == 403


def test_a_token_can_carry_fewer_scopes_than_its_user(client: TestClient) -> None:
    token = login(client, scope="read")
    assert client.get("/v1/predictions", headers=bearer(token)).status_code == 200
    assert (
        client.post("/predict", json=attrition_record(), headers=bearer(token)).status_code == 403
    )
    admin_reader = login(client, "root", scope="read")
    assert client.get("/metrics", headers=bearer(admin_reader)).status_code == 403


def test_a_wrong_password_or_unknown_user_is_the_same_401(client: TestClient) -> None:
    wrong = client.post("/v1/auth/token", data={"username": "ana", "password": "nope" * 4})
    unknown = client.post("/v1/auth/token", data={"username": "zed", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_failed_logins_are_limited_per_user_and_per_address(client: TestClient) -> None:
    for _ in range(5):  # auth.failed_logins: 5/minute
        failed = client.post("/v1/auth/token", data={"username": "ana", "password": "x" * 12})
        assert failed.status_code == 401
    blocked = client.post("/v1/auth/token", data={"username": "ana", "password": PASSWORD})
    assert blocked.status_code == 429  # even the right password waits now
    assert int(blocked.headers["Retry-After"]) >= 1
    # The same address is blocked for other names too.
    other = client.post("/v1/auth/token", data={"username": "root", "password": PASSWORD})
    assert other.status_code == 429
    # From another address: the guessed name is still blocked, other names are not.
    elsewhere = TestClient(client.app, client=("203.0.113.7", 40000))
    same_name = elsewhere.post("/v1/auth/token", data={"username": "ana", "password": PASSWORD})
    assert same_name.status_code == 429
    other_name = elsewhere.post("/v1/auth/token", data={"username": "root", "password": PASSWORD})
    assert other_name.status_code == 200


def test_a_disabled_user_is_refused_within_the_cache_time(
    client: TestClient, secured: Settings
) -> None:
    token = login(client)
    assert client.get("/v1/models", headers=bearer(token)).status_code == 200
    database = open_database(secured.resolved_database_url())
    users.disable_user(database, "ana")
    database.dispose()
    time.sleep(0.3)  # key_cache_seconds is 0.2 here
    assert client.get("/v1/models", headers=bearer(token)).status_code == 401
    assert (
        client.post("/v1/auth/token", data={"username": "ana", "password": PASSWORD}).status_code
        == 401
    )


def claims(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "sub": "root",
        "scope": "admin",
        "iss": "shipyard",
        "aud": "shipyard-api",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return {**base, **changes}


def with_uid(client: TestClient, **changes: object) -> dict[str, object]:
    token = login(client, "root")
    uid = jwt.decode(token, options={"verify_signature": False})["uid"]
    return claims(uid=uid, **changes)


def b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hmac_signed(payload: dict[str, object], key: bytes) -> str:
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(payload)}"
    digest = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def forgeries(client: TestClient) -> dict[str, str]:
    good = with_uid(client)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    unsigned = {k: (int(v.timestamp()) if isinstance(v, datetime) else v) for k, v in good.items()}
    signed = jwt.encode(good, SECRET, algorithm="HS256")
    head, _, signature = signed.split(".")
    tampered_payload = b64({**unsigned, "sub": "ana", "scope": "admin"})
    return {
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(unsigned)}.",
        "wrong key": jwt.encode(good, "another-secret-of-enough-length-000", algorithm="HS256"),
        "RS256 with a key of its own": jwt.encode(good, private, algorithm="RS256"),
        # The classic confusion: HMAC keyed with a public key, for a server that would
        # verify with "the key" whatever algorithm the header names.
        "HS256 keyed with a public key": hmac_signed(unsigned, public_pem),
        "expired": jwt.encode(
            with_uid(client, exp=datetime.now(UTC) - timedelta(seconds=5)), SECRET, "HS256"
        ),
        "wrong audience": jwt.encode(with_uid(client, aud="someone-else"), SECRET, "HS256"),
        "wrong issuer": jwt.encode(with_uid(client, iss="evil"), SECRET, "HS256"),
        "no expiry": jwt.encode(
            {k: v for k, v in good.items() if k != "exp"}, SECRET, algorithm="HS256"
        ),
        "tampered payload": f"{head}.{tampered_payload}.{signature}",
        "a user that does not exist": jwt.encode(
            with_uid(client, sub="nobody"), SECRET, algorithm="HS256"
        ),
        "garbage": "not.a.jwt",
    }


def test_forged_and_foreign_tokens_are_401(client: TestClient) -> None:
    for attack, token in forgeries(client).items():
        response = client.get("/metrics", headers=bearer(token))
        assert response.status_code == 401, f"{attack}: {response.status_code}"
    # The genuine article works, so the refusals above are about the forgeries.
    genuine = jwt.encode(with_uid(client), SECRET, algorithm="HS256")
    assert client.get("/metrics", headers=bearer(genuine)).status_code == 200


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "must be set"),
        ("short", "at least 32 characters"),
        ("09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7", "not a default"),
    ],
)
def test_prod_refuses_a_missing_short_or_known_jwt_secret(secret: str | None, problem: str) -> None:
    auth = AuthSettings(jwt_secret=SecretStr(secret) if secret else None)
    with pytest.raises(ValidationError, match="SHIPYARD_AUTH__JWT_SECRET") as refused:
        Settings(env="prod", auth=auth)
    assert problem in str(refused.value)


def test_prod_starts_with_a_strong_secret() -> None:
    Settings(env="prod", auth=AuthSettings(jwt_secret=SecretStr("x" * 8 + SECRET)))


def test_passwords_are_stored_as_argon2_and_must_be_long(secured: Settings) -> None:
    database = open_database(secured.resolved_database_url())
    with pytest.raises(ValueError, match="at least 12 characters"):
        users.create_user(database, "bo", "short", frozenset({Scope.READ}))
    users.create_user(database, "bo", PASSWORD, frozenset({Scope.READ}))
    with database.engine.connect() as connection:
        stored = connection.exec_driver_sql(
            "SELECT password_hash FROM users WHERE name = 'bo'"
        ).scalar_one()
    database.dispose()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_guesses_sent_all_at_once_are_counted_as_they_arrive(client: TestClient) -> None:
    def guess(_: int) -> int:
        form = {"username": "ana", "password": "not the password"}
        return client.post("/v1/auth/token", data=form).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(pool.map(guess, range(12)))
    assert statuses.count(401) <= 5  # auth.failed_logins: 5/minute per user and address
    assert statuses.count(429) >= 7


def test_a_successful_login_starts_the_count_afresh(client: TestClient) -> None:
    for _ in range(4):  # with the login, 5 attempts: a 6th would be refused without a reset
        client.post("/v1/auth/token", data={"username": "root", "password": "wrong" * 3})
    login(client, "root")
    assert (
        client.post(
            "/v1/auth/token", data={"username": "root", "password": "wrong" * 3}
        ).status_code
        == 401
    )  # not 429: the count started again at the success


def test_scopes_may_be_asked_the_oauth2_way_and_must_overlap(client: TestClient) -> None:
    answer = client.post(
        "/v1/auth/token", data={"username": "ana", "password": PASSWORD, "scope": "predict read"}
    )
    assert answer.json()["scope"] == "predict read"
    refused = client.post(
        "/v1/auth/token", data={"username": "ana", "password": PASSWORD, "scope": "admin"}
    )
    assert refused.status_code == 422
    assert "holds none of the scopes asked for" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "form"),
    [
        ("GET", "/v1/predictions?model=a%00b", None),
        ("GET", "/v1/predictions?label=%00", None),
        ("DELETE", "/v1/keys/a%00b", None),
        ("POST", "/v1/auth/token", {"username": "a\x00b", "password": PASSWORD}),
    ],
)
def test_a_nul_character_is_a_422_not_a_500(
    client: TestClient, method: str, path: str, form: dict[str, str] | None
) -> None:
    token = login(client, "root")
    response = client.request(method, path, data=form, headers=bearer(token))
    assert response.status_code == 422, response.text
