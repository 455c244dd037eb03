"""The heavy half of a retrain: fit the candidate, score both models, register it.

Imports scikit-learn and scipy: :mod:`shipyard.services.retraining` imports this module
only when a retrain runs, so that a server that never retrains never loads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shipyard.config import Settings
from shipyard.monitoring.profile import build_reference_profile
from shipyard.registry import REFERENCE_DATA_MAX_ROWS, LoadedArtifact, ModelRegistry, TrainingRun
from shipyard.registry.skops_policy import untrusted_types_of
from shipyard.services.training import columns_with_gaps, onnx_export
from shipyard.training.comparison import PairedDifference, compare_accuracy, compare_auc
from shipyard.training.evaluation import holdout_metrics
from shipyard.training.refit import RetrainData, assemble, data_hash, refit

__all__ = ["RetrainData", "Scores", "assemble", "data_hash", "refit", "register", "score"]


@dataclass(frozen=True)
class Scores:
    comparison: PairedDifference
    candidate: dict[str, float]
    champion: dict[str, float]


def _positive_scores(estimator: Any, features: pd.DataFrame, positive: str) -> np.ndarray[Any, Any]:
    classes = [str(c) for c in estimator.classes_]
    scores: np.ndarray[Any, Any] = estimator.predict_proba(features)[:, classes.index(positive)]
    return scores


def score(candidate: Any, champion: Any, data: RetrainData, settings: Settings) -> Scores:
    """Both models on the same holdout; ROC AUC for two classes, accuracy otherwise."""
    options = settings.retrain
    features, target = data.holdout_features, data.holdout_target
    classes = [str(c) for c in champion.classes_]
    if len(classes) == 2:
        positive = classes[-1]
        comparison = compare_auc(
            (target == positive).to_numpy(),
            _positive_scores(candidate, features, positive),
            _positive_scores(champion, features, positive),
            rounds=options.bootstrap_rounds,
            seed=options.seed,
        )
        return Scores(
            comparison,
            holdout_metrics(candidate, features, target, positive=positive).as_dict(),
            holdout_metrics(champion, features, target, positive=positive).as_dict(),
        )
    comparison = compare_accuracy(
        target.to_numpy(),
        np.asarray(candidate.predict(features)).astype(str),
        np.asarray(champion.predict(features)).astype(str),
        rounds=options.bootstrap_rounds,
        seed=options.seed,
    )
    return Scores(comparison, {"accuracy": comparison.candidate}, {"accuracy": comparison.champion})


def register(
    registry: ModelRegistry,
    champion: LoadedArtifact,
    candidate: Any,
    data: RetrainData,
    scores: Scores,
    settings: Settings,
    trigger: str,
) -> Any:
    features, target = data.train_features, data.train_target
    if len(features) > REFERENCE_DATA_MAX_ROWS:
        kept = features.sample(REFERENCE_DATA_MAX_ROWS, random_state=settings.retrain.seed).index
        reference, reference_labels = features.loc[kept], target.loc[kept]
    else:
        reference, reference_labels = features, target
    name = champion.version.name
    return registry.log_training_run(
        TrainingRun(
            model_name=name,
            estimator=candidate,
            input_example=features.head(3),
            params={
                "algorithm": type(candidate).__name__,
                "retrained_from": champion.version.version,
                "train_rows": len(features),
                "holdout_rows": len(data.holdout_features),
                "seed": settings.retrain.seed,
            },
            metrics=scores.candidate,
            profile=build_reference_profile(features, target, seed=settings.retrain.seed),
            reference_data=reference.reset_index(drop=True),
            reference_labels=reference_labels.reset_index(drop=True),
            # What the champion takes, the candidate takes: its optional fields stay so.
            optional_columns=columns_with_gaps(features, data.holdout_features)
            | {field.name for field in champion.input_schema.fields if not field.required},
            onnx=onnx_export(candidate, reference.reset_index(drop=True)),
            skops_trusted_types=untrusted_types_of(candidate),
            tags={"shipyard.retrained_from": champion.version.version, "shipyard.trigger": trigger},
        )
    )
