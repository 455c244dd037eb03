"""Register a model that arrives trained (the sentiment example): nothing to fit or hold out,
but a real corpus as its reference data, so that it is served, logged and monitored like a
trained one."""

from __future__ import annotations

import platform
from dataclasses import dataclass

import pandas as pd
import sklearn

from shipyard.db import Database
from shipyard.domain.model import ModelVersion
from shipyard.monitoring.profile import build_reference_profile
from shipyard.registry import REFERENCE_DATA_MAX_ROWS, ModelRegistry, TrainingRun
from shipyard.registry.skops_policy import untrusted_types_of
from shipyard.services.promotion import alias_version
from shipyard.services.training import Progress, promote_trained
from shipyard.training.datasets import PretrainedExample


@dataclass(frozen=True)
class PretrainedReport:
    model_name: str
    version: ModelVersion
    reference_rows: int
    label_shares: dict[str, float]
    """Predicted on the reference corpus (it has no true labels)."""
    champion_before: str | None
    promoted: bool


def register_pretrained(
    registry: ModelRegistry,
    example: PretrainedExample,
    *,
    seed: int = 42,
    alias: str = "champion",
    progress: Progress = lambda _step: None,
    database: Database | None = None,
    actor: str = "shipyard train",
) -> PretrainedReport:
    """Log and register the model with (a sample of) its corpus as reference data; the
    serving alias moves only when it names no version yet: with no labelled holdout there
    is nothing to win on, so a later version is promoted by hand (``shipyard models
    promote``)."""
    progress(f"Loading {example.description}")
    corpus = example.load_corpus().reset_index(drop=True)
    reference = corpus
    if len(reference) > REFERENCE_DATA_MAX_ROWS:
        reference = reference.sample(REFERENCE_DATA_MAX_ROWS, random_state=seed)
    reference = reference.reset_index(drop=True)
    estimator = example.build().fit(reference)
    progress(f"Predicting the {len(reference)} reference rows")
    predicted = pd.Series(estimator.predict(reference), name="predicted label").astype(str)
    shares = {str(k): float(v) for k, v in predicted.value_counts(normalize=True).items()}
    progress("Logging the model and its reference profile to MLflow")
    version = registry.log_training_run(
        TrainingRun(
            model_name=example.name,
            estimator=estimator,
            input_example=reference.head(3),
            params={
                "algorithm": type(estimator).__name__,
                "pretrained": "true",
                "seed": seed,
                "reference_rows": len(reference),
                "corpus_rows": len(corpus),
            },
            metrics={f"reference_share_{label}": share for label, share in shares.items()},
            profile=build_reference_profile(
                reference, predicted, seed=seed, text_columns=example.text_columns
            ),
            reference_data=reference,
            onnx=None,  # a lexicon and rules in Python: no graph to convert to
            skops_trusted_types=untrusted_types_of(estimator),
            tags={
                "shipyard.example": example.name,
                "shipyard.algorithm": type(estimator).__name__,
                "shipyard.pretrained": "true",
                "sklearn_version": sklearn.__version__,
                "python_version": platform.python_version(),
            },
        )
    )
    champion = alias_version(registry, example.name, alias)
    promoted = champion is None
    if promoted:
        promote_trained(
            registry,
            database,
            version,
            alias,
            actor=actor,
            reason=f"shipyard train {example.name}: pretrained, first version",
            progress=progress,
        )
    return PretrainedReport(
        model_name=example.name,
        version=version,
        reference_rows=len(reference),
        label_shares=shares,
        champion_before=champion,
        promoted=promoted,
    )
