"""Model cards, alias moves and the requests that move an alias.

A model card is written for every retrained candidate: stored in SQL (``model_cards``), as
``model_card.json`` with the candidate's MLflow run, served by
``GET /v1/models/{name}/cards`` and sent, in short, with the alert of its outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shipyard.schemas.monitoring import ClassificationScores

RetrainOutcome = Literal["promoted", "challenger"]
"""``promoted``: the candidate is the champion now; ``challenger``: it is registered and
aliased ``@challenger``, and the champion stays."""


class TrainingData(BaseModel):
    rows: int = Field(description="rows the candidate was fitted on")
    reference_rows: int = Field(description="of which from the champion's training data")
    feedback_rows: int = Field(description="of which labelled feedback from the log")
    sha256: str = Field(description="hash of the fitted rows and labels, in order")
    feedback_since: datetime = Field(description="start of the feedback window read")
    notes: list[str] = Field(default_factory=list)


class Holdout(BaseModel):
    rows: int
    positives: int | None = Field(description="rows of the positive class (two classes)")
    source: str = Field(description="where the holdout rows come from")


class Comparison(BaseModel):
    """Candidate against champion on the same holdout, with a paired bootstrap."""

    metric: str
    candidate: float
    champion: float
    difference: float = Field(description="candidate - champion")
    ci_low: float = Field(description="2.5th percentile of the bootstrapped difference")
    ci_high: float = Field(description="97.5th percentile of the bootstrapped difference")
    p_value: float = Field(description="share of bootstrap rounds where the candidate did not win")
    rounds: int
    margin: float
    alpha: float | None
    candidate_metrics: dict[str, float]
    champion_metrics: dict[str, float]


class DriftAtTraining(BaseModel):
    monitoring_run: str | None = Field(description="id of the champion's latest monitoring run")
    drifted_columns: int | None = None
    columns: int | None = None
    share: float | None = None
    realised_roc_auc: float | None = None
    estimated_roc_auc: float | None = None


class ModelCard(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    id: str
    model: str
    version: str = Field(description="the candidate's registered version")
    champion_version: str = Field(description="the champion it was compared with")
    created_at: datetime
    outcome: RetrainOutcome
    reasons: list[str] = Field(description="why it was promoted, or why not")
    trigger: str = Field(description="what started the retrain")
    promoted_by: str | None = Field(description="who or what moved @champion; null if kept")
    estimator: str = Field(description="the fitted estimator (a clone of the champion's)")
    training_data: TrainingData
    holdout: Holdout
    comparison: Comparison
    drift: DriftAtTraining


class AliasMoveRead(BaseModel):
    model: str
    alias: str
    from_version: str | None
    to_version: str
    kind: Literal["train", "retrain", "promote", "rollback"]
    actor: str
    reason: str
    created_at: datetime


class AliasMovePage(BaseModel):
    items: list[AliasMoveRead]


class ModelCardPage(BaseModel):
    items: list[ModelCard]


class PromoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(pattern=r"^[0-9]+$", description="the version to serve", examples=["3"])
    reason: str = Field("", max_length=1000, description="why, for the history")


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str | None = Field(
        None,
        pattern=r"^[0-9]+$",
        description="the version to return to; default: the one served before the current",
    )
    reason: str = Field("", max_length=1000, description="why, for the history")


class RetrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    promote: bool | None = Field(
        None, description="promote a winner at once; default: the retrain.promote setting"
    )


class ComparisonRead(BaseModel):
    """The served version and its ``@challenger`` on the same requests (shadow scoring)."""

    model_config = ConfigDict(protected_namespaces=())

    model: str
    served_version: str | None
    challenger_version: str | None = Field(description="null while there is no challenger")
    window_start: datetime
    window_end: datetime
    rows: int = Field(description="answers of the served version the challenger shadowed")
    agreement: float | None = Field(description="share of those where both gave the same label")
    mean_probability_difference: float | None = Field(
        description="mean |challenger - served| probability of the positive (last) class"
    )
    labelled_rows: int = Field(description="of the rows, those with a feedback label")
    served: ClassificationScores | None = Field(description="on the labelled rows")
    challenger: ClassificationScores | None = Field(description="on the same labelled rows")
