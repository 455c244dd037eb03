"""Stop PostgreSQL under load, start it again: requests fail fast (503) while it is down,
nothing acknowledged is lost or duplicated, and the server recovers without a restart."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from shipyard.db import open_database
from tests.conftest import attrition_record, logged_ids
from tests.e2e.conftest import RunningServer
from tests.e2e.private_postgres import PrivatePostgres

pytestmark = pytest.mark.e2e


@dataclass
class Outcome:
    at: float
    status: int
    seconds: float


@dataclass
class Load:
    url: str
    until: float
    outcomes: list[Outcome] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)

    def client(self, number: int) -> None:
        with httpx.Client(timeout=30) as http:
            index = 0
            while time.monotonic() < self.until:
                key = f"client-{number}-request-{index}"
                record = {**attrition_record(), "DailyRate": 100 + number * 10_000 + index}
                while True:  # retry this request (same key) until it is answered
                    started = time.monotonic()
                    response = http.post(
                        f"{self.url}/predict", json=record, headers={"Idempotency-Key": key}
                    )
                    self.outcomes.append(
                        Outcome(started, response.status_code, time.monotonic() - started)
                    )
                    if response.status_code == 200:
                        self.answers[key] = response.json()["predictions"][0]["prediction_id"]
                        break
                    assert response.status_code == 503, response.text
                    time.sleep(0.1)
                index += 1


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def database_url(private_postgres: PrivatePostgres) -> str:
    """This module's servers log to the test's own PostgreSQL, which it stops and starts."""
    return private_postgres.url


def test_postgresql_outage_under_load(
    start_server: Callable[..., RunningServer], private_postgres: PrivatePostgres
) -> None:
    server = start_server()
    load = Load(server.url, until=time.monotonic() + 10)
    clients = [threading.Thread(target=load.client, args=(n,)) for n in range(8)]
    for thread in clients:
        thread.start()
    time.sleep(2)
    down_at = time.monotonic()
    private_postgres.stop_immediately()
    time.sleep(4)
    private_postgres.start()
    up_at = time.monotonic()
    for thread in clients:
        thread.join(timeout=120)

    database = open_database(private_postgres.url)
    try:
        rows = logged_ids(database)
    finally:
        database.dispose()
    acknowledged = {uuid.UUID(i) for i in load.answers.values()}
    refused = [o for o in load.outcomes if o.status == 503]
    lost = acknowledged - set(rows)
    duplicated = len(rows) - len(acknowledged)
    print(
        f"\nPostgreSQL down {up_at - down_at:.1f} s: acknowledged {len(acknowledged)}, "
        f"rows {len(rows)}, lost {len(lost)}, duplicated {duplicated}, "
        f"503 answers {len(refused)} (slowest {max((o.seconds for o in refused), default=0):.3f} s)"
    )
    assert refused, "requests during the outage should have been refused"
    assert max(o.seconds for o in refused) < 1.0  # fail fast, never hang
    assert any(o.status == 200 and o.at > up_at for o in load.outcomes)  # recovered by itself
    assert server.process.poll() is None  # without a restart
    assert lost == set()
    assert duplicated == 0
