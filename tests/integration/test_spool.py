"""The spool policy: rows the database cannot take are journaled, then replayed exactly once."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shipyard.api.app import create_app
from shipyard.config import Settings
from shipyard.db import Database, open_database, upgrade_database
from shipyard.db.idempotency import find_answer
from shipyard.db.journal import SpooledRequest, SpoolJournal, decode, encode
from shipyard.db.spool import Spool, SpoolFull
from shipyard.db.writer import PredictionLogWriter
from shipyard.domain.prediction import IdempotentRequest
from tests.conftest import attrition_record, logged_ids, write_lock
from tests.conftest import prediction_entry as entry

pytestmark = pytest.mark.integration


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    # A short lock wait: a held write lock makes the database "down" within 2 s.
    database = open_database(database_url, timeout_seconds=2)
    upgrade_database(database)
    yield database
    database.dispose()


def spool_in(directory: Path, *, max_bytes: int = 1 << 30, replay_rows: int = 50) -> Spool:
    return Spool(
        SpoolJournal(directory), max_bytes=max_bytes, retry_seconds=0.2, replay_rows=replay_rows
    )


def started_writer(
    database: Database, spool: Spool, *, max_batch_rows: int = 50, max_pending_rows: int = 100
) -> PredictionLogWriter:
    writer = PredictionLogWriter(
        database, max_batch_rows=max_batch_rows, max_pending_rows=max_pending_rows, spool=spool
    )
    writer.start()
    return writer


def eventually(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def claim(key: str, answer: int = 1) -> IdempotentRequest:
    return IdempotentRequest(
        caller_id="",
        key=key,
        fingerprint="f" * 64,
        response={"answer": answer},
        created_at=datetime.now(UTC),
    )


def test_a_record_reads_back_whole() -> None:
    request = SpooledRequest([entry(), entry(label="Yes")], claim("k-1"))
    assert decode(encode(request)) == request


def test_a_torn_or_altered_line_is_refused() -> None:
    line = encode(SpooledRequest([entry()]))
    assert decode(line[:-5]) is None  # cut by a crash in mid-write
    assert decode(line.replace(b'"No"', b'"Ye"', 1)) is None  # CRC mismatch


def test_a_journal_left_by_a_dead_process_is_adopted_once(tmp_path: Path) -> None:
    left = SpoolJournal(tmp_path)
    requests = [SpooledRequest([entry()]), SpooledRequest([entry(), entry()])]
    left.append(requests)
    with open(left.path, "ab") as file:
        file.write(encode(SpooledRequest([entry()]))[:20])  # the crash tore the last append
    left.close()  # what the kernel does for a killed process: the lock goes, the file stays

    first, second = SpoolJournal(tmp_path), SpoolJournal(tmp_path)
    assert first.adopt_orphans() == requests
    assert second.adopt_orphans() == []
    assert list(first.pending()) == requests
    assert not left.path.exists()


def test_the_journal_of_a_live_process_is_left_alone(tmp_path: Path) -> None:
    alive = SpoolJournal(tmp_path)
    alive.append([SpooledRequest([entry()])])
    other = SpoolJournal(tmp_path)
    assert other.adopt_orphans() == []
    assert alive.path.exists()
    with open(alive.path, "rb") as file, pytest.raises(BlockingIOError):  # locked by its owner
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_rows_wait_in_the_spool_while_the_database_is_down_then_land_once(
    database: Database, tmp_path: Path
) -> None:
    spool = spool_in(tmp_path)
    writer = started_writer(database, spool, max_pending_rows=1_000)
    before = [entry() for _ in range(3)]
    assert writer.submit(before).result(timeout=30) is True
    during = [[entry()] for _ in range(120)]
    with write_lock(database):  # the database takes nothing for now
        acknowledged = [writer.submit(rows) for rows in during]
        assert all(future.result(timeout=30) for future in acknowledged)
        assert spool.status().backlog_rows == 120
        assert spool.status().size_bytes > 0
    eventually(lambda: spool.status().backlog_rows == 0)
    after = [entry()]
    assert writer.submit(after).result(timeout=30) is True
    writer.stop()

    rows = logged_ids(database)
    expected = [row.id for row in before] + [rows[0].id for rows in during] + [after[0].id]
    assert len(rows) == len(expected)  # nothing twice
    assert set(rows) == set(expected)  # nothing lost
    assert spool.status().replayed_rows == 120
    assert list(tmp_path.glob("*.journal")) == []  # an emptied journal is removed


def test_a_replay_repeated_after_a_crash_adds_nothing(database: Database, tmp_path: Path) -> None:
    requests = [SpooledRequest([entry()], claim("k-1")), SpooledRequest([entry(), entry()])]
    for _ in range(2):  # replayed, then the process died before truncating the journal
        journal = SpoolJournal(tmp_path / "dead")
        journal.append(requests)
        journal.close()
        spool = spool_in(tmp_path / "dead")
        writer = PredictionLogWriter(database, max_batch_rows=50, max_pending_rows=10, spool=spool)
        writer.start()
        eventually(lambda spool=spool: not spool.holds_rows)  # type: ignore[misc]
        writer.stop()
    assert sorted(logged_ids(database)) == sorted(e.id for r in requests for e in r.entries)


def test_a_keyed_retry_during_the_outage_gets_the_spooled_answer(
    database: Database, tmp_path: Path
) -> None:
    spool = spool_in(tmp_path)
    writer = started_writer(database, spool, max_pending_rows=100)
    with write_lock(database):
        first = writer.submit([entry()], claim("k-1"))
        assert first.result(timeout=30) is True
        retry = writer.submit([entry()], claim("k-1", answer=2))
        assert retry.result(timeout=30) is False  # its rows are dropped: the key is taken
        spooled = writer.spooled_answer("", "k-1")
        assert spooled is not None
        assert spooled.response == {"answer": 1}
    eventually(lambda: not spool.holds_rows)
    writer.stop()
    assert len(logged_ids(database)) == 1
    assert writer.spooled_answer("", "k-1") is None  # now answered from the database


def test_a_full_spool_refuses_instead_of_acknowledging(database: Database, tmp_path: Path) -> None:
    spool = spool_in(tmp_path, max_bytes=1)
    writer = started_writer(database, spool, max_pending_rows=100)
    with write_lock(database):
        assert writer.submit([entry()]).result(timeout=30) is True  # fills the journal
        with pytest.raises(SpoolFull):
            writer.submit([entry()]).result(timeout=30)
        assert spool.status().full
    eventually(lambda: not spool.holds_rows)
    writer.stop()
    assert len(logged_ids(database)) == 1


def metric(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_the_api_answers_from_the_spool_and_shows_the_backlog(
    migrated: Settings, tmp_path: Path
) -> None:
    spooling = migrated.model_copy(
        update={
            "database_timeout_seconds": 2,
            "log_writer": migrated.log_writer.model_copy(
                update={
                    "on_database_down": "spool",
                    "spool_dir": tmp_path / "spool",
                    "retry_seconds": 0.2,
                    # Less than two database timeouts: a lock wait is never tried twice.
                    "commit_timeout_seconds": 3.0,
                }
            ),
        }
    )
    database = open_database(spooling.resolved_database_url())
    with TestClient(create_app(spooling)) as client:
        with write_lock(database):
            response = client.post("/predict", json=attrition_record())
            assert response.status_code == 200
            ready = client.get("/readyz")
            assert ready.status_code == 200  # still serving: the rows are safe on disk
            assert ready.json()["spool"]["backlog_rows"] == 1
            assert metric(client, "shipyard_prediction_log_spool_backlog_rows") == 1
        eventually(lambda: client.get("/readyz").json()["spool"]["backlog_rows"] == 0)
        assert metric(client, "shipyard_prediction_log_replayed_rows_total") == 1
        prediction_id = response.json()["predictions"][0]["prediction_id"]
        assert client.get(f"/v1/predictions/{prediction_id}").status_code == 200
    database.dispose()


def test_metrics_count_the_rows_committed(client: TestClient) -> None:
    for _ in range(3):
        assert client.post("/predict", json=attrition_record()).status_code == 200
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert metric(client, "shipyard_prediction_log_committed_rows_total") == 3
    assert metric(client, "shipyard_prediction_log_spool_backlog_rows") == 0  # policy: fail


def test_two_requests_with_one_key_in_one_spooled_batch_keep_the_first_answer(
    database: Database, tmp_path: Path
) -> None:
    spool = spool_in(tmp_path)
    writer = started_writer(database, spool, max_pending_rows=100)
    with write_lock(database):
        assert writer.submit([entry()]).result(timeout=30) is True  # now spooling
        first = writer.submit([entry()], claim("k-1", answer=1))
        second = writer.submit([entry()], claim("k-1", answer=2))  # most likely the same batch
        assert first.result(timeout=30) is True
        assert second.result(timeout=30) is False
        spooled = writer.spooled_answer("", "k-1")
        assert spooled is not None
        assert spooled.response == {"answer": 1}
    eventually(lambda: not spool.holds_rows)
    writer.stop()
    assert len(logged_ids(database)) == 2
    with database.session_scope() as session:
        stored = find_answer(session, "", "k-1")
    assert stored is not None
    assert stored.response == {"answer": 1}


def test_a_failed_append_leaves_nothing_to_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = SpoolJournal(tmp_path)
    kept = SpooledRequest([entry()])
    journal.append([kept])
    real_write = os.write
    calls = {"count": 0}

    def disk_fills_mid_record(descriptor: int, data: bytes) -> int:
        calls["count"] += 1
        if calls["count"] == 1:
            return real_write(descriptor, bytes(data)[:10])  # part of the record lands...
        raise OSError(28, "No space left on device")  # ...then the disk is full

    monkeypatch.setattr(os, "write", disk_fills_mid_record)
    with pytest.raises(OSError, match="No space"):
        journal.append([SpooledRequest([entry()])])  # its request gets an error, not a 200
    monkeypatch.setattr(os, "write", real_write)
    after = SpooledRequest([entry()])
    journal.append([after])
    assert list(journal.pending()) == [kept, after]
    assert journal.size_bytes == len(encode(kept)) + len(encode(after))


def test_the_backlog_drains_while_requests_keep_coming(database: Database, tmp_path: Path) -> None:
    spool = spool_in(tmp_path, replay_rows=10)
    writer = PredictionLogWriter(database, max_batch_rows=20, max_pending_rows=10_000, spool=spool)
    writer.start()
    with write_lock(database):
        for future in [writer.submit([entry()]) for _ in range(400)]:
            assert future.result(timeout=30) is True
    assert spool.status().backlog_rows > 0
    acknowledged: list[bool] = []
    stop = threading.Event()

    def keep_submitting() -> None:
        while not stop.is_set():
            acknowledged.append(writer.submit([entry()]).result(timeout=30))

    # More rows arrive per batch (up to 20) than one replay chunk takes (10): journaling new
    # rows behind the backlog would make it grow for as long as the load lasts.
    clients = [threading.Thread(target=keep_submitting) for _ in range(40)]
    for thread in clients:
        thread.start()
    try:
        eventually(lambda: spool.status().backlog_rows == 0)  # under load, not after it
        assert not stop.is_set()
        assert spool.status().size_bytes == 0
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    writer.stop()
    assert all(acknowledged)
    assert len(logged_ids(database)) == 400 + len(acknowledged)


def test_the_writer_survives_a_journal_it_cannot_read(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = spool_in(tmp_path)
    writer = started_writer(database, spool, max_pending_rows=100)
    with write_lock(database):
        assert writer.submit([entry()]).result(timeout=30) is True
    failures = {"left": 3}
    real = SpoolJournal.unreplayed

    def flaky(self: SpoolJournal, max_rows: int) -> tuple[list[SpooledRequest], int]:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise OSError(5, "Input/output error")
        return real(self, max_rows)

    monkeypatch.setattr(SpoolJournal, "unreplayed", flaky)
    eventually(lambda: not spool.holds_rows)
    assert writer.is_running
    assert writer.submit([entry()]).result(timeout=30) is True
    writer.stop()
    assert len(logged_ids(database)) == 2
