"""Monitoring on a schedule, inside the server: every ``monitoring.every``, each served
model's window is compared with its training data.

Periods are aligned on the clock (a 15-minute schedule runs at :00, :15, :30, :45), and a
run claims its (model, period) in the database first, so that with several workers or
replicas each period is monitored once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from shipyard.db import monitoring as runs
from shipyard.schemas.monitoring import MonitoringReport
from shipyard.services.monitoring import NothingToMonitor, monitor_model
from shipyard.services.runtime import Runtime

logger = logging.getLogger(__name__)


def period_of(moment: datetime, every: timedelta) -> tuple[str, datetime]:
    """The period ``moment`` falls in: its name and its end."""
    seconds = every.total_seconds()
    index = int(moment.timestamp() // seconds)
    end = datetime.fromtimestamp((index + 1) * seconds, UTC)
    return f"{int(seconds)}s-{index}", end


CLAIMS_KEPT = timedelta(days=7)
GRACE = timedelta(seconds=2)
"""How long after a period ends its run starts: rows answered just before the end may
still be on their way into the log."""


def monitor_period(runtime: Runtime, slot: str, end: datetime) -> list[MonitoringReport]:
    """Monitor every served model once for the period ``slot``, where this process is the
    first to claim it. One model's failure is logged and leaves the others alone."""
    settings = runtime.settings
    done: list[MonitoringReport] = []
    for name, served in runtime.models.loaded().items():
        with runtime.database.session_scope() as session:
            claimed = runs.claim_slot(session, name, slot, end)
        if not claimed:
            continue
        try:
            run = monitor_model(
                runtime.database,
                runtime.registry,
                settings.serving,
                settings.reports_dir(),
                name,
                window=settings.monitoring.window,
                end=end,
                served=served,
                slot=slot,
                min_rows=settings.monitoring.min_rows,
                max_rows=settings.monitoring.max_rows,
            )
        except NothingToMonitor as skipped:
            logger.info("monitoring skipped: %s", skipped.detail)
            continue
        except Exception:
            logger.exception("monitoring of %s for period %s failed", name, slot)
            with runtime.database.session_scope() as session:
                runs.release_slot(session, name, slot)  # another worker may try it
            continue
        report = run.report
        logger.info(
            "monitoring: %s v%s, %d rows, %d/%d columns drifted, report %s",
            name,
            report.version,
            report.rows,
            report.dataset_drift.drifted_columns,
            report.dataset_drift.columns,
            run.html_path,
        )
        done.append(report)
    with runtime.database.session_scope() as session:
        runs.forget_claims_before(session, end - CLAIMS_KEPT)
    return done


def refresh_latest(runtime: Runtime) -> None:
    """The newest run of each served model, whoever ran it, for ``/metrics``."""
    with runtime.database.session_scope() as session:
        runtime.keep_latest(list(runs.latest_runs(session, runtime.models.names).values()))


async def monitor_periodically(runtime: Runtime) -> None:
    """The in-process schedule: wait for the end of the period, monitor it, repeat."""
    every = runtime.settings.monitoring.every
    assert every is not None
    await asyncio.to_thread(_refresh_quietly, runtime)
    while True:
        slot, end = period_of(datetime.now(UTC), every)
        await asyncio.sleep(max(0.0, (end + GRACE - datetime.now(UTC)).total_seconds()))
        try:
            reports = await asyncio.to_thread(monitor_period, runtime, slot, end)
        except Exception:  # a schedule boundary: log it, try again next period
            logger.exception("monitoring of period %s failed", slot)
            reports = []
        for report in reports:
            await asyncio.to_thread(runtime.report_done, report)
        await asyncio.to_thread(_refresh_quietly, runtime)


def _refresh_quietly(runtime: Runtime) -> None:
    try:
        refresh_latest(runtime)
    except Exception:
        logger.exception("reading the latest monitoring runs failed")
