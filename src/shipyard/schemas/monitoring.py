"""A monitoring run's report: what drifted, how good the data is, how well the model does.

One document per run: stored in SQL as JSON, served by ``GET /v1/models/{name}/monitoring``
and written as JSON and HTML reports. What "drifted" means is in
:mod:`shipyard.domain.monitoring`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

DriftMethod = Literal["ks", "chisquare", "z", "wasserstein", "jensenshannon"]
ColumnKind = Literal["numeric", "categorical", "text"]
"""``text``: a descriptor of a free-text input, named ``"<input>: <descriptor>"`` (see
:mod:`shipyard.monitoring.text`), compared as numbers."""


class ColumnDrift(BaseModel):
    """One column, reference against current."""

    column: str
    kind: ColumnKind
    method: DriftMethod
    score: float | None = Field(description="p-value for tests, distance otherwise")
    threshold: float
    drifted: bool
    psi: float | None = Field(description="population stability index (0.1: moderate, 0.2: large)")
    reference_rows: int
    current_rows: int = Field(description="non-missing values in the window")


class ColumnQuality(BaseModel):
    """Data quality of one column in the window."""

    column: str
    missing_share: float
    out_of_range_share: float | None = Field(
        None, description="numbers outside the reference's [min, max]"
    )
    unseen_share: float | None = Field(None, description="categories the reference never had")
    unseen_examples: list[str] = Field(default_factory=list)


class PredictionDrift(BaseModel):
    """What the model answered in the window against what it answers on the reference."""

    label: ColumnDrift
    probability: ColumnDrift = Field(description="of the positive (last) class")
    reference_label_shares: dict[str, float]
    current_label_shares: dict[str, float]


class ClassificationScores(BaseModel):
    rows: int
    accuracy: float | None = None
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    roc_auc: float | None = None


class Performance(BaseModel):
    """Realised from feedback labels; estimated from the probabilities alone (CBPE)."""

    positive_label: str
    reference: dict[str, float] = Field(description="the version's holdout metrics at training")
    realised: ClassificationScores | None = Field(
        None, description="on the window's predictions that have a feedback label"
    )
    estimated: ClassificationScores = Field(
        description="confidence-based (CBPE): expected scores if the probabilities are calibrated"
    )
    labelled_share: float


class DatasetDrift(BaseModel):
    drifted_columns: int
    columns: int
    share: float
    threshold: float = Field(description="share of drifted columns at which the data set drifts")
    drifted: bool


class MonitoringReport(BaseModel):
    """Everything one monitoring run found."""

    id: str
    model: str
    version: str = Field(description="the version whose reference data was compared")
    window_start: datetime
    window_end: datetime
    created_at: datetime
    rows: int = Field(description="logged predictions in the window")
    dataset_drift: DatasetDrift
    columns: list[ColumnDrift]
    quality: list[ColumnQuality]
    prediction: PredictionDrift
    performance: Performance
    seconds: float = Field(description="how long the run took")


class MonitoringPage(BaseModel):
    """The latest run and the ones before it, newest first."""

    latest: MonitoringReport | None = Field(description="null until a run has happened")
    history: list[MonitoringReport]
