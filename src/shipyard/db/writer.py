"""The prediction log writer: one per process, group commit, answer only after commit.

Requests hand their rows to :meth:`PredictionLogWriter.submit` and wait on the returned
future. A single thread takes everything that is waiting (up to ``max_batch_rows``),
inserts it as one multi-row statement, commits once, and only then resolves the futures.
While one transaction commits, the next requests queue up and share the next one, so the
cost of a commit (an fsync) is spread over all requests that arrived meanwhile.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from shipyard.db.engine import Database
from shipyard.db.predictions import insert_entries
from shipyard.domain.prediction import PredictionEntry
from shipyard.errors import DatabaseUnavailable, Unavailable

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    entries: Sequence[PredictionEntry]
    done: Future[None] = field(default_factory=Future)


@dataclass(slots=True)
class WriterStats:
    """Counters a health check or a metric can read without locking."""

    committed_rows: int = 0
    committed_batches: int = 0
    failed_batches: int = 0
    last_batch_rows: int = 0
    last_commit_seconds: float = 0.0


class LogWriterStopped(Unavailable):
    def __init__(self) -> None:
        super().__init__("the server is shutting down; retry on another instance")


class LogWriterOverloaded(Unavailable):
    def __init__(self, pending: int) -> None:
        super().__init__(f"{pending} rows are already waiting for the prediction log; retry later")


class PredictionLogWriter:
    """Group-commit writer of prediction rows."""

    def __init__(self, database: Database, *, max_batch_rows: int, max_pending_rows: int) -> None:
        self._database = database
        self._max_batch_rows = max_batch_rows
        self._max_pending_rows = max_pending_rows
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._pending_rows = 0
        self._lock = threading.Lock()
        self._accepting = False
        self._thread: threading.Thread | None = None
        self.stats = WriterStats()

    @property
    def pending_rows(self) -> int:
        return self._pending_rows

    def start(self) -> None:
        if self._thread is not None:
            return
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Refuse new rows, commit everything already submitted, then end the thread."""
        with self._lock:
            self._accepting = False
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def submit(self, entries: Sequence[PredictionEntry]) -> Future[None]:
        """Queue rows; the future resolves once they are committed (or fails with the reason)."""
        with self._lock:
            if not self._accepting:
                raise LogWriterStopped()
            if self._pending_rows + len(entries) > self._max_pending_rows:
                raise LogWriterOverloaded(self._pending_rows)
            self._pending_rows += len(entries)
        pending = _Pending(entries)
        self._queue.put(pending)
        return pending.done

    def _take_batch(self, first: _Pending) -> tuple[list[_Pending], bool]:
        batch = [first]
        rows = len(first.entries)
        while rows < self._max_batch_rows:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
            rows += len(item.entries)
        return batch, False

    def _run(self) -> None:
        stopping = False
        while True:
            if stopping:
                try:
                    first = self._queue.get_nowait()
                except queue.Empty:
                    return
            else:
                first = self._queue.get()
            if first is None:
                stopping = True
                continue
            batch, saw_stop = self._take_batch(first)
            stopping = stopping or saw_stop
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        entries = [entry for pending in batch for entry in pending.entries]
        started = time.perf_counter()
        error: Exception | None = None
        try:
            with self._database.engine.begin() as connection:
                insert_entries(connection, entries)
        except SQLAlchemyError as failure:
            logger.error("prediction log commit failed for %d rows: %s", len(entries), failure)
            error = DatabaseUnavailable(type(failure).__name__)
        except Exception as failure:  # a thread boundary: every waiting request must hear back
            logger.exception("prediction log writer failed for %d rows", len(entries))
            error = DatabaseUnavailable(f"unexpected {type(failure).__name__}")
        with self._lock:
            self._pending_rows -= len(entries)
        if error is None:
            self.stats.committed_rows += len(entries)
            self.stats.committed_batches += 1
            self.stats.last_batch_rows = len(entries)
            self.stats.last_commit_seconds = time.perf_counter() - started
        else:
            self.stats.failed_batches += 1
        for pending in batch:
            if error is None:
                pending.done.set_result(None)
            else:
                pending.done.set_exception(error)
