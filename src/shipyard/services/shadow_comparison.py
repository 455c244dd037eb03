"""How a ``@challenger`` compares with the served version on the requests it shadowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from shipyard.db import shadow as shadows
from shipyard.domain.lifecycle import CHALLENGER
from shipyard.errors import ModelVersionNotFound
from shipyard.monitoring.performance import realised_scores
from shipyard.schemas.lifecycle import ComparisonRead
from shipyard.services.runtime import Runtime

MAX_ROWS = 100_000
"""The comparison reads at most the latest this many shadowed answers of its window."""


def challenger_version(runtime: Runtime, name: str) -> str | None:
    """The challenger this process shadows, else the one the registry names."""
    shadowed = runtime.shadows.challenger(name)
    if shadowed is not None:
        return shadowed.version
    try:
        return runtime.registry.resolve(name, CHALLENGER).version
    except ModelVersionNotFound:
        return None


def compare(
    runtime: Runtime,
    name: str,
    *,
    window: timedelta,
    challenger: str | None = None,
    now: datetime | None = None,
) -> ComparisonRead:
    end = now or datetime.now(UTC)
    start = end - window
    served = runtime.models.get(name)
    version = challenger or challenger_version(runtime, name)
    empty = ComparisonRead(
        model=name,
        served_version=served.version,
        challenger_version=version,
        window_start=start,
        window_end=end,
        rows=0,
        agreement=None,
        mean_probability_difference=None,
        labelled_rows=0,
        served=None,
        challenger=None,
    )
    if version is None:
        return empty
    with runtime.database.session_scope() as session:
        pairs = shadows.shadow_pairs(session, name, version, served.version, start, end, MAX_ROWS)
    if not pairs:
        return empty
    classes = served.predictor.classes
    positive = classes[-1]
    binary = len(classes) == 2
    served_labels = _labels([p.served_label for p in pairs])
    shadow_labels = _labels([p.shadow_label for p in pairs])
    served_probability = np.array([p.served_probabilities.get(positive, 0.0) for p in pairs])
    shadow_probability = np.array([p.shadow_probabilities.get(positive, 0.0) for p in pairs])
    truth = _labels([p.feedback for p in pairs])
    labelled = np.array([p.feedback is not None for p in pairs])

    def scores(labels: Any, probability: Any) -> Any:
        if not labelled.any():
            return None
        return realised_scores(
            truth[labelled], labels[labelled], probability[labelled] if binary else None, positive
        )

    return empty.model_copy(
        update={
            "rows": len(pairs),
            "agreement": float(np.mean(served_labels == shadow_labels)),
            "mean_probability_difference": (
                float(np.mean(np.abs(shadow_probability - served_probability))) if binary else None
            ),
            "labelled_rows": int(labelled.sum()),
            "served": scores(served_labels, served_probability),
            "challenger": scores(shadow_labels, shadow_probability),
        }
    )


def _labels(values: list[str | None]) -> np.ndarray[Any, np.dtype[np.object_]]:
    labels: np.ndarray[Any, np.dtype[np.object_]] = np.array(values, dtype=object)
    return labels
