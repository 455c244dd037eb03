"""What one prediction is, from the model's answer to the row in the log."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipyard.domain.timestamps import as_utc

JsonRecord = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Score:
    """A classifier's answer for one record."""

    label: str
    probabilities: dict[str, float]


@dataclass(frozen=True, slots=True)
class PredictionEntry:
    """One predicted record as it is written to the log (and answered to the caller)."""

    id: uuid.UUID
    created_at: datetime
    model_name: str
    model_version: str
    inputs: JsonRecord
    label: str
    probabilities: dict[str, float]
    latency_ms: float
    request_id: str
    caller_id: str


@dataclass(frozen=True, slots=True)
class Feedback:
    """The true label of a logged prediction, sent later by whoever learns it."""

    prediction_id: uuid.UUID
    label: str
    created_at: datetime
    caller_id: str


@dataclass(frozen=True, slots=True)
class LoggedPrediction:
    """A row of the log with its feedback, if any."""

    entry: PredictionEntry
    feedback: Feedback | None


@dataclass(frozen=True, slots=True)
class PredictionFilter:
    """Which predictions to read. Times are compared in UTC; zone-less ones are UTC."""

    model_name: str | None = None
    model_version: str | None = None
    label: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    caller_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_after", as_utc(self.created_after))
        object.__setattr__(self, "created_before", as_utc(self.created_before))


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """The first answer to a request sent with an ``Idempotency-Key``, kept for its retries."""

    caller_id: str
    key: str
    fingerprint: str  # SHA-256 of what was asked (model and body): a retry must match it
    response: dict[str, Any]
    created_at: datetime
