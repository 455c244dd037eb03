"""``shipyard serve`` as a real process: concurrent clients, every answer in the log."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from shipyard.db import open_database
from shipyard.domain.auth import Scope
from shipyard.services import keys
from tests.conftest import attrition_record, logged_ids
from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).parents[2] / "examples"


async def send_predictions(url: str, total: int, clients: int) -> list[str]:
    """``total`` single-record predictions from ``clients`` concurrent connections."""
    acknowledged: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(total):
        queue.put_nowait(number)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while not queue.empty():
                number = queue.get_nowait()
                record = {**attrition_record(), "DailyRate": 100 + number}
                response = await http.post("/v1/models/attrition/predict", json=record)
                assert response.status_code == 200, response.text
                acknowledged.extend(p["prediction_id"] for p in response.json()["predictions"])

    await asyncio.gather(*(client() for _ in range(clients)))
    return acknowledged


def ids_in_log(server: RunningServer) -> list[uuid.UUID]:
    database = open_database(server.settings.resolved_database_url())
    try:
        return logged_ids(database)
    finally:
        database.dispose()


def test_500_predictions_from_16_concurrent_clients_give_500_rows(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server()
    acknowledged = asyncio.run(send_predictions(server.url, total=500, clients=16))
    assert len(acknowledged) == 500
    logged = ids_in_log(server)
    assert len(logged) == 500
    assert {uuid.UUID(i) for i in acknowledged} == set(logged)


def run_example(name: str, url: str, api_key: str) -> subprocess.CompletedProcess[str]:
    """Run ``examples/<name>`` against ``url`` with the key, as its docstring says."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SHIPYARD_API_KEY": api_key},
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_quickstart_example_runs_against_a_live_server(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server(env={"SHIPYARD_AUTH__ENABLED": "true"})
    database = open_database(server.settings.resolved_database_url())
    key = keys.create_key(database, "quickstart", frozenset({Scope.PREDICT, Scope.READ}))
    database.dispose()
    result = run_example("quickstart.py", server.url, key.plaintext)
    assert "predicted" in result.stdout
    assert "feedback recorded: Yes" in result.stdout
    assert "logged predictions: 1" in result.stdout


def test_two_workers_take_64_concurrent_clients_without_lock_errors(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server("--workers", "2")
    acknowledged = asyncio.run(send_predictions(server.url, total=320, clients=64))
    assert len(acknowledged) == 320
    assert {uuid.UUID(i) for i in acknowledged} == set(ids_in_log(server))
    assert "database is locked" not in server.log()
    assert "Traceback" not in server.log()


def test_a_revoked_key_is_refused_by_every_worker_within_a_second(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server("--workers", "2", env={"SHIPYARD_AUTH__ENABLED": "true"})
    database = open_database(server.settings.resolved_database_url())
    try:
        key = keys.create_key(database, "rotating", frozenset({Scope.PREDICT})).plaintext
        headers = {"X-API-Key": key}
        with httpx.Client(timeout=30) as http:
            # Many requests, so that both workers have checked (and cached) the key.
            assert {
                http.get(f"{server.url}/v1/models", headers=headers).status_code for _ in range(40)
            } == {200}
            keys.revoke_key(database, "rotating")
            time.sleep(1.1)  # auth.key_cache_seconds defaults to 1 s
            refused = {
                http.get(f"{server.url}/v1/models", headers=headers).status_code for _ in range(40)
            }
            assert refused == {401}
    finally:
        database.dispose()
