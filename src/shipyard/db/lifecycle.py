"""Alias moves and model cards in SQL."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shipyard.db.tables import AliasMoveRow, FeedbackRow, ModelCardRow, PredictionRow
from shipyard.domain.lifecycle import AliasMove, MoveKind
from shipyard.schemas.lifecycle import ModelCard


def save_move(session: Session, move: AliasMove) -> None:
    session.add(
        AliasMoveRow(
            id=uuid.uuid4(),
            model_name=move.model,
            alias=move.alias,
            from_version=move.from_version,
            to_version=move.to_version,
            kind=move.kind.value,
            actor=move.actor,
            reason=move.reason[:1000],
            created_at=move.created_at,
        )
    )


def recent_moves(
    session: Session, model_name: str, alias: str | None = None, limit: int = 100
) -> list[AliasMove]:
    """The model's alias moves (of one alias, or all), newest first."""
    query = select(AliasMoveRow).where(AliasMoveRow.model_name == model_name)
    if alias is not None:
        query = query.where(AliasMoveRow.alias == alias)
    rows = session.scalars(
        query.order_by(AliasMoveRow.created_at.desc(), AliasMoveRow.id.desc()).limit(limit)
    )
    return [
        AliasMove(
            model=row.model_name,
            alias=row.alias,
            from_version=row.from_version,
            to_version=row.to_version,
            kind=MoveKind(row.kind),
            actor=row.actor,
            reason=row.reason,
            created_at=row.created_at,
        )
        for row in rows
    ]


def save_card(session: Session, card: ModelCard) -> None:
    session.add(
        ModelCardRow(
            id=uuid.UUID(card.id),
            model_name=card.model,
            version=card.version,
            champion_version=card.champion_version,
            outcome=card.outcome,
            created_at=card.created_at,
            card=card.model_dump(mode="json"),
        )
    )


def recent_cards(session: Session, model_name: str, limit: int) -> list[ModelCard]:
    rows = session.scalars(
        select(ModelCardRow)
        .where(ModelCardRow.model_name == model_name)
        .order_by(ModelCardRow.created_at.desc(), ModelCardRow.id.desc())
        .limit(limit)
    )
    return [ModelCard.model_validate(row.card) for row in rows]


def last_card_at(session: Session, model_name: str) -> datetime | None:
    """When the model was last retrained (its newest card), if ever."""
    return session.scalar(
        select(func.max(ModelCardRow.created_at)).where(ModelCardRow.model_name == model_name)
    )


def labels_since(session: Session, model_name: str, since: datetime) -> int:
    """Feedback labels sent since ``since`` for the model's predictions."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(FeedbackRow)
            .join(PredictionRow, PredictionRow.id == FeedbackRow.prediction_id)
            .where(PredictionRow.model_name == model_name, FeedbackRow.created_at >= since)
        )
        or 0
    )
