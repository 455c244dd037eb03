"""The prediction log: list, read one, attach the true label."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from shipyard.api.deps import RuntimeDep
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.security import ReadCaller
from shipyard.domain.auth import Principal
from shipyard.domain.prediction import Feedback, LoggedPrediction, PredictionFilter
from shipyard.schemas.predictions import (
    FeedbackCreate,
    FeedbackRead,
    PredictionPage,
    PredictionRead,
)
from shipyard.services import predictions as service

router = APIRouter(prefix="/v1/predictions", tags=["predictions"])


def _feedback_read(feedback: Feedback) -> FeedbackRead:
    return FeedbackRead(
        prediction_id=feedback.prediction_id, label=feedback.label, created_at=feedback.created_at
    )


def _prediction_read(logged: LoggedPrediction) -> PredictionRead:
    entry = logged.entry
    return PredictionRead(
        id=entry.id,
        created_at=entry.created_at,
        model=entry.model_name,
        version=entry.model_version,
        inputs=dict(entry.inputs),
        label=entry.label,
        probabilities=entry.probabilities,
        latency_ms=entry.latency_ms,
        request_id=entry.request_id,
        caller_id=entry.caller_id,
        feedback=_feedback_read(logged.feedback) if logged.feedback else None,
    )


def _owner(caller: Principal) -> str | None:
    """Whose predictions the caller may touch: its own, or anyone's for an admin."""
    return None if caller.is_admin else caller.caller_id


@router.get("", response_model=PredictionPage, responses=ERROR_RESPONSES)
async def list_predictions(
    runtime: RuntimeDep,
    caller: ReadCaller,
    model: Annotated[str | None, Query(max_length=200)] = None,
    version: Annotated[str | None, Query(max_length=50)] = None,
    label: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="created at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="created before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> PredictionPage:
    """Newest first. Follow ``next_cursor`` for older pages. Times without a zone are UTC.

    A caller sees its own predictions; an admin sees everyone's."""
    where = PredictionFilter(
        caller_id=None if caller.is_admin else caller.caller_id,
        model_name=model,
        model_version=version,
        label=label,
        created_after=since,
        created_before=until,
    )
    items, next_cursor = await asyncio.to_thread(
        service.list_predictions, runtime.database, where, limit=limit, cursor=cursor
    )
    return PredictionPage(items=[_prediction_read(i) for i in items], next_cursor=next_cursor)


@router.get("/{prediction_id}", response_model=PredictionRead, responses=ERROR_RESPONSES)
async def get_prediction(
    prediction_id: uuid.UUID, runtime: RuntimeDep, caller: ReadCaller
) -> PredictionRead:
    """One logged prediction with its inputs, outputs and feedback (404 if it is another
    caller's, unless you are an admin)."""
    logged = await asyncio.to_thread(
        service.get_prediction, runtime.database, prediction_id, owner=_owner(caller)
    )
    return _prediction_read(logged)


@router.post("/{prediction_id}/feedback", response_model=FeedbackRead, responses=ERROR_RESPONSES)
async def create_feedback(
    prediction_id: uuid.UUID, body: FeedbackCreate, runtime: RuntimeDep, caller: ReadCaller
) -> FeedbackRead:
    """Record the true label of one of your predictions (once; the same label again is
    accepted)."""
    feedback = await asyncio.to_thread(
        service.record_feedback,
        runtime.database,
        runtime.models,
        prediction_id,
        body.label,
        caller_id=caller.caller_id,
        owner=_owner(caller),
    )
    return _feedback_read(feedback)
