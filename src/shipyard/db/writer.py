"""The prediction log writer: one per process, group commit, answer only after commit.

Requests hand their rows to :meth:`PredictionLogWriter.submit` and wait on the returned
future. A single thread takes everything that is waiting (up to ``max_batch_rows``),
inserts it as one multi-row statement, commits once, and only then resolves the futures.
While one transaction commits, the next requests queue up and share the next one, so the
cost of a commit (an fsync) is spread over all requests that arrived meanwhile.

If a shared transaction fails, each request of the batch is retried in a transaction of its
own, so one bad row cannot fail the requests that happened to share its commit.

With a :class:`~shipyard.db.spool.Spool` (the ``spool`` policy), a batch the database cannot
take is journaled instead, and the writer replays the journal when the database is back.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from shipyard.db.engine import Database, is_connection_failure
from shipyard.db.idempotency import claim_key
from shipyard.db.journal import SpooledRequest
from shipyard.db.predictions import insert_entries
from shipyard.db.spool import Spool, SpoolFull
from shipyard.domain.prediction import IdempotentRequest, PredictionEntry
from shipyard.errors import DatabaseUnavailable, ShipyardError, Unavailable

logger = logging.getLogger(__name__)

CommitObserver = Callable[[Sequence[PredictionEntry], float], None]
"""Told, in the writer's thread, of the rows each commit (or spool replay) wrote and the
seconds it took."""

_IDLE = object()  # the queue stayed empty: time for the spool's housekeeping


@dataclass(slots=True)
class _Pending:
    entries: Sequence[PredictionEntry]
    claim: IdempotentRequest | None = None
    done: Future[bool] | None = None
    waiter: asyncio.Future[bool] | None = None  # or this, settled on its own event loop
    key_was_taken: bool = False
    finished: bool = False  # settled by the writer (its waiter may still be on its way)


def _settle(
    future: Future[bool] | asyncio.Future[bool], result: bool, error: ShipyardError | None
) -> None:
    # A waiter that gave up (cancelled) must not take the writer thread down with it.
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _settle_all(outcomes: list[tuple[asyncio.Future[bool], bool, ShipyardError | None]]) -> None:
    for waiter, result, error in outcomes:
        _settle(waiter, result, error)


@dataclass(slots=True)
class WriterStats:
    """Counters a health check or a metric can read without locking."""

    committed_rows: int = 0
    committed_batches: int = 0
    failed_batches: int = 0
    spooled_batches: int = 0
    last_batch_rows: int = 0
    last_commit_seconds: float = 0.0


class LogWriterStopped(Unavailable):
    def __init__(self) -> None:
        super().__init__("the server is shutting down; retry on another instance")


class LogWriterOverloaded(Unavailable):
    def __init__(self, pending: int) -> None:
        super().__init__(f"{pending} rows are already waiting for the prediction log; retry later")


@dataclass(frozen=True, slots=True)
class _Failure:
    error: ShipyardError
    database_down: bool
    connection_lost: bool = False  # the connection itself broke (stale after a restart)


class PredictionLogWriter:
    """Group-commit writer of prediction rows."""

    def __init__(
        self,
        database: Database,
        *,
        max_batch_rows: int,
        max_pending_rows: int,
        spool: Spool | None = None,
        on_commit: CommitObserver | None = None,
    ) -> None:
        self._database = database
        self.spool = spool
        self._on_commit = on_commit
        self._max_batch_rows = max_batch_rows
        self._max_pending_rows = max_pending_rows
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._pending_rows = 0
        self._lock = threading.Lock()
        self._accepting = False
        self._thread: threading.Thread | None = None
        self._held: Connection | None = None
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
        done: Future[bool] = Future()
        self._enqueue(_Pending(entries, claim, done=done))
        return done

    def submit_from_loop(
        self, entries: Sequence[PredictionEntry], claim: IdempotentRequest | None = None
    ) -> asyncio.Future[bool]:
        """:meth:`submit` for a coroutine: a future of the running event loop. The writer
        settles all such futures of a commit with one wake-up of their loop, not one each."""
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._enqueue(_Pending(entries, claim, waiter=waiter))
        return waiter

    def _enqueue(self, pending: _Pending) -> None:
        entries = pending.entries
        with self._lock:
            if not self._accepting or not self.is_running:
                raise LogWriterStopped()
            if self._pending_rows + len(entries) > self._max_pending_rows:
                raise LogWriterOverloaded(self._pending_rows)
            self._pending_rows += len(entries)
            self._queue.put(pending)

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

    def spooled_answer(self, caller_id: str, key: str) -> IdempotentRequest | None:
        """The answer of a keyed request still waiting in the spool, if any."""
        return self.spool.answer_for(caller_id, key) if self.spool is not None else None

    def _next(self) -> object:
        """The next queued item, or ``_IDLE`` when the spool has work due before one comes."""
        wait = self.spool.seconds_until_due() if self.spool is not None else None
        try:
            return self._queue.get(timeout=wait) if wait is not None else self._queue.get()
        except queue.Empty:
            return _IDLE

    def _run(self) -> None:
        self._look_after_spool()
        while True:
            first = self._next()
            if first is None:
                break
            if first is not _IDLE:
                assert isinstance(first, _Pending)
                batch, saw_stop = self._take_batch(first)
                self._write_guarded(batch)
                if saw_stop:
                    break
            self._look_after_spool()
        # Rows submitted before the stop marker are still in the queue: commit them too.
        for pending in self._queued():
            self._write([pending])
        self._close_spool()
        self._release_connection()

    def _connection(self) -> Connection:
        """The writer's own connection, kept between batches: no pool checkout and no
        pre-ping per commit. Dropped after any failure, so the next batch reconnects."""
        if self._held is None:
            self._held = self._database.engine.connect()
        return self._held

    def _release_connection(self) -> None:
        if self._held is not None:
            try:
                self._held.close()
            except SQLAlchemyError:
                logger.debug("closing the writer's failed connection", exc_info=True)
            self._held = None

    def _write_guarded(self, batch: list[_Pending]) -> None:
        """The thread must outlive any failure: its requests hear back, the loop goes on."""
        try:
            self._write(batch)
        except Exception:
            logger.exception("prediction log writer failed on a batch")
            self._finish(
                [pending for pending in batch if not pending.finished],
                DatabaseUnavailable("unexpected failure of the log writer"),
            )

    def _look_after_spool(self) -> None:
        if self.spool is None:
            return
        try:
            self.spool.adopt_orphans()
            if self.spool.due():
                self.spool.replay_chunk(self._database, on_written=self._observe)
        except Exception:
            logger.exception("spool housekeeping failed; retrying later")

    def _close_spool(self) -> None:
        if self.spool is None:
            return
        while self.spool.holds_rows and self.spool.replay_chunk(
            self._database, on_written=self._observe
        ):
            pass  # the database is up: leave nothing behind
        self.spool.close()

    def _spooling(self) -> bool:
        """Journal rather than commit: the database is down and rows already wait for it."""
        return self.spool is not None and self.spool.holds_rows and not self.spool.database_up

    def _write(self, batch: list[_Pending]) -> None:
        if self._spooling():
            self._spool(batch)  # behind the rows already waiting for the database
            return
        failure = self._commit(batch)
        if failure is not None and failure.database_down and self.spool is not None:
            self.spool.database_failed()
            self._spool(batch)
            return
        if failure is None or len(batch) == 1:
            self._finish(batch, failure.error if failure else None)
            return
        # Isolate: each request of the failed batch gets its own transaction.
        for pending in batch:
            if self._spooling():
                self._spool([pending])
                continue
            alone = self._commit([pending])
            if alone is not None and alone.database_down and self.spool is not None:
                self.spool.database_failed()
                self._spool([pending])
            else:
                self._finish([pending], alone.error if alone else None)

    def _spool(self, batch: list[_Pending]) -> None:
        assert self.spool is not None
        requests = []
        keys_in_batch: set[tuple[str, str]] = set()
        for pending in batch:
            claim = pending.claim
            # A request with the same key is already spooled (earlier, or earlier in this
            # batch): this one answers as that one did, and its rows are dropped.
            pending.key_was_taken = False
            if claim is not None:
                key = (claim.caller_id, claim.key)
                pending.key_was_taken = key in keys_in_batch or self.spool.holds_key(claim)
                keys_in_batch.add(key)
            if not pending.key_was_taken:
                requests.append(SpooledRequest(pending.entries, claim))
        try:
            self.spool.append(requests)
        except SpoolFull as full:
            self._finish(batch, full)
            return
        except OSError as failure:
            logger.error("spool journal write failed: %s", failure)
            self._finish(batch, DatabaseUnavailable(f"and the spool journal failed: {failure}"))
            return
        self.stats.spooled_batches += 1
        self._finish(batch, None)

    def _commit(self, batch: list[_Pending]) -> _Failure | None:
        reused = self._held is not None
        failure = self._commit_once(batch)
        if failure is not None and failure.connection_lost and reused:
            # The kept connection went stale (the database restarted since the last batch):
            # one more try on a new one. The first try may have committed before the link
            # broke, so this one skips rows (and keys) that are already there.
            failure = self._commit_once(batch, retry=True)
        return failure

    def _key_taken(self, connection: Connection, claim: IdempotentRequest | None) -> bool:
        if claim is None:
            return False
        if self.spool is not None and self.spool.holds_key(claim):
            return True  # its first answer still waits in the spool
        return not claim_key(connection, claim)

    def _commit_once(self, batch: list[_Pending], *, retry: bool = False) -> _Failure | None:
        entries: list[PredictionEntry] = []
        started = time.perf_counter()
        try:
            connection = self._connection()
            with connection.begin():
                for pending in batch:
                    pending.key_was_taken = self._key_taken(connection, pending.claim)
                    if not pending.key_was_taken:
                        entries.extend(pending.entries)
                insert_entries(connection, entries, skip_existing=retry)
        except SQLAlchemyError as failure:
            logger.error("prediction log commit failed for %d rows: %s", len(entries), failure)
            self._release_connection()
            self.stats.failed_batches += 1
            return _Failure(
                DatabaseUnavailable(type(failure).__name__),
                database_down=is_connection_failure(failure),
                connection_lost=isinstance(failure, DBAPIError) and failure.connection_invalidated,
            )
        except Exception as failure:  # a thread boundary: every waiting request must hear back
            logger.exception("prediction log writer failed for %d rows", len(entries))
            self._release_connection()
            self.stats.failed_batches += 1
            return _Failure(DatabaseUnavailable(f"unexpected {type(failure).__name__}"), False)
        seconds = time.perf_counter() - started
        self.stats.committed_rows += len(entries)
        self.stats.committed_batches += 1
        self.stats.last_batch_rows = len(entries)
        self.stats.last_commit_seconds = seconds
        self._observe(entries, seconds)
        return None

    def _observe(self, entries: Sequence[PredictionEntry], seconds: float) -> None:
        if self._on_commit is None:
            return
        try:
            self._on_commit(entries, seconds)
        except Exception:  # an observer must never cost a row or a waiting request
            logger.exception("the commit observer failed")

    def _finish(self, batch: list[_Pending], error: ShipyardError | None) -> None:
        with self._lock:
            self._pending_rows -= sum(len(pending.entries) for pending in batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
        for pending in batch:
            pending.finished = True
            result = not pending.key_was_taken
            if pending.done is not None:
                _settle(pending.done, result, error)
            if pending.waiter is not None:
                loop = pending.waiter.get_loop()
                by_loop.setdefault(loop, []).append((pending.waiter, result, error))
        for loop, outcomes in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_all, outcomes)
            except RuntimeError:  # that loop is closed: nobody waits there any more
                continue
