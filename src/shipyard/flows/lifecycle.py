"""Monitor → retrain → promote, as a Prefect 3 flow with one deployment per model.

``shipyard flows serve`` registers the deployments with the Prefect server named by
``PREFECT_API_URL`` and runs them on their schedule (``SHIPYARD_PREFECT__EVERY``) for as
long as it runs; a run can also be started from Prefect's UI or API. The monitor task is
retried (``SHIPYARD_PREFECT__RETRIES`` times, ``SHIPYARD_PREFECT__RETRY_DELAY`` apart) as
seed 004 retries its check; the retrain task is not (it registers a version: a retry after
a late failure would register another); its failure is notified from the service itself
and marks the run failed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from prefect import flow, serve, task
from prefect.deployments.runner import RunnerDeployment

from shipyard.config import Settings, load_settings, parse_duration
from shipyard.db import configured_database
from shipyard.domain.lifecycle import RetrainSkipped
from shipyard.schemas.monitoring import MonitoringReport
from shipyard.services.alerting import dispatch, report_findings
from shipyard.services.monitoring import NothingToMonitor, monitor_model
from shipyard.services.retrain_schedule import retrain_reason
from shipyard.services.retraining import retrain_and_tell
from shipyard.services.runtime import registry_for
from shipyard.telemetry.notifications import Notifier

logger = logging.getLogger(__name__)

FLOW_NAME = "shipyard-lifecycle"
ACTOR = "prefect flow"


def _notifier(settings: Settings) -> Notifier:
    return Notifier([url.get_secret_value() for url in settings.alerts.urls])


@task(name="monitor")
def monitor(model: str, window: str) -> dict[str, Any] | None:
    """Monitor the served version over the window; store the run and alert on it."""
    settings = load_settings()
    with configured_database(settings) as database:
        try:
            run = monitor_model(
                database,
                registry_for(settings),
                settings.serving,
                settings.reports_dir(),
                model,
                window=parse_duration(window),
                min_rows=settings.monitoring.min_rows,
                max_rows=settings.monitoring.max_rows,
            )
        except NothingToMonitor as skipped:
            logger.warning("%s", skipped.detail)
            return None
        findings = report_findings(settings.alerts, run.report)
        notifier = _notifier(settings)
        dispatch(database, notifier, settings.alerts.cooldown, findings, datetime.now(UTC))
    return run.report.model_dump(mode="json")


@task(name="retrain")
def retrain(model: str, trigger: str) -> dict[str, Any] | None:
    """Retrain, compare with the champion, register @challenger, promote if it wins."""
    settings = load_settings()
    with configured_database(settings) as database:
        try:
            card = retrain_and_tell(
                database,
                registry_for(settings),
                settings,
                _notifier(settings),
                model,
                trigger=trigger,
                actor=ACTOR,
                tell_skipped=False,
            )
        except RetrainSkipped as skipped:  # not a failure to retry (labels will come)
            logger.warning("retrain skipped: %s", skipped.detail)
            return None
    return card.model_dump(mode="json")


@flow(name=FLOW_NAME)
def lifecycle(model: str = "attrition", window: str = "24h") -> dict[str, Any]:
    """One model's loop: monitor; if the run calls for it (``retrain.on``), retrain and
    promote a winner."""
    settings = load_settings()
    retries = settings.prefect.retries
    delay = settings.prefect.retry_delay.total_seconds()
    document = monitor.with_options(retries=retries, retry_delay_seconds=delay)(model, window)
    if document is None:
        return {"model": model, "monitored": False, "retrained": False}
    report = MonitoringReport.model_validate(document)
    with configured_database(settings) as database:
        trigger = retrain_reason(database, settings, report)
    if trigger is None:
        return {"model": model, "monitored": True, "retrained": False, "report": report.id}
    # Not retried: a retrain that failed after registering its candidate would register
    # another one. Its failure is notified; the next scheduled run tries again.
    card = retrain(model, f"{trigger}, Prefect flow")
    return {
        "model": model,
        "monitored": True,
        "retrained": card is not None,
        "report": report.id,
        "outcome": card["outcome"] if card else None,
        "version": card["version"] if card else None,
    }


def deployments(models: list[str], settings: Settings) -> list[RunnerDeployment]:
    """One deployment per model, named after it, on the ``prefect.every`` interval."""
    window = f"{int(settings.prefect.window.total_seconds())}s"
    # to_deployment is sync_compatible: called outside an event loop, it returns the
    # deployment itself, not a coroutine.
    return [
        lifecycle.to_deployment(  # type: ignore[misc]
            name=model,
            parameters={"model": model, "window": window},
            interval=settings.prefect.every,
            description=f"monitor -> retrain -> promote of {model}",
            tags=["shipyard"],
        )
        for model in models
    ]


def serve_deployments(models: list[str], settings: Settings) -> None:
    """Register the deployments and run them until interrupted (the Prefect runner)."""
    serve(*deployments(models, settings))
