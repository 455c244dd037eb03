"""Levels a scrape of ``/metrics`` reads from the running process: queues, backlog, the
versions being served."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from shipyard.services.runtime import Runtime


def server_levels(runtime: Runtime) -> Iterator[Metric]:
    yield from _log_writer(runtime)
    yield from _batcher(runtime)
    yield from _models(runtime)


def _log_writer(runtime: Runtime) -> Iterator[Metric]:
    writer = runtime.writer
    yield CounterMetricFamily(
        "shipyard_prediction_log_committed_rows",
        "Rows committed to the prediction log by this process.",
        value=writer.stats.committed_rows,
    )
    yield GaugeMetricFamily(
        "shipyard_prediction_log_pending_rows",
        "Rows waiting for the log writer's next commit (its backlog).",
        value=writer.pending_rows,
    )
    if writer.spool is None:
        return
    spool = writer.spool.status()
    yield GaugeMetricFamily(
        "shipyard_prediction_log_spool_backlog_rows",
        "Acknowledged rows in the spool journal, waiting for the database.",
        value=spool.backlog_rows,
    )
    yield GaugeMetricFamily(
        "shipyard_prediction_log_spool_bytes",
        "Size of the spool journal.",
        value=spool.size_bytes,
    )
    yield CounterMetricFamily(
        "shipyard_prediction_log_spooled_rows",
        "Rows journaled because the database could not take them.",
        value=spool.spooled_rows,
    )
    yield CounterMetricFamily(
        "shipyard_prediction_log_replayed_rows",
        "Rows replayed from the spool journal into the database.",
        value=spool.replayed_rows,
    )


def _batcher(runtime: Runtime) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "shipyard_batch_queue_requests",
        "Prediction requests waiting for a free prediction thread.",
        value=runtime.batcher.queued_requests,
    )
    yield GaugeMetricFamily(
        "shipyard_predict_threads_busy",
        "Prediction threads scoring a batch right now.",
        value=runtime.batcher.busy_threads,
    )


def _models(runtime: Runtime) -> Iterator[Metric]:
    served = GaugeMetricFamily(
        "shipyard_model_info",
        "1 for the version each model is served with, and its predictor (onnx or sklearn).",
        labels=["model", "version", "predictor"],
    )
    for name, model in runtime.models.loaded().items():
        served.add_metric([name, model.version, model.choice.kind], 1)
    yield served
    failing = GaugeMetricFamily(
        "shipyard_model_load_failing",
        "1 while a configured model could not be loaded (see /readyz for why).",
        labels=["model"],
    )
    for name in runtime.models.names:
        failing.add_metric([name], 1 if name in runtime.load_errors else 0)
    yield failing
