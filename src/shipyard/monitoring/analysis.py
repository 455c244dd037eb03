"""One monitoring run's comparisons, from columns already read: inputs, predictions,
performance. Nothing here reads a database or a registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from shipyard.domain.monitoring import DATASET_DRIFT_SHARE
from shipyard.monitoring.columns import Column
from shipyard.monitoring.drift import Categories, Numbers, column_drift
from shipyard.monitoring.performance import estimated_scores, realised_scores
from shipyard.monitoring.quality import categorical_quality, numeric_quality
from shipyard.schemas.monitoring import (
    ColumnDrift,
    ColumnKind,
    ColumnQuality,
    DatasetDrift,
    Performance,
    PredictionDrift,
)

Floats = np.ndarray[Any, np.dtype[np.float64]]
Labels = np.ndarray[Any, np.dtype[np.object_]]
REFERENCE_METRICS = ("roc_auc", "accuracy", "f1")


def compare_inputs(
    kinds: Mapping[str, ColumnKind],
    reference: Mapping[str, Column],
    current: Mapping[str, Column],
) -> tuple[list[ColumnDrift], list[ColumnQuality], DatasetDrift]:
    """Drift and quality of every input column, and whether the data set drifted."""
    drifts: list[ColumnDrift] = []
    quality: list[ColumnQuality] = []
    for name, kind in kinds.items():
        (reference_values, _), (current_values, missing) = reference[name], current[name]
        drifts.append(column_drift(name, kind, reference_values, current_values))
        if isinstance(reference_values, Numbers) and isinstance(current_values, Numbers):
            quality.append(numeric_quality(name, reference_values, current_values, missing))
        elif isinstance(reference_values, Categories) and isinstance(current_values, Categories):
            quality.append(categorical_quality(name, reference_values, current_values, missing))
    drifted = sum(drift.drifted for drift in drifts)
    share = drifted / len(drifts) if drifts else 0.0
    return (
        drifts,
        quality,
        DatasetDrift(
            drifted_columns=drifted,
            columns=len(drifts),
            share=share,
            threshold=DATASET_DRIFT_SHARE,
            drifted=bool(drifts) and share >= DATASET_DRIFT_SHARE,
        ),
    )


def _shares(labels: Labels, classes: Sequence[str]) -> dict[str, float]:
    total = labels.size
    return {label: float(np.sum(labels == label) / total) if total else 0.0 for label in classes}


def _counts(labels: Labels) -> Categories:
    values, counts = np.unique(labels.astype(str), return_counts=True)
    return Categories({str(v): int(c) for v, c in zip(values, counts, strict=True)})


def positive_index(classes: Sequence[str]) -> int | None:
    """The positive class of a binary classifier: the last, as scikit-learn orders them."""
    return len(classes) - 1 if len(classes) == 2 else None


def compare_predictions(
    classes: Sequence[str],
    reference_probabilities: Floats,
    current_labels: Labels,
    current_probabilities: Floats,
) -> PredictionDrift:
    """The predicted labels and the probability of the positive (else top) class."""
    reference_labels = np.asarray(classes, dtype=object)[reference_probabilities.argmax(axis=1)]
    label = column_drift(
        "predicted label", "categorical", _counts(reference_labels), _counts(current_labels)
    )
    index = positive_index(classes)
    column = f"probability of {classes[index]}" if index is not None else "top probability"

    def of(probabilities: Floats) -> Numbers:
        if index is not None:
            return Numbers.of(probabilities[:, index])
        return Numbers.of(probabilities.max(axis=1))

    return PredictionDrift(
        label=label,
        probability=column_drift(
            column, "numeric", of(reference_probabilities), of(current_probabilities)
        ),
        reference_label_shares=_shares(reference_labels, classes),
        current_label_shares=_shares(current_labels, classes),
    )


def assess_performance(
    classes: Sequence[str],
    reference_metrics: Mapping[str, float],
    labels: Labels,
    probabilities: Floats,
    feedback: Labels,
    *,
    min_labelled: int = 1,
) -> Performance:
    """Realised scores on the labelled rows (when there are enough), estimated on all."""
    index = positive_index(classes)
    labelled = np.array([value is not None for value in feedback], dtype=bool)
    realised = None
    if labelled.sum() >= min_labelled:
        realised = realised_scores(
            feedback[labelled].astype(str),
            labels[labelled].astype(str),
            probabilities[labelled, index] if index is not None else None,
            classes[index] if index is not None else "",
        )
    return Performance(
        positive_label=classes[index] if index is not None else "",
        reference={k: float(v) for k, v in reference_metrics.items() if k in REFERENCE_METRICS},
        realised=realised,
        estimated=estimated_scores(probabilities, index),
        labelled_share=float(labelled.mean()) if labelled.size else 0.0,
    )
