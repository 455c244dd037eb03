"""What one server process holds: settings, database, log writer, registry, served models."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from shipyard import __version__
from shipyard.config import Settings
from shipyard.db import Database, open_database, schema_problem, upgrade_database
from shipyard.db.journal import SpoolJournal
from shipyard.db.spool import Spool
from shipyard.db.writer import PredictionLogWriter
from shipyard.domain.alerts import Finding
from shipyard.domain.traffic import RequestTally
from shipyard.errors import ShipyardError
from shipyard.registry import ModelRegistry
from shipyard.schemas.monitoring import MonitoringReport
from shipyard.services.keys import KeyVerifier
from shipyard.services.levels import server_levels
from shipyard.services.loading import load_served_model
from shipyard.services.rate_limits import RateLimiter
from shipyard.services.shadowing import ShadowScorer
from shipyard.services.traffic import flush_request_counts
from shipyard.services.users import Tokens
from shipyard.serving.batcher import MicroBatcher
from shipyard.serving.models import ServedModel, ServedModels
from shipyard.serving.threads import prediction_executor
from shipyard.telemetry.metrics import ServerMetrics

YOUNG_COLLECTION_ALLOCATIONS = 50_000
"""Allocations (net of frees) between two collections of the youngest generation."""

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    database: Database
    writer: PredictionLogWriter
    registry: ModelRegistry
    models: ServedModels
    predict_pool: ThreadPoolExecutor
    batcher: MicroBatcher
    keys: KeyVerifier
    tokens: Tokens
    rate_limiter: RateLimiter
    failed_logins: RateLimiter
    metrics: ServerMetrics
    shadows: ShadowScorer
    requests: RequestTally = field(default_factory=RequestTally)
    """Scoring requests counted per minute, stored in SQL every few seconds (traffic)."""
    load_errors: dict[str, str] = field(default_factory=dict)
    latest_reports: dict[str, MonitoringReport] = field(default_factory=dict)
    """The newest monitoring run of each served model (for ``/metrics``)."""
    _reports_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    report_listeners: list[Callable[[MonitoringReport], object]] = field(default_factory=list)
    """Told of each monitoring run this process makes (the alert rules, the retrain
    policy), in order; one's failure leaves the next alone."""
    on_findings: Callable[[list[Finding], datetime], object] | None = None
    """Told of other findings worth an alert (a version refused, then one served)."""
    schema_problem: str | None = None
    draining: bool = False
    durability_problems: list[str] = field(default_factory=list)
    version: str = __version__
    _gc_threshold: tuple[int, int, int] | None = field(default=None, init=False, repr=False)

    def load_models(self) -> None:
        """Load every configured model's serving alias; remember why one failed."""
        for name in self.models.names:
            try:
                served = load_served_model(self.registry, name, self.settings.serving)
            except ShipyardError as error:
                logger.error("model %s not loaded: %s", name, error.detail)
                self.load_errors[name] = error.detail
                self.metrics.model_failed(name, self.settings.serving.alias)
                continue
            replaced = self.models.loaded().get(name)
            self.models.put(served)
            self.load_errors.pop(name, None)
            self.metrics.model_loaded(
                name, served.version, replaced=replaced.version if replaced else None
            )

    def start(self, *, migrate: bool = False) -> None:
        """Start the log writer and load the models. Migrations are the deployer's step
        (``shipyard db upgrade``, run by ``serve`` and ``demo``), never one per worker."""
        if migrate:
            upgrade_database(self.database)
        self.schema_problem = schema_problem(self.database)
        if self.schema_problem:
            logger.error("%s", self.schema_problem)
        if not self.settings.auth.enabled:
            logger.warning(
                "authentication is DISABLED (SHIPYARD_AUTH__ENABLED=false): anyone who can reach "
                "this server may predict and read every logged prediction"
            )
        self.durability_problems = self.database.durability_problems()
        for problem in self.durability_problems:
            logger.error("acknowledged predictions can be lost in a crash: %s", problem)
        self.writer.start()
        self.shadows.start()
        self.load_models()
        # What start-up built (libraries, models: ~400k objects) lives as long as the
        # process: out of the collector's reach, a full collection no longer walks it on
        # the request path (it took ~190 ms, straight into the latency tail).
        gc.freeze()
        # A request allocates hundreds of objects, nearly all freed by reference counting:
        # a young-generation collection every 700 allocations (the default) ran every few
        # requests for almost nothing to find. Every 50,000: 9 % more requests per second
        # at 64 clients, and no more memory under load, refused bodies or hang-ups
        # (bench/README.md).
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, *self._gc_threshold[1:])

    def report_done(self, report: MonitoringReport) -> None:
        """A monitoring run of this process: its numbers go to ``/metrics`` at once, then to
        each listener (blocking: call from a thread)."""
        self.keep_latest([report])
        for listener in self.report_listeners:
            try:
                listener(report)
            except Exception:  # the run is stored whatever a listener makes of it
                logger.exception("acting on the monitoring run of %s failed", report.model)

    def keep_latest(self, reports: list[MonitoringReport]) -> None:
        """Keep the newest run of each model among these and the ones already kept."""
        with self._reports_lock:
            latest = dict(self.latest_reports)
            for report in reports:
                kept = latest.get(report.model)
                if kept is None or kept.created_at <= report.created_at:
                    latest[report.model] = report
            self.latest_reports = latest  # one assignment: readers see old or new, whole

    def begin_drain(self) -> None:
        """Stop saying ready: the process is about to stop; requests are still served."""
        self.draining = True

    def refresh_schema_problem(self) -> str | None:
        """Check the schema again while it is known to be behind (someone may have migrated)."""
        if self.schema_problem:
            self.schema_problem = schema_problem(self.database)
        return self.schema_problem

    def stop(self) -> None:
        self.shadows.stop()
        try:
            flush_request_counts(self.database, self.requests)
        except Exception:  # the database is down: the last seconds' counts are lost, not rows
            logger.warning("the last request counts could not be stored")
        self.writer.stop()
        self.predict_pool.shutdown(wait=True)
        self.database.dispose()
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)


def registry_for(settings: Settings) -> ModelRegistry:
    return ModelRegistry(settings.resolved_tracking_uri(), settings.artifact_root())


def spool_for(settings: Settings) -> Spool | None:
    """The spool journal of this process, under the ``spool`` policy."""
    options = settings.log_writer
    if options.on_database_down != "spool":
        return None
    return Spool(
        SpoolJournal(settings.spool_dir()),
        max_bytes=options.max_spool_bytes,
        retry_seconds=options.retry_seconds,
        replay_rows=options.max_batch_rows,
    )


def build_runtime(settings: Settings) -> Runtime:
    """Build (but do not start) the process's resources from settings."""
    database = open_database(
        settings.resolved_database_url(), timeout_seconds=settings.database_timeout_seconds
    )
    metrics = ServerMetrics()
    writer = PredictionLogWriter(
        database,
        max_batch_rows=settings.log_writer.max_batch_rows,
        max_pending_rows=settings.log_writer.max_pending_rows,
        spool=spool_for(settings),
        on_commit=metrics.rows_committed,
    )

    def batch_scored(served: ServedModel, rows: int, seconds: float) -> None:
        metrics.batch_scored(served.name, served.version, rows, seconds)

    serving = settings.serving
    predict_pool = prediction_executor(serving.predict_threads, serving.native_threads)
    runtime = Runtime(
        settings=settings,
        database=database,
        writer=writer,
        registry=registry_for(settings),
        models=ServedModels(list(serving.models), serving.served_default()),
        predict_pool=predict_pool,
        batcher=MicroBatcher(
            predict_pool,
            slots=serving.predict_threads,
            max_rows=serving.batch_max_rows,
            max_wait_seconds=serving.batch_max_wait_ms / 1000.0,
            enabled=serving.batching,
            observer=batch_scored,
        ),
        keys=KeyVerifier(database, settings.auth.key_cache_seconds),
        tokens=Tokens(database, settings),
        rate_limiter=RateLimiter(settings.rate_limit.per_key, settings.rate_limit),
        # Password guessing must stay counted: logins are refused while the store is down.
        failed_logins=RateLimiter(
            settings.auth.failed_logins, settings.rate_limit, always_deny_when_down=True
        ),
        metrics=metrics,
        shadows=ShadowScorer(database, metrics),
    )
    metrics.watch(lambda: server_levels(runtime))
    return runtime
