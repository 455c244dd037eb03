"""Adaptive micro-batching: concurrent requests for one model version share a predict call.

Most of a small predict call is fixed cost (a thread hop, building columns, the model's own
per-call overhead), so 64 one-record requests scored in one call cost little more than one.
The batcher queues each request's records; whenever a prediction thread is free it takes
what is queued for one version, up to ``max_rows``, and scores it in one call. Nothing waits
while the model is idle, so a lone request is answered at once; under load, requests pile up
while the threads are busy and the batches grow by themselves. ``max_wait`` optionally holds
a small batch back for more company.

A batch that fails is split up: each request is scored on its own, so one request's bad
record fails that request only.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from shipyard.domain.prediction import Score
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import predict_records

Record = Mapping[str, Any]
BatchObserver = Callable[[ServedModel, int, float], None]
"""Told, on the event loop, of each predict call: the version, its rows and its seconds."""


@dataclass(frozen=True)
class Scored:
    """One request's scores and the time the model took for the call that made them."""

    scores: list[Score]
    model_ms: float


@dataclass
class _Waiting:
    served: ServedModel
    records: Sequence[Record]
    answer: asyncio.Future[Scored]


@dataclass
class BatchStats:
    calls: int = 0
    records: int = 0
    largest: int = 0

    def add(self, rows: int) -> None:
        self.calls += 1
        self.records += rows
        self.largest = max(self.largest, rows)


def score_alone(served: ServedModel, records: Sequence[Record]) -> Scored:
    """Score records in one call, in the calling thread."""
    started = time.perf_counter()
    scores = predict_records(served.predictor, records, served.input_schema)
    return Scored(scores, (time.perf_counter() - started) * 1000.0)


class MicroBatcher:
    """Shares predict calls between concurrent requests. Use from one event loop."""

    def __init__(
        self,
        pool: Executor,
        *,
        slots: int,
        max_rows: int,
        max_wait_seconds: float = 0.0,
        enabled: bool = True,
        observer: BatchObserver | None = None,
    ) -> None:
        self._pool = pool
        self._slots = slots
        self._free_slots = slots
        self._observer = observer
        self.max_rows = max_rows
        self.max_wait_seconds = max_wait_seconds
        self.enabled = enabled
        self._queue: deque[_Waiting] = deque()
        self._dispatch_scheduled = False
        self._held_since: float | None = None
        self.stats = BatchStats()

    @property
    def queued_requests(self) -> int:
        """Requests waiting for a prediction thread."""
        return len(self._queue)

    @property
    def busy_threads(self) -> int:
        return self._slots - self._free_slots

    async def score(self, served: ServedModel, records: Sequence[Record]) -> Scored:
        """The scores of ``records`` by ``served``, maybe computed together with others'."""
        loop = asyncio.get_running_loop()
        if not self.enabled or len(records) >= self.max_rows:
            self.stats.add(len(records))
            alone = await loop.run_in_executor(self._pool, score_alone, served, records)
            self._observe(served, len(records), alone.model_ms)
            return alone
        answer: asyncio.Future[Scored] = loop.create_future()
        self._queue.append(_Waiting(served, records, answer))
        self._schedule(loop)
        return await answer

    def _schedule(self, loop: asyncio.AbstractEventLoop, delay: float = 0.0) -> None:
        """Dispatch after the callbacks already due: requests read in the same turn of the
        event loop join the same batch."""
        if self._dispatch_scheduled:
            return
        self._dispatch_scheduled = True
        if delay > 0:
            loop.call_later(delay, self._dispatch, loop)
        else:
            loop.call_soon(self._dispatch, loop)

    def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        self._dispatch_scheduled = False
        while self._free_slots > 0 and self._queue:
            if self._hold(loop):
                return
            batch = self._take()
            if not batch:
                continue
            self._free_slots -= 1
            self.stats.add(sum(len(waiting.records) for waiting in batch))
            try:
                future = loop.run_in_executor(self._pool, _score_batch, batch)
            except RuntimeError as error:  # the pool is shut down: the process is stopping
                self._free_slots += 1
                for waiting in batch:
                    if not waiting.answer.done():
                        waiting.answer.set_exception(error)
                continue
            future.add_done_callback(functools.partial(self._finished, loop, batch))

    def _hold(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether to keep a small batch back for ``max_wait`` (then dispatch anyway)."""
        if self.max_wait_seconds <= 0:
            return False
        queued = sum(len(waiting.records) for waiting in self._queue)
        now = time.monotonic()
        if queued >= self.max_rows:
            self._held_since = None
            return False
        if self._held_since is None:
            self._held_since = now
        remaining = self._held_since + self.max_wait_seconds - now
        if remaining <= 0:
            self._held_since = None
            return False
        self._schedule(loop, remaining)
        return True

    def _take(self) -> list[_Waiting]:
        """Requests from the head of the queue for the same version, up to ``max_rows``."""
        batch: list[_Waiting] = []
        rows = 0
        while self._queue:
            waiting = self._queue[0]
            if waiting.answer.done():  # cancelled while queued: its caller is gone
                self._queue.popleft()
                continue
            if batch and (
                waiting.served is not batch[0].served or rows + len(waiting.records) > self.max_rows
            ):
                break
            batch.append(self._queue.popleft())
            rows += len(waiting.records)
        return batch

    def _finished(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: list[_Waiting],
        done: asyncio.Future[list[Scored | BaseException]],
    ) -> None:
        self._free_slots += 1
        if done.cancelled():
            outcomes: list[Scored | BaseException] = [asyncio.CancelledError()] * len(batch)
        elif (error := done.exception()) is not None:
            outcomes = [error] * len(batch)
        else:
            outcomes = done.result()
            if outcomes and isinstance(first := outcomes[0], Scored):
                rows = sum(len(waiting.records) for waiting in batch)
                self._observe(batch[0].served, rows, first.model_ms)
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if waiting.answer.done():
                continue
            if isinstance(outcome, BaseException):
                waiting.answer.set_exception(outcome)
            else:
                waiting.answer.set_result(outcome)
        if self._queue:
            self._schedule(loop)

    def _observe(self, served: ServedModel, rows: int, model_ms: float) -> None:
        if self._observer is not None:
            self._observer(served, rows, model_ms / 1000.0)


def _score_batch(batch: list[_Waiting]) -> list[Scored | BaseException]:
    """One predict call for the whole batch; on failure, each request on its own."""
    served = batch[0].served
    records = [record for waiting in batch for record in waiting.records]
    try:
        together = score_alone(served, records)
    except Exception as error:  # handed to the request(s) it belongs to
        if len(batch) == 1:
            return [error]
        return [_score_or_error(served, waiting.records) for waiting in batch]
    outcomes: list[Scored | BaseException] = []
    start = 0
    for waiting in batch:
        end = start + len(waiting.records)
        outcomes.append(Scored(together.scores[start:end], together.model_ms))
        start = end
    return outcomes


def _score_or_error(served: ServedModel, records: Sequence[Record]) -> Scored | BaseException:
    try:
        return score_alone(served, records)
    except Exception as error:
        return error
