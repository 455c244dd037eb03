"""Shadow scoring: while a model has a ``@challenger``, it scores the same records as the
served version, off the response path.

A request is answered as if there were no challenger; once its rows are committed, its
records are handed to a queue (never waited on) and a background thread scores them with
the challenger and writes its answers to ``shadow_predictions``, many requests per
transaction. When the queue is full, records are dropped and counted
(``shipyard_shadow_predictions_total{outcome="dropped"}``): the shadow never slows the
answers down.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shipyard.db import Database
from shipyard.db import shadow as shadows
from shipyard.domain.prediction import PredictionEntry
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import predict_records
from shipyard.telemetry.metrics import ServerMetrics

logger = logging.getLogger(__name__)

MAX_BATCH_ROWS = 2_000


@dataclass(frozen=True)
class ShadowJob:
    challenger: ServedModel
    entries: list[PredictionEntry]


class ShadowScorer:
    """The challengers of one process and the thread that scores in their shadow."""

    def __init__(
        self, database: Database, metrics: ServerMetrics, *, max_pending_rows: int = 10_000
    ) -> None:
        self.database = database
        self.metrics = metrics
        self.max_pending_rows = max_pending_rows
        self._challengers: dict[str, ServedModel] = {}
        self._queue: queue.SimpleQueue[ShadowJob | None] = queue.SimpleQueue()
        self._pending = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def challenger(self, name: str) -> ServedModel | None:
        return self._challengers.get(name)

    def set_challenger(self, name: str, challenger: ServedModel | None) -> None:
        with self._lock:
            challengers = dict(self._challengers)
            if challenger is None:
                challengers.pop(name, None)
            else:
                challengers[name] = challenger
            self._challengers = challengers  # one assignment: readers see old or new, whole

    def offer(self, entries: list[PredictionEntry]) -> None:
        """Shadow these committed answers, if their model has a challenger. Never blocks."""
        if not entries:
            return
        challenger = self._challengers.get(entries[0].model_name)
        if challenger is None or challenger.version == entries[0].model_version:
            return
        with self._lock:
            if self._pending + len(entries) > self.max_pending_rows:
                full = True
            else:
                full = False
                self._pending += len(entries)
        if full:
            self.metrics.shadowed(challenger.name, challenger.version, "dropped", len(entries))
            return
        self._queue.put(ShadowJob(challenger, entries))

    @property
    def pending_rows(self) -> int:
        return self._pending

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="shadow-scorer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            jobs = [job]
            rows = len(job.entries)
            while rows < MAX_BATCH_ROWS:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._flush(jobs)
                    return
                jobs.append(more)
                rows += len(more.entries)
            self._flush(jobs)

    def _flush(self, jobs: list[ShadowJob]) -> None:
        written: list[tuple[ShadowJob, list[dict[str, Any]]]] = []
        for job in jobs:
            try:
                written.append((job, self._score(job)))
            except Exception:  # a record the challenger cannot take: the champion could
                logger.exception("shadow scoring by %s failed", job.challenger.version)
                self._done(job, "failed")
        try:
            with self.database.session_scope() as session:
                shadows.insert_shadows(session, [row for _job, rows in written for row in rows])
        except Exception:  # the database is down: shadows are best effort
            logger.warning("shadow predictions could not be written; dropped", exc_info=True)
            for job, _rows in written:
                self._done(job, "failed")
            return
        for job, _rows in written:
            self._done(job, "written")

    def _score(self, job: ShadowJob) -> list[dict[str, Any]]:
        challenger = job.challenger
        scores = predict_records(
            challenger.predictor, [entry.inputs for entry in job.entries], challenger.input_schema
        )
        now = datetime.now(UTC)
        return [
            {
                "prediction_id": entry.id,
                "model_version": challenger.version,
                "model_name": challenger.name,
                "label": score.label,
                "probabilities": score.probabilities,
                "created_at": now,
            }
            for entry, score in zip(job.entries, scores, strict=True)
        ]

    def _done(self, job: ShadowJob, outcome: str) -> None:
        with self._lock:
            self._pending -= len(job.entries)
        challenger = job.challenger
        self.metrics.shadowed(challenger.name, challenger.version, outcome, len(job.entries))
