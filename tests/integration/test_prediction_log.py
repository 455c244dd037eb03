"""The prediction log on a real SQLite file: migrations, queries, group commit."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert as insert_statement
from sqlalchemy import text

from shipyard.db import Database, open_database, upgrade_database
from shipyard.db import predictions as log
from shipyard.db.migrate import current_revision, downgrade_database, head_revision
from shipyard.db.tables import PredictionRow
from shipyard.db.writer import PredictionLogWriter
from shipyard.domain.prediction import Feedback, PredictionEntry, PredictionFilter
from shipyard.errors import (
    DatabaseUnavailable,
    FeedbackConflict,
    InvalidCursor,
    PredictionNotFound,
    Unavailable,
)
from tests.conftest import log_entries as insert
from tests.conftest import logged_ids, write_lock
from tests.conftest import prediction_entry as entry

pytestmark = pytest.mark.integration


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    upgrade_database(database)
    yield database
    database.dispose()


def test_migrations_reach_head_and_go_back(database: Database) -> None:
    assert current_revision(database) == head_revision()
    downgrade_database(database, "base")
    assert current_revision(database) is None
    upgrade_database(database)
    upgrade_database(database)  # running it again changes nothing
    assert current_revision(database) == head_revision()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'log.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5_000
    database.dispose()


def test_a_row_reads_back_whole_with_utc_time(database: Database) -> None:
    written = entry()
    insert(database, written)
    with database.session_scope() as session:
        logged = log.get_prediction(session, written.id)
    assert logged.entry == written
    assert logged.entry.created_at.tzinfo is UTC
    assert logged.feedback is None


def test_the_log_stores_each_value_as_sqlalchemy_itself_would(database: Database) -> None:
    """The writer binds values itself (multi-row INSERTs): they must be stored exactly as an
    ORM insert stores them, or reads, filters and joins would miss rows."""
    created_at = datetime.now(UTC)
    by_writer = replace(entry(at=created_at), inputs={"Age": 41, "Note": 'é \u2028 "x"', "N": None})
    by_orm = replace(by_writer, id=uuid.uuid4())
    insert(database, by_writer)
    with database.session_scope() as session:
        session.execute(insert_statement(PredictionRow), [log.entry_values(by_orm)])
    with database.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT * FROM predictions ORDER BY id = :orm_id"),
            {"orm_id": by_orm.id.hex if database.is_sqlite else by_orm.id},
        ).all()
    writer_row, orm_row = (row._asdict() for row in stored)
    assert writer_row.pop("id") != orm_row.pop("id")
    assert writer_row == orm_row
    with database.session_scope() as session:
        assert log.get_prediction(session, by_writer.id).entry == by_writer


def test_more_rows_than_one_statement_takes_are_all_logged(database: Database) -> None:
    entries = [entry() for _ in range(2_345)]
    insert(database, *entries)
    with database.session_scope() as session:
        assert log.count_predictions(session) == 2_345
        assert log.get_prediction(session, entries[-1].id).entry == entries[-1]


def test_any_batch_is_written_with_statements_of_a_few_fixed_sizes() -> None:
    """The statement texts a server prepares stay few, whatever sizes its batches take."""
    sizes_used: set[int] = set()
    for rows in range(1, 2_501):
        sizes = list(log._statement_sizes(rows, largest=3_276))
        assert sum(sizes) == rows
        assert sizes == sorted(sizes, reverse=True)
        assert len(sizes) <= 11 + rows // 1_000
        sizes_used.update(sizes)
    assert len(sizes_used) == 11
    assert list(log._statement_sizes(1_000, largest=99)) == [64] * 15 + [32, 8]


def test_unknown_id_is_not_found(database: Database) -> None:
    with database.session_scope() as session, pytest.raises(PredictionNotFound):
        log.get_prediction(session, uuid.uuid4())


def test_pages_are_newest_first_and_cover_every_row_once(database: Database) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    entries = [entry(at=start + timedelta(seconds=i // 2)) for i in range(25)]
    insert(database, *entries)
    expected = sorted(entries, key=lambda e: (e.created_at, e.id), reverse=True)
    assert logged_ids(database, page_size=10) == [e.id for e in expected]


def test_filters(database: Database) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    insert(
        database,
        entry(model="a", version="1", label="Yes", at=start),
        entry(model="a", version="2", label="No", at=start + timedelta(hours=1)),
        entry(model="b", version="1", label="No", at=start + timedelta(hours=2)),
    )

    def count(where: PredictionFilter) -> int:
        with database.session_scope() as session:
            return len(log.page_predictions(session, where, limit=100)[0])

    assert count(PredictionFilter(model_name="a")) == 2
    assert count(PredictionFilter(model_name="a", model_version="2")) == 1
    assert count(PredictionFilter(label="No")) == 2
    assert count(PredictionFilter(created_after=start + timedelta(minutes=30))) == 2
    assert count(PredictionFilter(created_before=start + timedelta(minutes=30))) == 1


def test_a_forged_cursor_is_refused(database: Database) -> None:
    with database.session_scope() as session, pytest.raises(InvalidCursor):
        log.page_predictions(session, PredictionFilter(), limit=10, cursor="not-a-cursor")


def test_feedback_is_stored_once(database: Database) -> None:
    written = entry()
    insert(database, written)
    feedback = Feedback(written.id, "Yes", datetime.now(UTC), "")
    with database.session_scope() as session:
        log.record_feedback(session, feedback)
    with database.session_scope() as session:
        assert log.record_feedback(session, feedback).label == "Yes"  # same label: no-op
    with database.session_scope() as session, pytest.raises(FeedbackConflict):
        log.record_feedback(session, Feedback(written.id, "No", datetime.now(UTC), ""))
    with database.session_scope() as session:
        logged = log.get_prediction(session, written.id)
    assert logged.feedback is not None
    assert logged.feedback.label == "Yes"


def test_writer_groups_concurrent_requests_into_shared_commits(database: Database) -> None:
    writer = PredictionLogWriter(database, max_batch_rows=1_000, max_pending_rows=10_000)
    writer.start()
    submitted: list[PredictionEntry] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def client() -> None:
        start.wait()
        for _ in range(25):
            rows = [entry()]
            with lock:
                submitted.extend(rows)
            writer.submit(rows).result(timeout=30)

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.stop()
    with database.session_scope() as session:
        assert log.count_predictions(session) == 400
    assert writer.stats.committed_rows == 400
    # 400 requests, fewer transactions: requests that arrived together shared a commit.
    assert writer.stats.committed_batches < 400
    assert writer.pending_rows == 0


def test_stop_commits_what_was_submitted_then_refuses(database: Database) -> None:
    writer = PredictionLogWriter(database, max_batch_rows=10, max_pending_rows=10_000)
    writer.start()
    futures = [writer.submit([entry()]) for _ in range(50)]
    writer.stop()
    assert all(f.done() and f.exception() is None for f in futures)
    with database.session_scope() as session:
        assert log.count_predictions(session) == 50
    with pytest.raises(Unavailable, match="shutting down"):
        writer.submit([entry()])


def test_a_failed_commit_fails_every_waiting_request(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DROP TABLE feedback"))
        connection.execute(text("DROP TABLE predictions"))
    writer = PredictionLogWriter(database, max_batch_rows=10, max_pending_rows=100)
    writer.start()
    future = writer.submit([entry()])
    with pytest.raises(DatabaseUnavailable):
        future.result(timeout=30)
    writer.stop()


def test_backlog_over_the_limit_is_refused_not_queued(database: Database) -> None:
    writer = PredictionLogWriter(database, max_batch_rows=10, max_pending_rows=3)
    writer.start()
    with pytest.raises(Unavailable, match="already waiting"):
        writer.submit([entry() for _ in range(4)])
    writer.stop()


def test_a_cancelled_waiter_does_not_stop_the_writer(database: Database) -> None:
    writer = PredictionLogWriter(database, max_batch_rows=10, max_pending_rows=100)
    writer.start()
    with write_lock(database):
        abandoned = writer.submit([entry()])
        abandoned.cancel()  # the request that waited for it went away
    writer.submit([entry()]).result(timeout=30)
    assert writer.is_running
    writer.stop()


def test_one_bad_request_does_not_fail_the_requests_sharing_its_commit(
    database: Database,
) -> None:
    existing = entry()
    insert(database, existing)
    writer = PredictionLogWriter(database, max_batch_rows=1_000, max_pending_rows=1_000)
    writer.start()
    with write_lock(database):
        first = writer.submit([entry()])  # taken alone; the writer then waits on the lock
        time.sleep(0.2)
        good = [writer.submit([entry()]) for _ in range(10)]
        duplicate = writer.submit([existing])  # same primary key: this insert must fail
        more = [writer.submit([entry()]) for _ in range(10)]
    first.result(timeout=30)
    for future in good + more:
        future.result(timeout=30)
    with pytest.raises(DatabaseUnavailable):
        duplicate.result(timeout=30)
    writer.stop()
    assert writer.stats.failed_batches >= 1  # the shared batch failed, then was split
    with database.session_scope() as session:
        assert log.count_predictions(session) == 22


def test_stop_fails_what_it_cannot_commit_in_time_instead_of_leaving_it_waiting(
    database: Database,
) -> None:
    writer = PredictionLogWriter(database, max_batch_rows=1, max_pending_rows=100)
    writer.start()
    with write_lock(database):
        in_flight = writer.submit([entry()])
        time.sleep(0.2)
        queued = writer.submit([entry()])
        writer.stop(timeout=0.3)
        with pytest.raises(Unavailable, match="shutting down"):
            queued.result(timeout=5)
    in_flight.result(timeout=30)  # the batch being committed still completes
