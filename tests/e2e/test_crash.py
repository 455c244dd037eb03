"""SIGKILL the server under load, restart it, and count: every acknowledged prediction has
exactly one row; retries of unanswered requests (same Idempotency-Key) add none."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from shipyard.db import open_database
from tests.conftest import attrition_record, logged_ids
from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.e2e

CLIENTS = 8
REQUESTS_PER_CLIENT = 25


@dataclass
class Target:
    url: str
    lock: threading.Lock = field(default_factory=threading.Lock)


def client(target: Target, number: int, answers: dict[str, str], errors: list[str]) -> None:
    """Send requests one after the other; retry each with its key until it is answered."""
    deadline = time.monotonic() + 120
    with httpx.Client(timeout=30) as http:
        for index in range(REQUESTS_PER_CLIENT):
            key = f"client-{number}-request-{index}"
            record = {**attrition_record(), "DailyRate": 100 + number * 1_000 + index}
            while time.monotonic() < deadline:
                try:
                    response = http.post(
                        f"{target.url}/predict", json=record, headers={"Idempotency-Key": key}
                    )
                except httpx.TransportError:
                    time.sleep(0.2)  # the server is down: retry the same request
                    continue
                if response.status_code == 503:
                    time.sleep(0.2)
                    continue
                if response.status_code != 200:
                    errors.append(f"{key}: {response.status_code} {response.text}")
                    return
                answers[key] = response.json()["predictions"][0]["prediction_id"]
                break


def test_sigkill_under_load_loses_nothing_and_duplicates_nothing(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server()
    target = Target(server.url)
    answers: dict[str, str] = {}
    errors: list[str] = []
    threads = [
        threading.Thread(target=client, args=(target, n, answers, errors)) for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    answered_before_kill = len(answers)
    server.process.kill()  # SIGKILL: no drain, no shutdown, no last commit
    server.process.wait()
    restarted = start_server()
    target.url = restarted.url
    for thread in threads:
        thread.join(timeout=180)

    database = open_database(restarted.settings.resolved_database_url())
    try:
        rows = logged_ids(database)
    finally:
        database.dispose()
    acknowledged = {uuid.UUID(i) for i in answers.values()}
    lost = acknowledged - set(rows)
    duplicated = len(rows) - len(set(rows)) + (len(rows) - len(acknowledged))
    print(
        f"\nSIGKILL after {answered_before_kill} answers: acknowledged {len(acknowledged)}, "
        f"rows {len(rows)}, lost {len(lost)}, duplicated {duplicated}"
    )
    assert errors == []
    assert len(answers) == CLIENTS * REQUESTS_PER_CLIENT
    assert answered_before_kill > 0
    assert lost == set()
    assert duplicated == 0
