from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class PredictedRecordRead(BaseModel):
    """The answer for one record."""

    prediction_id: uuid.UUID
    model: str
    version: str
    label: str
    probabilities: dict[str, float] = Field(description="class label -> probability")
    latency_ms: float = Field(
        description="time the model took for the call that scored this record (one call may "
        "score the records of several concurrent requests)"
    )


class PredictResponse(BaseModel):
    request_id: str
    predictions: list[PredictedRecordRead]


class InvocationsRead(BaseModel):
    """MLflow's answer at ``/invocations``: the predicted label of each record, in order."""

    predictions: list[str]


class FeedbackCreate(BaseModel):
    model_config = {"extra": "forbid"}

    label: str = Field(min_length=1, max_length=200, description="the true label")


class FeedbackRead(BaseModel):
    prediction_id: uuid.UUID
    label: str
    created_at: datetime


class PredictionRead(BaseModel):
    id: uuid.UUID
    created_at: datetime
    model: str
    version: str
    inputs: dict[str, Any]
    label: str
    probabilities: dict[str, float]
    latency_ms: float
    request_id: str
    caller_id: str
    feedback: FeedbackRead | None


class PredictionPage(BaseModel):
    items: list[PredictionRead]
    next_cursor: str | None = Field(
        description="pass as ?cursor= to get the next (older) page; null on the last page"
    )
