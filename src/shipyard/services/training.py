"""Train an example model, log it, register it, and promote it only if it wins.

The candidate and the current champion are scored on the same stratified holdout (same
data, same seed); ``@champion`` moves only when the candidate's ROC AUC is higher (the
first version always).
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sklearn

from shipyard.db import Database
from shipyard.domain.lifecycle import MoveKind
from shipyard.domain.model import ClassificationMetrics, ModelVersion
from shipyard.errors import ModelNotFound, ModelVersionNotFound
from shipyard.monitoring.profile import build_reference_profile
from shipyard.registry import (
    REFERENCE_DATA_MAX_ROWS,
    ModelRegistry,
    OnnxExport,
    TrainingRun,
    input_schema_of,
)
from shipyard.registry.skops_policy import untrusted_types_of
from shipyard.services.promotion import record_move
from shipyard.serving.choice import choose_predictor
from shipyard.serving.onnx import OnnxClassifier
from shipyard.serving.predictor import SklearnClassifier, frame_to_columns
from shipyard.training.candidates import candidates_for
from shipyard.training.datasets import training_dataset
from shipyard.training.evaluation import cross_validated_auc, holdout_metrics, stratified_split

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainingOptions:
    algorithm: str = "auto"
    test_size: float = 0.25
    seed: int = 42
    alias: str = "champion"


@dataclass(frozen=True)
class TrainingReport:
    model_name: str
    algorithm: str
    cv_auc: dict[str, float]
    metrics: ClassificationMetrics
    version: ModelVersion
    champion_before: str | None
    champion_metrics: ClassificationMetrics | None
    promoted: bool
    train_rows: int
    test_rows: int
    warnings: list[str]


def _current_champion(registry: ModelRegistry, name: str, alias: str) -> Any | None:
    try:
        return registry.load(name, alias)
    except (ModelNotFound, ModelVersionNotFound):
        return None


def _split_differences(champion_params: dict[str, str], options: TrainingOptions) -> list[str]:
    """The comparison is fair only when both versions held out the same rows."""
    differences = []
    for key, ours in (("seed", options.seed), ("test_size", options.test_size)):
        theirs = champion_params.get(key)
        if theirs is not None and theirs != str(ours):
            differences.append(
                f"the champion was trained with {key}={theirs}, this run uses {key}={ours}: "
                "it may have seen rows of this holdout, which favours it"
            )
    return differences


def columns_with_gaps(*frames: pd.DataFrame) -> frozenset[str]:
    """Columns missing a value in any row of ``frames``: optional in the request schema."""
    return frozenset(
        str(name) for frame in frames for name in frame.columns[frame.isna().any().to_numpy()]
    )


def onnx_export(estimator: Any, reference_data: pd.DataFrame) -> OnnxExport | None:
    """The estimator as an ONNX graph that answers like it on the reference data, with the
    answers to check it against when it is loaded; None when it does not convert or agree
    (servers then serve the estimator itself), or without the ``onnx`` extra."""
    schema = input_schema_of(reference_data)
    columns = frame_to_columns(reference_data, schema)
    predictor, _choice = choose_predictor(estimator, schema, columns, mode="auto", native_threads=1)
    if not isinstance(predictor, OnnxClassifier):
        return None
    try:
        expected = SklearnClassifier(estimator).predict_columns(columns)
    except (ValueError, TypeError):  # rows the pipeline cannot score: nothing to check against
        return None
    return OnnxExport(
        graph=predictor.graph,
        layout=predictor.inputs.layout,
        number_dtype=str(predictor.inputs.number_dtype),
        classes=predictor.classes,
        expected=expected,
    )


def promote_trained(
    registry: ModelRegistry,
    database: Database | None,
    version: ModelVersion,
    alias: str,
    *,
    actor: str,
    reason: str,
    progress: Progress,
) -> None:
    """Move ``alias`` to a version just registered, once it loads as a server loads it."""
    progress(f"Checking that version {version.version} loads as a server would load it")
    # The skops allow-list and the signature, as a server meets them: never alias a dud.
    # The estimator itself too: a server falls back to it without an ONNX graph.
    _ = registry.load(version.name, version.version).estimator
    progress(f"Moving @{alias} to version {version.version}")
    record_move(
        registry,
        database,
        version.name,
        alias,
        version.version,
        kind=MoveKind.TRAIN,
        actor=actor,
        reason=reason,
    )


def train_example(
    registry: ModelRegistry,
    name: str,
    options: TrainingOptions,
    progress: Progress = lambda _step: None,
    *,
    database: Database | None = None,
    actor: str = "shipyard train",
) -> TrainingReport:
    dataset = training_dataset(name)
    candidates = candidates_for(options.algorithm, dataset.pipeline)
    progress(f"Loading {dataset.description}")
    features, target = dataset.load()
    split = stratified_split(features, target, test_size=options.test_size, seed=options.seed)
    positive = dataset.positive_label

    cv_auc: dict[str, float] = {}
    for algorithm, build in candidates.items():
        progress(f"Cross-validating {algorithm} (5 folds)")
        pipeline = build(split.train_features, options.seed)
        cv_auc[algorithm] = cross_validated_auc(
            pipeline, split.train_features, split.train_target, positive=positive, seed=options.seed
        )
    chosen = max(cv_auc, key=lambda algorithm: cv_auc[algorithm])

    progress(f"Fitting {chosen} on {len(split.train_features)} rows")
    estimator = candidates[chosen](split.train_features, options.seed)
    estimator.fit(split.train_features, split.train_target)
    metrics = holdout_metrics(estimator, split.test_features, split.test_target, positive=positive)

    progress("Scoring the current champion on the same holdout")
    champion = _current_champion(registry, name, options.alias)
    champion_metrics = None
    warnings: list[str] = []
    if champion is not None:
        warnings = _split_differences(registry.run_params(champion.version), options)
        champion_metrics = holdout_metrics(
            champion.estimator, split.test_features, split.test_target, positive=positive
        )

    reference_data = split.train_features
    if len(reference_data) > REFERENCE_DATA_MAX_ROWS:
        reference_data = reference_data.sample(REFERENCE_DATA_MAX_ROWS, random_state=options.seed)
    progress("Converting to ONNX and checking it against the pipeline")
    onnx = onnx_export(estimator, reference_data)

    progress("Logging the run, the model and its reference profile to MLflow")
    version = registry.log_training_run(
        TrainingRun(
            model_name=name,
            estimator=estimator,
            input_example=split.train_features.head(3),
            params={
                "algorithm": chosen,
                "test_size": options.test_size,
                "seed": options.seed,
                "train_rows": len(split.train_features),
                "test_rows": len(split.test_features),
                "positive_label": positive,
            },
            metrics={**metrics.as_dict(), **{f"cv_roc_auc_{k}": v for k, v in cv_auc.items()}},
            profile=build_reference_profile(
                split.train_features, split.train_target, seed=options.seed
            ),
            reference_data=reference_data,
            reference_labels=split.train_target.loc[reference_data.index],
            optional_columns=columns_with_gaps(features),
            onnx=onnx,
            skops_trusted_types=untrusted_types_of(estimator),
            tags={
                "shipyard.example": name,
                "shipyard.algorithm": chosen,
                "sklearn_version": sklearn.__version__,
                "python_version": platform.python_version(),
            },
        )
    )
    promoted = champion_metrics is None or metrics.roc_auc > champion_metrics.roc_auc
    if promoted:
        promote_trained(
            registry,
            database,
            version,
            options.alias,
            actor=actor,
            reason=f"shipyard train {name}: holdout ROC AUC {metrics.roc_auc:.4f}",
            progress=progress,
        )
    return TrainingReport(
        model_name=name,
        algorithm=chosen,
        cv_auc=cv_auc,
        metrics=metrics,
        version=version,
        champion_before=champion.version.version if champion else None,
        champion_metrics=champion_metrics,
        promoted=promoted,
        train_rows=len(split.train_features),
        test_rows=len(split.test_features),
        warnings=warnings,
    )
