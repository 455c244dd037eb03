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
    yield from _monitoring(runtime)


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
    spool = writer.spool.status() if writer.spool is not None else None
    yield GaugeMetricFamily(
        "shipyard_prediction_log_spool_backlog_rows",
        "Acknowledged rows in the spool journal, waiting for the database (0 without one).",
        value=spool.backlog_rows if spool else 0,
    )
    yield GaugeMetricFamily(
        "shipyard_prediction_log_spool_bytes",
        "Size of the spool journal.",
        value=spool.size_bytes if spool else 0,
    )
    yield CounterMetricFamily(
        "shipyard_prediction_log_spooled_rows",
        "Rows journaled because the database could not take them.",
        value=spool.spooled_rows if spool else 0,
    )
    yield CounterMetricFamily(
        "shipyard_prediction_log_replayed_rows",
        "Rows replayed from the spool journal into the database.",
        value=spool.replayed_rows if spool else 0,
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


def _monitoring(runtime: Runtime) -> Iterator[Metric]:
    """The newest monitoring run of each served model."""
    reports = runtime.latest_reports
    share = GaugeMetricFamily(
        "shipyard_drift_share",
        "Share of input columns that drifted in the latest monitoring run.",
        labels=["model", "version"],
    )
    dataset = GaugeMetricFamily(
        "shipyard_dataset_drift",
        "1 when the latest run found the data set drifted (at least half its columns).",
        labels=["model", "version"],
    )
    column = GaugeMetricFamily(
        "shipyard_column_drift_score",
        "Drift score of each input column in the latest run (p-value or distance).",
        labels=["model", "column", "method"],
    )
    drifted = GaugeMetricFamily(
        "shipyard_column_drifted",
        "1 when the column drifted in the latest run.",
        labels=["model", "column"],
    )
    prediction = GaugeMetricFamily(
        "shipyard_prediction_drift_score",
        "Drift score of the predicted labels and of the positive class's probability.",
        labels=["model", "of", "method"],
    )
    performance = GaugeMetricFamily(
        "shipyard_model_performance",
        "Scores in the latest run: realised (feedback labels) or estimated (CBPE).",
        labels=["model", "source", "metric"],
    )
    rows = GaugeMetricFamily(
        "shipyard_monitoring_rows",
        "Logged predictions in the latest run's window.",
        labels=["model"],
    )
    when = GaugeMetricFamily(
        "shipyard_monitoring_last_run_timestamp_seconds",
        "When the latest monitoring run happened (Unix time).",
        labels=["model"],
    )
    for name, report in reports.items():
        share.add_metric([name, report.version], report.dataset_drift.share)
        dataset.add_metric([name, report.version], float(report.dataset_drift.drifted))
        for drift in report.columns:
            if drift.score is not None:
                column.add_metric([name, drift.column, drift.method], drift.score)
            drifted.add_metric([name, drift.column], float(drift.drifted))
        for of, drift in (
            ("label", report.prediction.label),
            ("probability", report.prediction.probability),
        ):
            if drift.score is not None:
                prediction.add_metric([name, of, drift.method], drift.score)
        scored = (
            ("realised", report.performance.realised),
            ("estimated", report.performance.estimated),
        )
        for source, scores in scored:
            if scores is None:
                continue
            for metric in ("accuracy", "precision", "recall", "f1", "roc_auc"):
                value = getattr(scores, metric)
                if value is not None:
                    performance.add_metric([name, source, metric], value)
        rows.add_metric([name], report.rows)
        when.add_metric([name], report.created_at.timestamp())
    yield from (share, dataset, column, drifted, prediction, performance, rows, when)
