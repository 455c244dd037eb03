"""The prediction log writer: one per process, group commit, answer only after commit.

Requests hand their rows to :meth:`PredictionLogWriter.submit` and wait on the returned
future. A single thread takes everything that is waiting (up to ``max_batch_rows``),
inserts it as one multi-row statement, commits once, and only then resolves the futures.
While one transaction commits, the next requests queue up and share the next one, so the
cost of a commit (an fsync) is spread over all requests that arrived meanwhile.

If a shared transaction fails, each request of the batch is retried in a transaction of its
own, so one bad row cannot fail the requests that happened to share its commit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from shipyard.db.engine import Database
from shipyard.db.idempotency import claim_key
from shipyard.db.predictions import insert_entries
from shipyard.domain.prediction import IdempotentRequest, PredictionEntry
from shipyard.errors import DatabaseUnavailable, ShipyardError, Unavailable

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    entries: Sequence[PredictionEntry]
    claim: IdempotentRequest | None = None
    done: Future[bool] = field(default_factory=Future)
    key_was_taken: bool = False

    def resolve(self, error: ShipyardError | None) -> None:
        # A waiter that gave up (cancelled) must not take the writer thread down with it.
        if self.done.done():
            return
        if error is None:
            self.done.set_result(not self.key_was_taken)
        else:
            self.done.set_exception(error)


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

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Refuse new rows, commit everything already submitted, then end the thread.

        Whatever could not be committed within ``timeout`` is failed, never left waiting.
        """
        with self._lock:
            self._accepting = False
            # Under the lock: no submit can slip its rows in behind the stop marker.
            self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._fail_leftovers()

    def submit(
        self, entries: Sequence[PredictionEntry], claim: IdempotentRequest | None = None
    ) -> Future[bool]:
        """Queue rows; the future resolves once they are committed (or fails with the reason).

        With a ``claim`` (an idempotency key and its answer), the rows are written only if the
        key is new, in the same transaction; the future then says whether they were (False:
        another request with the same key committed first, and these rows were dropped).
        """
        pending = _Pending(entries, claim)
        with self._lock:
            if not self._accepting:
                raise LogWriterStopped()
            if self._pending_rows + len(entries) > self._max_pending_rows:
                raise LogWriterOverloaded(self._pending_rows)
            self._pending_rows += len(entries)
            self._queue.put(pending)
        return pending.done

    def _queued(self) -> Iterator[_Pending]:
        """What is in the queue right now, without waiting for more."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                yield item

    def _fail_leftovers(self) -> None:
        for pending in self._queued():
            self._finish([pending], LogWriterStopped())

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
        while True:
            first = self._queue.get()
            if first is None:
                break
            batch, saw_stop = self._take_batch(first)
            self._write(batch)
            if saw_stop:
                break
        # Rows submitted before the stop marker are still in the queue: commit them too.
        for pending in self._queued():
            self._write([pending])

    def _write(self, batch: list[_Pending]) -> None:
        error = self._commit(batch)
        if error is None or len(batch) == 1:
            self._finish(batch, error)
            return
        # Isolate: each request of the failed batch gets its own transaction.
        for pending in batch:
            self._finish([pending], self._commit([pending]))

    def _commit(self, batch: list[_Pending]) -> ShipyardError | None:
        entries: list[PredictionEntry] = []
        started = time.perf_counter()
        try:
            with self._database.engine.begin() as connection:
                for pending in batch:
                    pending.key_was_taken = pending.claim is not None and not claim_key(
                        connection, pending.claim
                    )
                    if not pending.key_was_taken:
                        entries.extend(pending.entries)
                insert_entries(connection, entries)
        except SQLAlchemyError as failure:
            logger.error("prediction log commit failed for %d rows: %s", len(entries), failure)
            self.stats.failed_batches += 1
            return DatabaseUnavailable(type(failure).__name__)
        except Exception as failure:  # a thread boundary: every waiting request must hear back
            logger.exception("prediction log writer failed for %d rows", len(entries))
            self.stats.failed_batches += 1
            return DatabaseUnavailable(f"unexpected {type(failure).__name__}")
        self.stats.committed_rows += len(entries)
        self.stats.committed_batches += 1
        self.stats.last_batch_rows = len(entries)
        self.stats.last_commit_seconds = time.perf_counter() - started
        return None

    def _finish(self, batch: list[_Pending], error: ShipyardError | None) -> None:
        with self._lock:
            self._pending_rows -= sum(len(pending.entries) for pending in batch)
        for pending in batch:
            pending.resolve(error)
