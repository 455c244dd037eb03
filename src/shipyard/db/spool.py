"""The ``spool`` policy: rows the database could not take wait in a journal, then replay.

While the spool holds rows, every new batch goes to the journal behind them, so the database
receives rows in the order they were acknowledged. Replay inserts each chunk in one
transaction with ``ON CONFLICT DO NOTHING`` on prediction ids and idempotency keys: a chunk
replayed twice (the process died between the commit and the truncation of the journal) adds
nothing the second time, so every spooled row lands exactly once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from shipyard.db.engine import Database, is_connection_failure
from shipyard.db.idempotency import claim_key
from shipyard.db.journal import SpooledRequest, SpoolJournal
from shipyard.db.predictions import insert_entries
from shipyard.domain.prediction import IdempotentRequest, PredictionEntry
from shipyard.errors import Unavailable

logger = logging.getLogger(__name__)

_ADOPT_EVERY_SECONDS = 5.0


class SpoolFull(Unavailable):
    def __init__(self, size_bytes: int) -> None:
        super().__init__(
            f"the database is down and the spool journal is full ({size_bytes} bytes); "
            "retry when the database is back"
        )


@dataclass(frozen=True, slots=True)
class SpoolStatus:
    backlog_rows: int
    size_bytes: int
    full: bool
    spooled_rows: int
    replayed_rows: int


class Spool:
    """The journal, what it holds, and its replay. Used by the log writer's thread only,
    except the read-only :meth:`answer_for` and :meth:`status`."""

    def __init__(
        self, journal: SpoolJournal, *, max_bytes: int, retry_seconds: float, replay_rows: int
    ) -> None:
        self._journal = journal
        self._max_bytes = max_bytes
        self._retry_seconds = retry_seconds
        self._replay_rows = replay_rows
        self._claims: dict[tuple[str, str], IdempotentRequest] = {}
        self._backlog_rows = 0
        self._spooled_rows = 0
        self._replayed_rows = 0
        self._next_retry = 0.0
        self._next_adoption = 0.0
        self.database_up = True
        """False from a failed commit or replay until a replay succeeds: while it is False,
        new rows are journaled behind the backlog; once True they go straight in again while
        the replay drains the journal (so the backlog only shrinks, whatever the load)."""

    @property
    def holds_rows(self) -> bool:
        return self._backlog_rows > 0

    def database_failed(self) -> None:
        """A commit found the database down: journal from now on, retry in a while."""
        if self.database_up:
            self._next_retry = time.monotonic() + self._retry_seconds
        self.database_up = False

    def status(self) -> SpoolStatus:
        return SpoolStatus(
            backlog_rows=self._backlog_rows,
            size_bytes=self._journal.size_bytes,
            full=self._journal.size_bytes >= self._max_bytes,
            spooled_rows=self._spooled_rows,
            replayed_rows=self._replayed_rows,
        )

    def answer_for(self, caller_id: str, key: str) -> IdempotentRequest | None:
        """The spooled answer of a keyed request not yet replayed into the database."""
        return self._claims.get((caller_id, key))

    def holds_key(self, claim: IdempotentRequest) -> bool:
        return (claim.caller_id, claim.key) in self._claims

    def append(self, requests: Sequence[SpooledRequest]) -> None:
        """Journal the requests (fsync'd on return). Raises :class:`SpoolFull` or OSError."""
        if self._journal.size_bytes >= self._max_bytes:
            raise SpoolFull(self._journal.size_bytes)
        self._journal.append(requests)
        self._remember(requests)
        self._spooled_rows += sum(len(request.entries) for request in requests)

    def _remember(self, requests: Sequence[SpooledRequest]) -> None:
        for request in requests:
            self._backlog_rows += len(request.entries)
            if request.claim is not None:
                # The first answer for a key stays the answer (a later one is a duplicate).
                self._claims.setdefault((request.claim.caller_id, request.claim.key), request.claim)

    def adopt_orphans(self, *, now: float | None = None) -> None:
        """Take over journals left by processes that died (at most every few seconds)."""
        now = time.monotonic() if now is None else now
        if now < self._next_adoption:
            return
        self._next_adoption = now + _ADOPT_EVERY_SECONDS
        try:
            adopted = self._journal.adopt_orphans()
        except OSError as error:
            logger.error("spool journal: could not adopt a journal left behind: %s", error)
            return
        self._remember(adopted)

    def due(self) -> bool:
        """Whether the writer should replay now: at once while the database takes rows,
        else once ``retry_seconds`` have passed since it last failed."""
        if not self.holds_rows:
            return False
        return self.database_up or time.monotonic() >= self._next_retry

    def seconds_until_due(self) -> float:
        """How long the writer may wait for requests before the spool needs it."""
        if self.due():
            return 0.0
        soonest = self._next_adoption
        if self.holds_rows:
            soonest = min(soonest, self._next_retry)
        return max(0.0, soonest - time.monotonic())

    def replay_chunk(
        self,
        database: Database,
        on_written: Callable[[Sequence[PredictionEntry], float], None] | None = None,
    ) -> bool:
        """Insert the oldest spooled rows; False (and a pause) when the database is still down.

        ``on_written`` is told of the rows inserted and the seconds it took.
        """
        started = time.perf_counter()
        try:
            records, offset = self._journal.unreplayed(self._replay_rows)
            if not records:  # nothing intact is left: whatever remains is a torn tail
                self._journal.mark_replayed(self._journal.end)
                self._backlog_rows = 0
                return True
        except OSError as failure:
            return self._pause(f"the spool journal cannot be read: {failure}")
        entries = [entry for record in records for entry in record.entries]
        try:
            with database.engine.begin() as connection:
                for record in records:
                    if record.claim is not None:
                        claim_key(connection, record.claim)
                insert_entries(connection, entries, skip_existing=True)
        except SQLAlchemyError as failure:
            self.database_up = False
            if is_connection_failure(failure):
                return self._pause(None)
            return self._pause(f"spool replay failed, will retry: {failure}")
        self.database_up = True
        try:
            self._journal.mark_replayed(offset)
        except OSError as failure:  # the rows are in: a second replay of them adds nothing
            logger.error("spool journal could not be truncated: %s", failure)
        if on_written is not None:
            on_written(entries, time.perf_counter() - started)
        rows = len(entries)
        self._backlog_rows -= rows
        self._replayed_rows += rows
        for record in records:
            if record.claim is not None:
                self._claims.pop((record.claim.caller_id, record.claim.key), None)
        if not self.holds_rows:
            logger.warning("spool journal replayed: the prediction log is up to date")
        return True

    def _pause(self, problem: str | None) -> bool:
        if problem:
            logger.error("%s", problem)
        self._next_retry = time.monotonic() + self._retry_seconds
        return False

    def close(self) -> None:
        try:
            self._journal.close()
        except OSError as failure:
            logger.error("spool journal could not be closed: %s", failure)


__all__ = ["Spool", "SpoolFull", "SpoolStatus"]
