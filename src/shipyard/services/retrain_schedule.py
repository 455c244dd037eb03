"""The in-process loop of monitor → retrain → promote.

After each scheduled monitoring run of a model, the retrain policy (``retrain.on``) decides
whether the run calls for a retrain: dataset drift or a ROC AUC drop (``drift``), every run
(``always``), or never; and only once ``retrain.min_new_labels`` labels have arrived since
the model's last retrain (a drifted window stays drifted for a day: without new labels a
retrain would learn nothing new). A model is retrained at most once per ``retrain.cooldown`` period
(aligned on the clock), claimed in the database like monitoring periods, so that with
several workers or replicas one of them does it. A retrain that finds too few feedback
labels gives its period back (the next run tries again) and is logged, not notified: the
drift alert has told already. A promotion made here is swapped in by this process at once;
the others follow the alias within ``serving.follow_every``. A candidate kept as
``@challenger`` is shadowed by this process at once, by the others after their next look.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from shipyard.config import Settings
from shipyard.db import Database
from shipyard.db import lifecycle as history
from shipyard.db import monitoring as claims
from shipyard.domain.lifecycle import RetrainSkipped
from shipyard.schemas.lifecycle import ModelCard
from shipyard.schemas.monitoring import MonitoringReport
from shipyard.services.monitoring_schedule import period_of
from shipyard.services.retraining import retrain_and_tell
from shipyard.services.runtime import Runtime
from shipyard.telemetry.notifications import Notifier

logger = logging.getLogger(__name__)

DEFAULT_DROP = 0.05
"""The ROC AUC drop that triggers a retrain when ``alerts.performance_drop`` is off."""


def retrain_trigger(report: MonitoringReport, on: str, drop_limit: float | None) -> str | None:
    """Why this monitoring run calls for a retrain, in words; None if it does not."""
    run = f"monitoring run {report.id[:8]}"
    if on == "never":
        return None
    if on == "always":
        return f"the schedule ({run})"
    drift = report.dataset_drift
    if drift.drifted:
        return f"drift: {drift.drifted_columns} of {drift.columns} input columns drifted ({run})"
    performance = report.performance
    reference = performance.reference.get("roc_auc")
    current = performance.realised.roc_auc if performance.realised else None
    current = current if current is not None else performance.estimated.roc_auc
    limit = drop_limit if drop_limit is not None else DEFAULT_DROP
    if reference is not None and current is not None and reference - current > limit:
        return f"a ROC AUC drop: {current:.3f} against {reference:.3f} at training ({run})"
    return None


def retrain_reason(database: Database, settings: Settings, report: MonitoringReport) -> str | None:
    """Why ``report`` calls for a retrain now (see :func:`retrain_trigger`), provided enough
    labels arrived since the model's last retrain; None otherwise."""
    trigger = retrain_trigger(report, settings.retrain.on, settings.alerts.performance_drop)
    if trigger is None:
        return None
    with database.session_scope() as session:
        last = history.last_card_at(session, report.model)
        new = history.labels_since(session, report.model, last) if last else None
    if new is not None and new < settings.retrain.min_new_labels:
        logger.info(
            "%s: %s, but only %d labels arrived since the last retrain (%d needed)",
            report.model,
            trigger,
            new,
            settings.retrain.min_new_labels,
        )
        return None
    return trigger


class RetrainPolicy:
    """Listens to this process's monitoring runs and retrains when one calls for it."""

    def __init__(
        self,
        runtime: Runtime,
        notifier: Notifier,
        after_retrain: Callable[[str], object] = lambda _name: None,
    ) -> None:
        self.runtime = runtime
        self.notifier = notifier
        self.after_retrain = after_retrain
        """Told the model's name after each retrain (the server follows the aliases it moved)."""

    def after_report(self, report: MonitoringReport) -> ModelCard | None:
        settings = self.runtime.settings
        trigger = retrain_reason(self.runtime.database, settings, report)
        if trigger is None:
            return None
        now = datetime.now(UTC)
        period, _end = period_of(now, settings.retrain.cooldown)
        slot = f"retrain-{period}"
        with self.runtime.database.session_scope() as session:
            claimed = claims.claim_slot(session, report.model, slot, now)
        if not claimed:
            logger.info("%s: retrained already in this cooldown period", report.model)
            return None
        try:
            card = retrain_and_tell(
                self.runtime.database,
                self.runtime.registry,
                settings,
                self.notifier,
                report.model,
                trigger=trigger,
                tell_skipped=False,
            )
        except RetrainSkipped as skipped:
            logger.warning("%s: retrain skipped: %s", report.model, skipped.detail)
            with self.runtime.database.session_scope() as session:
                claims.release_slot(session, report.model, slot)
            return None
        self.after_retrain(report.model)
        return card
