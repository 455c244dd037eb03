"""Stop PostgreSQL under load, start it again. Under ``fail`` requests fail fast (503) while it
is down; under ``spool`` every request is answered. Either way nothing acknowledged is lost or
duplicated, and the server recovers without a restart."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from shipyard.db import open_database, upgrade_database
from shipyard.db.writer import PredictionLogWriter
from tests.conftest import attrition_record, logged_ids, prediction_entry
from tests.e2e.conftest import RunningServer, policy_env, spool_backlog
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


@dataclass
class Outage:
    load: Load
    down_at: float
    up_at: float
    acknowledged: set[uuid.UUID]
    rows: list[uuid.UUID]

    def report(self, policy: str) -> str:
        refused = [o for o in self.load.outcomes if o.status == 503]
        slowest = max((o.seconds for o in self.load.outcomes), default=0)
        return (
            f"\nPostgreSQL down {self.up_at - self.down_at:.1f} s ({policy}): "
            f"acknowledged {len(self.acknowledged)}, rows {len(self.rows)}, "
            f"lost {len(self.acknowledged - set(self.rows))}, "
            f"duplicated {len(self.rows) - len(self.acknowledged)}, "
            f"503 answers {len(refused)}, slowest answer {slowest:.3f} s"
        )


def stop_postgres_under_load(
    server: RunningServer, postgres: PrivatePostgres, *, spooling: bool
) -> Outage:
    load = Load(server.url, until=time.monotonic() + 10)
    clients = [threading.Thread(target=load.client, args=(n,)) for n in range(8)]
    for thread in clients:
        thread.start()
    time.sleep(2)
    down_at = time.monotonic()
    postgres.stop_immediately()
    time.sleep(4)
    postgres.start()
    up_at = time.monotonic()
    for thread in clients:
        thread.join(timeout=120)
    if spooling:
        deadline = time.monotonic() + 60
        while spool_backlog(server.url) > 0:  # the replay is done before the rows are counted
            assert time.monotonic() < deadline
            time.sleep(0.2)
    database = open_database(postgres.url)
    try:
        rows = logged_ids(database)
    finally:
        database.dispose()
    acknowledged = {uuid.UUID(i) for i in load.answers.values()}
    return Outage(load, down_at, up_at, acknowledged, rows)


def test_outage_under_fail_refuses_fast_and_recovers(
    start_server: Callable[..., RunningServer], private_postgres: PrivatePostgres
) -> None:
    server = start_server(env=policy_env("fail"))
    outage = stop_postgres_under_load(server, private_postgres, spooling=False)
    print(outage.report("fail"))
    refused = [o for o in outage.load.outcomes if o.status == 503]
    assert refused, "requests during the outage should have been refused"
    assert max(o.seconds for o in refused) < 1.0  # fail fast, never hang
    assert any(o.status == 200 and o.at > outage.up_at for o in outage.load.outcomes)
    assert server.process.poll() is None  # recovered without a restart
    assert outage.acknowledged - set(outage.rows) == set()
    assert len(outage.rows) == len(outage.acknowledged)


def test_outage_under_spool_answers_everything_and_replays_once(
    start_server: Callable[..., RunningServer], private_postgres: PrivatePostgres
) -> None:
    server = start_server(env={**policy_env("spool"), "SHIPYARD_LOG_WRITER__RETRY_SECONDS": "1"})
    outage = stop_postgres_under_load(server, private_postgres, spooling=True)
    print(outage.report("spool"))
    assert {o.status for o in outage.load.outcomes} == {200}
    during = [o for o in outage.load.outcomes if outage.down_at < o.at < outage.up_at]
    assert len(during) > 10  # requests were answered while the database was down
    assert server.process.poll() is None
    assert outage.acknowledged - set(outage.rows) == set()
    assert len(outage.rows) == len(outage.acknowledged)


def test_the_first_commit_after_a_restart_is_not_refused(private_postgres: PrivatePostgres) -> None:
    """The log writer keeps its connection between batches; a restart of the database makes it
    stale, and the next batch must reconnect rather than answer 503."""
    database = open_database(private_postgres.url)
    upgrade_database(database)
    writer = PredictionLogWriter(database, max_batch_rows=10, max_pending_rows=100)
    writer.start()
    try:
        assert writer.submit([prediction_entry()]).result(timeout=30) is True
        private_postgres.stop_immediately()
        private_postgres.start()
        assert writer.submit([prediction_entry()]).result(timeout=30) is True
    finally:
        writer.stop()
        database.dispose()


def test_a_server_started_during_an_outage_spools_until_the_database_returns(
    start_server: Callable[..., RunningServer], private_postgres: PrivatePostgres
) -> None:
    database = open_database(private_postgres.url)
    upgrade_database(database)  # deployed before: the outage comes later
    database.dispose()
    private_postgres.stop_immediately()
    server = start_server(env=policy_env("spool"))  # a restart in the middle of the outage
    answers = [
        httpx.post(f"{server.url}/predict", json=attrition_record(), timeout=30) for _ in range(5)
    ]
    assert [answer.status_code for answer in answers] == [200] * 5
    assert spool_backlog(server.url) == 5
    private_postgres.start()
    deadline = time.monotonic() + 60
    while spool_backlog(server.url) > 0:
        assert time.monotonic() < deadline, "the spool was not replayed"
        time.sleep(0.2)
    database = open_database(private_postgres.url)
    try:
        rows = set(logged_ids(database))
    finally:
        database.dispose()
    assert rows == {uuid.UUID(a.json()["predictions"][0]["prediction_id"]) for a in answers}
    assert httpx.get(f"{server.url}/readyz", timeout=10).json()["reasons"] == []
