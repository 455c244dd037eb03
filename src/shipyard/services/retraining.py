"""Retrain → evaluate → promote.

The candidate is the champion's pipeline fitted again on the champion's training data plus
the labelled feedback of the log (see :mod:`shipyard.training.refit`). Candidate and
champion are scored on the same holdout of labelled feedback, with a paired bootstrap of
the difference (:mod:`shipyard.training.comparison`). The candidate is registered and
aliased ``@challenger``; it becomes ``@champion`` when it wins by ``retrain.margin`` with a
significant difference (and ``retrain.promote`` is on). A model card records the data, the
scores, the drift at the time, what triggered it and who promoted it: in SQL and with the
candidate's MLflow run. Each outcome is notified, a failure too.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from shipyard.config import Settings
from shipyard.db import Database
from shipyard.db import lifecycle as history
from shipyard.db import monitoring as runs
from shipyard.db.windows import read_window
from shipyard.domain.lifecycle import (
    CHALLENGER,
    MoveKind,
    PretrainedModel,
    PromotionRule,
    RetrainSkipped,
    promotion_reasons,
)
from shipyard.domain.schema import FieldType, InputSchema
from shipyard.registry import LoadedArtifact, ModelRegistry
from shipyard.schemas.lifecycle import (
    Comparison,
    DriftAtTraining,
    Holdout,
    ModelCard,
    TrainingData,
)
from shipyard.services.promotion import alias_version, check_servable, record_move
from shipyard.telemetry.notifications import Notifier

logger = logging.getLogger(__name__)

POLICY = "retrain policy"
"""The actor named when the policy, not a person, promoted a version."""


def labelled_feedback(
    database: Database,
    name: str,
    schema: InputSchema,
    classes: tuple[str, ...],
    start: datetime,
    end: datetime,
    *,
    max_rows: int | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Logged predictions of every version that got a feedback label (the latest
    ``max_rows``), as a frame typed like the training data, with their labels. Rows
    missing a required field are left out."""
    window = read_window(
        database, name, start, end, schema, classes, max_rows=max_rows, labelled_only=True
    )
    frame = window.inputs.to_pandas()
    required = [f.name for f in schema.fields if f.required]
    keep = frame[required].notna().all(axis=1).to_numpy() if required else np.ones(len(frame), bool)
    frame = frame[keep].reset_index(drop=True)
    for field in schema.fields:
        column = frame[field.name]
        if field.type is FieldType.INTEGER and column.notna().all():
            frame[field.name] = column.astype("int64")
        elif field.type is FieldType.NUMBER:
            frame[field.name] = column.astype("float64")
        elif field.type in (FieldType.STRING, FieldType.BOOLEAN):  # a gap is NaN, as trained
            values = column.astype(object)
            frame[field.name] = values.where(values.notna(), np.nan)
    labels = pd.Series(window.feedback[keep], dtype=object).astype(str)
    return frame, labels


def drift_at(database: Database, name: str) -> DriftAtTraining:
    with database.session_scope() as session:
        latest = runs.recent_runs(session, name, 1)
    if not latest:
        return DriftAtTraining(monitoring_run=None)
    report = latest[0]
    realised = report.performance.realised
    return DriftAtTraining(
        monitoring_run=report.id,
        drifted_columns=report.dataset_drift.drifted_columns,
        columns=report.dataset_drift.columns,
        share=report.dataset_drift.share,
        realised_roc_auc=realised.roc_auc if realised else None,
        estimated_roc_auc=report.performance.estimated.roc_auc,
    )


def _reference_of(
    registry: ModelRegistry, champion: LoadedArtifact
) -> tuple[pd.DataFrame | None, pd.Series | None]:
    labels = registry.reference_labels(champion.version)
    data = champion.reference_data
    if data is None or labels is None or len(labels) != len(data):
        return None, None
    return data, labels


def retrain(
    database: Database,
    registry: ModelRegistry,
    settings: Settings,
    name: str,
    *,
    trigger: str,
    actor: str = POLICY,
    promote: bool | None = None,
    now: datetime | None = None,
) -> ModelCard:
    """Retrain ``name`` once; returns the candidate's model card (stored and logged).
    Retrains of one model in this process run one at a time."""
    with _retrain_lock(name):
        return _retrain(
            database,
            registry,
            settings,
            name,
            trigger=trigger,
            actor=actor,
            promote=promote,
            now=now,
        )


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _retrain_lock(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


def _retrain(
    database: Database,
    registry: ModelRegistry,
    settings: Settings,
    name: str,
    *,
    trigger: str,
    actor: str,
    promote: bool | None,
    now: datetime | None,
) -> ModelCard:
    options = settings.retrain
    alias = settings.serving.alias
    end = now or datetime.now(UTC)
    champion = registry.load(name, alias)
    if registry.run_params(champion.version).get("pretrained") == "true":
        raise PretrainedModel(name, champion.version.version)
    estimator = champion.estimator
    classes = tuple(str(c) for c in estimator.classes_)
    feedback, labels = labelled_feedback(
        database,
        name,
        champion.input_schema,
        classes,
        end - options.feedback_window,
        end,
        max_rows=settings.monitoring.max_rows,
    )
    from shipyard.services import refitting  # scikit-learn and scipy: only when retraining

    reference, reference_labels = _reference_of(registry, champion)
    data = refitting.assemble(
        reference,
        reference_labels,
        feedback,
        labels,
        classes=classes,
        holdout_share=options.holdout_share,
        min_labelled=options.min_labelled,
        seed=options.seed,
    )
    logger.info(
        "retraining %s on %d rows (champion v%s)",
        name,
        len(data.train_features),
        champion.version.version,
    )
    candidate = refitting.refit(estimator, data.train_features, data.train_target)
    scores = refitting.score(candidate, estimator, data, settings)
    comparison = scores.comparison
    rule = PromotionRule(margin=options.margin, alpha=options.significance)
    wins, reasons = promotion_reasons(
        rule, comparison.metric, comparison.difference, comparison.p_value
    )
    version = refitting.register(registry, champion, candidate, data, scores, settings, trigger)
    promoted = wins and (options.promote if promote is None else promote)
    moved_meanwhile = alias_version(registry, name, alias) != champion.version.version
    if promoted and moved_meanwhile:  # a promotion or rollback while this one trained
        promoted = False
        reasons.append(
            f"@{alias} moved away from v{champion.version.version} during the retrain: "
            "it waits as @challenger"
        )
    if promoted:
        check_servable(registry, settings.serving, name, version.version)
        record_move(
            registry,
            database,
            name,
            alias,
            version.version,
            kind=MoveKind.RETRAIN,
            actor=actor,
            reason=f"won the retrain triggered by {trigger}",
        )
        if alias_version(registry, name, CHALLENGER) is not None:
            registry.delete_alias(name, CHALLENGER)
    else:
        if wins and not moved_meanwhile:
            reasons.append("retrain.promote is off: it waits as @challenger")
        record_move(
            registry,
            database,
            name,
            CHALLENGER,
            version.version,
            kind=MoveKind.RETRAIN,
            actor=actor,
            reason=f"retrain triggered by {trigger}",
        )
    card = ModelCard(
        id=str(uuid.uuid4()),
        model=name,
        version=version.version,
        champion_version=champion.version.version,
        created_at=datetime.now(UTC),
        outcome="promoted" if promoted else "challenger",
        reasons=reasons,
        trigger=trigger,
        promoted_by=actor if promoted else None,
        estimator=type(candidate).__name__,
        training_data=TrainingData(
            rows=len(data.train_features),
            reference_rows=data.reference_rows,
            feedback_rows=data.feedback_rows,
            sha256=refitting.data_hash(data.train_features, data.train_target),
            feedback_since=end - options.feedback_window,
            notes=data.notes,
        ),
        holdout=Holdout(
            rows=len(data.holdout_target),
            positives=int((data.holdout_target == classes[-1]).sum())
            if len(classes) == 2
            else None,
            source="labelled feedback (neither model was fitted on it)",
        ),
        comparison=Comparison(
            metric=comparison.metric,
            candidate=comparison.candidate,
            champion=comparison.champion,
            difference=comparison.difference,
            ci_low=comparison.ci_low,
            ci_high=comparison.ci_high,
            p_value=comparison.p_value,
            rounds=comparison.rounds,
            margin=options.margin,
            alpha=options.significance,
            candidate_metrics=scores.candidate,
            champion_metrics=scores.champion,
        ),
        drift=drift_at(database, name),
    )
    registry.log_model_card(version, card.model_dump_json(indent=2))
    with database.session_scope() as session:
        history.save_card(session, card)
    return card


def card_message(card: ModelCard) -> tuple[str, str, str]:
    """Title, body and tone of the notification of a retrain's outcome."""
    c = card.comparison
    scores = (
        f"{c.metric} {c.candidate:.3f} against {c.champion:.3f} for v{card.champion_version} "
        f"on {card.holdout.rows} held-out labelled predictions "
        f"(difference {c.difference:+.3f}, 95% CI [{c.ci_low:+.3f}, {c.ci_high:+.3f}], "
        f"p = {c.p_value:.4f})"
    )
    data = (
        f"fitted on {card.training_data.rows} rows ({card.training_data.reference_rows} of "
        f"training data, {card.training_data.feedback_rows} of feedback)"
    )
    if card.outcome == "promoted":
        title = f"[PROMOTED] shipyard: {card.model}: v{card.version} is @champion"
        tone = "resolved"
        verdict = f"promoted by {card.promoted_by}"
    else:
        title = f"[KEPT] shipyard: {card.model}: v{card.champion_version} stays @champion"
        tone = "warning"
        verdict = f"v{card.version} registered as @challenger"
    body = f"Retrain triggered by {card.trigger}: {verdict}. {scores}; {data}. " + " ".join(
        f"{reason[0].upper()}{reason[1:]}." for reason in card.reasons
    )
    return title, body, tone


def retrain_and_tell(
    database: Database,
    registry: ModelRegistry,
    settings: Settings,
    notifier: Notifier,
    name: str,
    *,
    trigger: str,
    actor: str = POLICY,
    promote: bool | None = None,
    tell_skipped: bool = True,
) -> ModelCard:
    """:func:`retrain`, with a notification of its outcome, failures included (a retrain
    skipped for want of labels too, if ``tell_skipped``)."""
    try:
        card = retrain(
            database, registry, settings, name, trigger=trigger, actor=actor, promote=promote
        )
    except RetrainSkipped as error:
        if not tell_skipped:
            raise
        notifier.send(
            f"[SKIPPED] shipyard: {name}: retrain",
            f"Retrain triggered by {trigger} did not run: {error.detail}. The champion stays.",
            "warning",
        )
        raise
    except Exception as error:
        detail = getattr(error, "detail", None) or f"{type(error).__name__}: {error}"
        notifier.send(
            f"[FAILED] shipyard: {name}: retrain",
            f"Retrain triggered by {trigger} failed: {detail}. The champion stays.",
            "critical",
        )
        raise
    title, body, tone = card_message(card)
    logger.warning("%s: %s", title, body)
    notifier.send(title, body, tone)
    return card


def recent_cards(database: Database, name: str, limit: int) -> list[ModelCard]:
    with database.session_scope() as session:
        return history.recent_cards(session, name, limit)
