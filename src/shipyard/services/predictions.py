"""Reading the prediction log and recording feedback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from shipyard.db import Database
from shipyard.db import predictions as log
from shipyard.domain.prediction import Feedback, LoggedPrediction, PredictionFilter
from shipyard.errors import InvalidInput, PredictionNotFound
from shipyard.serving.models import ServedModels


def list_predictions(
    database: Database, where: PredictionFilter, *, limit: int, cursor: str | None
) -> tuple[list[LoggedPrediction], str | None]:
    with database.session_scope() as session:
        return log.page_predictions(session, where, limit=limit, cursor=cursor)


def get_prediction(
    database: Database, prediction_id: uuid.UUID, *, owner: str | None = None
) -> LoggedPrediction:
    """One prediction; with an ``owner``, another caller's prediction is not found (404),
    so that its existence does not leak either."""
    with database.session_scope() as session:
        return _owned(log.get_prediction(session, prediction_id), owner)


def _owned(logged: LoggedPrediction, owner: str | None) -> LoggedPrediction:
    if owner is not None and logged.entry.caller_id != owner:
        raise PredictionNotFound(str(logged.entry.id))
    return logged


class UnknownLabel(InvalidInput):
    def __init__(self, label: str, classes: tuple[str, ...]) -> None:
        super().__init__(
            f"label {label!r} is not a class of this model; use one of: {', '.join(classes)}"
        )


def record_feedback(
    database: Database,
    models: ServedModels,
    prediction_id: uuid.UUID,
    label: str,
    *,
    caller_id: str = "",
    owner: str | None = None,
) -> Feedback:
    """Store the true label of a prediction; it must be one of the model's classes."""
    feedback = Feedback(
        prediction_id=prediction_id,
        label=label,
        created_at=datetime.now(UTC),
        caller_id=caller_id,
    )
    with database.session_scope() as session:
        logged = _owned(log.get_prediction(session, prediction_id), owner)
        served = models.loaded().get(logged.entry.model_name)
        classes = served.predictor.classes if served else tuple(logged.entry.probabilities)
        if label not in classes:
            raise UnknownLabel(label, classes)
        return log.record_feedback(session, feedback)
