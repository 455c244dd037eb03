"""Shadow predictions: written in batches, read back beside the answers they shadow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shipyard.db.tables import FeedbackRow, PredictionRow, ShadowPredictionRow


def insert_shadows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(ShadowPredictionRow), list(rows))


@dataclass(frozen=True, slots=True)
class ShadowPair:
    """One logged answer, the challenger's answer to the same record, and the truth."""

    served_label: str
    served_probabilities: dict[str, float]
    shadow_label: str
    shadow_probabilities: dict[str, float]
    feedback: str | None


def shadow_pairs(
    session: Session,
    model_name: str,
    challenger: str,
    served: str,
    start: datetime,
    end: datetime,
    limit: int,
) -> list[ShadowPair]:
    """The latest ``limit`` answers of version ``served`` in [start, end) that
    ``challenger`` shadowed."""
    rows = session.execute(
        select(
            PredictionRow.label,
            PredictionRow.probabilities,
            ShadowPredictionRow.label,
            ShadowPredictionRow.probabilities,
            FeedbackRow.label,
        )
        .join(ShadowPredictionRow, ShadowPredictionRow.prediction_id == PredictionRow.id)
        .outerjoin(FeedbackRow, FeedbackRow.prediction_id == PredictionRow.id)
        .where(
            PredictionRow.model_name == model_name,
            PredictionRow.model_version == served,
            ShadowPredictionRow.model_version == challenger,
            PredictionRow.created_at >= start,
            PredictionRow.created_at < end,
        )
        .order_by(PredictionRow.created_at.desc())
        .limit(limit)
    )
    return [ShadowPair(*row) for row in rows]
