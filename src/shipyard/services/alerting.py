"""Alert rules, checked on a schedule: request errors, latency and bad input from this
process's own counters; class share from the prediction log; drift and performance from
the latest monitoring run. Each change of a rule's state is notified once (see
:mod:`shipyard.domain.alerts`), whichever worker or replica saw it first."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import UTC, datetime, timedelta

from shipyard.config import AlertSettings
from shipyard.db import Database
from shipyard.db import alerts as states
from shipyard.db import predictions as log
from shipyard.domain.alerts import Finding, Notice, Severity, decide
from shipyard.schemas.monitoring import MonitoringReport
from shipyard.services.runtime import Runtime
from shipyard.telemetry.metrics import HttpTotals
from shipyard.telemetry.notifications import Notifier

logger = logging.getLogger(__name__)
SERVER = f"server {socket.gethostname()}:{os.getpid()}"
"""Request rules read this process's own counters: each process (worker, replica) is a
subject of its own, so that one's quiet minute cannot resolve another's alert."""


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def request_findings(rules: AlertSettings, interval: HttpTotals) -> list[Finding]:
    """Errors, slow answers and refused input among the requests of one interval. Over too
    few requests the rules say nothing either way: a firing alert is not resolved by a
    quiet minute."""
    findings: list[Finding] = []
    if interval.requests < rules.min_requests:
        return findings
    seen = f"over {interval.requests:.0f} requests"
    for rule, severity, count, limit, what in (
        ("error_rate", Severity.CRITICAL, interval.server_errors, rules.error_rate, "were 5xx"),
        (
            "invalid_input_rate",
            Severity.WARNING,
            interval.invalid_input,
            rules.invalid_input_rate,
            "got 422",
        ),
    ):
        if limit is None:
            continue
        rate = _share(count, interval.requests)
        findings.append(
            Finding(
                rule,
                SERVER,
                severity,
                rate > limit,
                f"{rate:.1%} of requests {what} {seen} (limit {limit:.1%})",
            )
        )
    if rules.p95_latency_seconds is not None and interval.slower_than:
        limit = rules.p95_latency_seconds
        # The first histogram bound at or above the limit: requests slower than it are
        # surely slower than the limit.
        bound = min((b for b in interval.slower_than if b >= limit), default=limit)
        slow = _share(interval.slower_than.get(bound, 0.0), interval.requests)
        findings.append(
            Finding(
                "p95_latency",
                SERVER,
                Severity.WARNING,
                slow > 0.05,
                f"{slow:.1%} of requests took over {bound:g} s {seen} (p95 limit {limit:g} s)",
            )
        )
    return findings


def class_share_findings(
    rules: AlertSettings, model: str, positive: str, counts: dict[str, int]
) -> list[Finding]:
    if rules.class_share_max is None and rules.class_share_min is None:
        return []
    total = sum(counts.values())
    if total < rules.min_requests:
        return []  # too few to say either way, as for the request rules
    share = _share(counts.get(positive, 0), total)
    high = rules.class_share_max is not None and share > rules.class_share_max
    low = rules.class_share_min is not None and share < rules.class_share_min
    band = f"[{rules.class_share_min or 0:.0%}, {rules.class_share_max or 1:.0%}]"
    return [
        Finding(
            "class_share",
            model,
            Severity.WARNING,
            high or low,
            f"{share:.1%} of {total} predictions were {positive!r} in the last "
            f"{rules.class_share_window} (band {band})",
        )
    ]


def report_findings(rules: AlertSettings, report: MonitoringReport) -> list[Finding]:
    """Drift and performance of a monitoring run."""
    findings: list[Finding] = []
    model = report.model
    if rules.drift_share is not None:
        drift = report.dataset_drift
        most_first = sorted(report.columns, key=lambda c: -(c.psi or 0.0))
        drifted = [c.column for c in most_first if c.drifted]
        named = ", ".join(drifted[:8]) + (", ..." if len(drifted) > 8 else "")
        findings.append(
            Finding(
                "drift",
                model,
                Severity.WARNING,
                drift.share >= rules.drift_share,
                f"{drift.drifted_columns} of {drift.columns} input columns drifted "
                f"({drift.share:.0%}, limit {rules.drift_share:.0%}) over {report.rows} "
                f"predictions of v{report.version}" + (f": {named}" if drifted else ""),
            )
        )
    reference = report.performance.reference.get("roc_auc")
    performance = report.performance
    current = performance.realised.roc_auc if performance.realised else None
    source = "realised"
    if current is None:
        current, source = performance.estimated.roc_auc, "estimated"
    if rules.performance_drop is not None and reference is not None and current is not None:
        findings.append(
            Finding(
                "performance_drop",
                model,
                Severity.CRITICAL,
                reference - current > rules.performance_drop,
                f"ROC AUC {current:.3f} ({source}) against {reference:.3f} at training "
                f"(drop limit {rules.performance_drop:.2f})",
            )
        )
    return findings


class Alerts:
    """Checks the rules of one server process and notifies what changed."""

    def __init__(self, runtime: Runtime, notifier: Notifier) -> None:
        self.runtime = runtime
        self.notifier = notifier
        self.rules = runtime.settings.alerts
        self._last_totals = runtime.metrics.http_totals()

    def check(self, now: datetime) -> list[Notice]:
        """Every rule, now."""
        totals = self.runtime.metrics.http_totals()
        interval, self._last_totals = totals.since(self._last_totals), totals
        findings = request_findings(self.rules, interval)
        since = now - self.rules.class_share_window
        for name, served in self.runtime.models.loaded().items():
            classes = served.predictor.classes
            if len(classes) != 2:
                continue
            with self.runtime.database.session_scope() as session:
                counts = log.label_counts(session, name, since)
            findings += class_share_findings(self.rules, name, classes[-1], counts)
        for report in self.runtime.latest_reports.values():
            findings += report_findings(self.rules, report)
        return self.dispatch(findings, now)

    def after_report(self, report: MonitoringReport) -> list[Notice]:
        return self.dispatch(report_findings(self.rules, report), report.created_at)

    def dispatch(self, findings: list[Finding], now: datetime) -> list[Notice]:
        """Notify each finding whose state changed (or whose reminder is due)."""
        return dispatch(self.runtime.database, self.notifier, self.rules.cooldown, findings, now)


def dispatch(
    database: Database,
    notifier: Notifier,
    cooldown: timedelta,
    findings: list[Finding],
    now: datetime,
) -> list[Notice]:
    """Notify each finding whose state changed (or whose reminder is due), whichever
    process (server, CLI, Prefect flow) saw it."""
    sent: list[Notice] = []
    for finding in findings:
        try:
            notice = _tell(database, notifier, cooldown, finding, now)
        except Exception:  # one rule's trouble (a busy database) leaves the others alone
            logger.exception("alert %s could not be handled", finding.key)
            continue
        if notice is not None:
            sent.append(notice)
    return sent


def _tell(
    database: Database, notifier: Notifier, cooldown: timedelta, finding: Finding, now: datetime
) -> Notice | None:
    with database.session_scope() as session:
        previous = states.load_state(session, finding.key)
        new, notice = decide(previous, finding, now, cooldown)
        if notice is None or new is None or not states.swap_state(session, previous, new):
            return None  # nothing to tell, or another process told it
    tone = "resolved" if notice.kind == "resolved" else finding.severity.value
    logger.warning("alert %s: %s", notice.title, finding.summary)
    if not notifier.send(notice.title, finding.summary, tone):
        # Not told: put the state back, so that the next check tries again.
        with database.session_scope() as session:
            states.restore_state(session, new, previous)
        return None
    return notice


async def check_periodically(alerts: Alerts, every: timedelta) -> None:
    """The in-process schedule of the alert rules."""
    while True:
        await asyncio.sleep(every.total_seconds())
        try:
            await asyncio.to_thread(alerts.check, datetime.now(UTC))
        except Exception:  # a schedule boundary: log it and check again next time
            logger.exception("checking the alert rules failed")
