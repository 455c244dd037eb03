"""SIGKILL the server under load, restart it, and count: every acknowledged prediction has
exactly one row; retries of unanswered requests (same Idempotency-Key) add none. Under both
database-down policies, and under ``spool`` with rows still waiting in the journal."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from shipyard.db import open_database
from tests.conftest import attrition_record, logged_ids, write_lock
from tests.e2e.conftest import RunningServer, policy_env, spool_backlog

pytestmark = pytest.mark.e2e

CLIENTS = 8
REQUESTS_PER_CLIENT = 60
KILL_AFTER_ANSWERS = 120  # a quarter of the requests: the rest are in flight or to come
LOCK_AFTER_ANSWERS = 40  # the database is locked with most of the requests still to come


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


@dataclass
class Run:
    target: Target
    answers: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for number in range(CLIENTS):
            thread = threading.Thread(
                target=client, args=(self.target, number, self.answers, self.errors)
            )
            self.threads.append(thread)
            thread.start()

    def finish(self, database_url: str, label: str) -> None:
        for thread in self.threads:
            thread.join(timeout=180)
        database = open_database(database_url)
        try:
            rows = logged_ids(database)
        finally:
            database.dispose()
        acknowledged = {uuid.UUID(i) for i in self.answers.values()}
        lost = acknowledged - set(rows)
        duplicated = len(rows) - len(acknowledged)
        print(
            f"\n{label}: acknowledged {len(acknowledged)}, rows {len(rows)}, "
            f"lost {len(lost)}, duplicated {duplicated}"
        )
        assert self.errors == []
        assert len(self.answers) == CLIENTS * REQUESTS_PER_CLIENT
        assert lost == set()
        assert duplicated == 0


@pytest.mark.parametrize("policy", ["fail", "spool"])
def test_sigkill_under_load_loses_nothing_and_duplicates_nothing(
    start_server: Callable[..., RunningServer], policy: str
) -> None:
    server = start_server(env=policy_env(policy))
    run = Run(Target(server.url))
    run.start()
    deadline = time.monotonic() + 60
    while len(run.answers) < KILL_AFTER_ANSWERS and time.monotonic() < deadline:
        time.sleep(0.005)
    answered_before_kill = len(run.answers)
    server.process.kill()  # SIGKILL: no drain, no shutdown, no last commit
    server.process.wait()
    restarted = start_server(env=policy_env(policy))
    run.target.url = restarted.url
    run.finish(
        restarted.settings.resolved_database_url(),
        f"SIGKILL ({policy}) after {answered_before_kill} answers",
    )
    assert 0 < answered_before_kill < CLIENTS * REQUESTS_PER_CLIENT  # killed under load


def test_sigkill_with_rows_in_the_spool_replays_them_after_the_restart(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server(env=policy_env("spool"))
    database = open_database(server.settings.resolved_database_url())
    run = Run(Target(server.url))
    run.start()
    try:
        # Under load, but early: the run can be over in a second, and a lock taken after it
        # would see nothing to spool.
        started = time.monotonic() + 60
        while len(run.answers) < LOCK_AFTER_ANSWERS and time.monotonic() < started:
            time.sleep(0.005)
        with write_lock(database):  # the database takes no rows: the server spools them
            deadline = time.monotonic() + 60
            while spool_backlog(server.url) < 20:
                assert time.monotonic() < deadline, "nothing was spooled"
                time.sleep(0.2)
            answered_before_kill = len(run.answers)
            server.process.kill()
            server.process.wait()
    finally:
        database.dispose()
    # The journal of the killed process is on disk, unlocked: the new process adopts it.
    restarted = start_server(env=policy_env("spool"))
    run.target.url = restarted.url
    run.finish(
        restarted.settings.resolved_database_url(),
        f"SIGKILL with a spooled backlog after {answered_before_kill} answers",
    )
    assert answered_before_kill > 0
    assert spool_backlog(restarted.url) == 0  # finish() found every row: nothing waits
