"""Tables. Classes end in ``Row``; "model" in a name always means an ML model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
    Uuid,
)
from sqlalchemy import text as sa_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; shipyard stores UTC-aware timestamps only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class PredictionRow(Base):
    """One predicted record: what came in, what the model said, who asked and when."""

    __tablename__ = "predictions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    model_name: Mapped[str] = mapped_column(String(200), nullable=False)
    model_version: Mapped[str] = mapped_column(String(50), nullable=False)
    inputs: Mapped[dict[str, Any]] = mapped_column(JsonDocument, nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    probabilities: Mapped[dict[str, float]] = mapped_column(JsonDocument, nullable=False)
    latency_ms: Mapped[float] = mapped_column(Float, nullable=False)
    request_id: Mapped[str] = mapped_column(String(200), nullable=False)
    caller_id: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    __table_args__ = (
        Index("ix_predictions_created_at_id", "created_at", "id"),
        Index("ix_predictions_model_created_at", "model_name", "created_at"),
        Index("ix_predictions_request_id", "request_id"),
        Index("ix_predictions_caller_created_at", "caller_id", "created_at"),
    )


class FeedbackRow(Base):
    """The true label of a prediction, at most one per prediction."""

    __tablename__ = "feedback"

    prediction_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("predictions.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    caller_id: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class IdempotencyRow(Base):
    """The first answer to a keyed request; written in the same transaction as its rows."""

    __tablename__ = "idempotency_keys"

    caller_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    response: Mapped[dict[str, Any]] = mapped_column(JsonDocument, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class ApiKeyRow(Base):
    """An API key: the secret is never stored, only its SHA-256."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    scopes: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        # One active key per name: names are how people revoke them.
        Index(
            "ux_api_keys_active_name",
            "name",
            unique=True,
            sqlite_where=sa_text("revoked_at IS NULL"),
            postgresql_where=sa_text("revoked_at IS NULL"),
        ),
    )


class UserRow(Base):
    """A user: the password is stored as an Argon2 hash only."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    scopes: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MonitoringRunRow(Base):
    """One monitoring run of one model: headline numbers in columns, the whole report as
    JSON. A scheduled run names its ``slot`` (the period it ran for)."""

    __tablename__ = "monitoring_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200), nullable=False)
    model_version: Mapped[str] = mapped_column(String(50), nullable=False)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    drift_share: Mapped[float] = mapped_column(Float, nullable=False)
    dataset_drift: Mapped[bool] = mapped_column(Boolean, nullable=False)
    report: Mapped[dict[str, Any]] = mapped_column(JsonDocument, nullable=False)
    slot: Mapped[str | None] = mapped_column(String(40), nullable=True)

    __table_args__ = (Index("ix_monitoring_runs_model_created_at", "model_name", "created_at"),)


class MonitoringClaimRow(Base):
    """Who runs the scheduled monitoring of a model for one period: the first worker or
    replica to insert the row; the others skip that period."""

    __tablename__ = "monitoring_claims"

    model_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    slot: Mapped[str] = mapped_column(String(40), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AlertStateRow(Base):
    """What was last told about one alert rule on one subject (``rule:subject``)."""

    __tablename__ = "alert_states"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    firing: Mapped[bool] = mapped_column(Boolean, nullable=False)
    since: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AliasMoveRow(Base):
    """One move of a model's alias made through shipyard (train, retrain, promote,
    rollback): what it named before and after, who moved it and why."""

    __tablename__ = "alias_moves"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200), nullable=False)
    alias: Mapped[str] = mapped_column(String(100), nullable=False)
    from_version: Mapped[str | None] = mapped_column(String(50), nullable=True)
    to_version: Mapped[str] = mapped_column(String(50), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str] = mapped_column(String(1000), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_alias_moves_model_alias_created_at", "model_name", "alias", "created_at"),
    )


class ModelCardRow(Base):
    """The model card of a retrained version: headline fields in columns, the card as JSON."""

    __tablename__ = "model_cards"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200), nullable=False)
    version: Mapped[str] = mapped_column(String(50), nullable=False)
    champion_version: Mapped[str | None] = mapped_column(String(50), nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    card: Mapped[dict[str, Any]] = mapped_column(JsonDocument, nullable=False)

    __table_args__ = (Index("ix_model_cards_model_created_at", "model_name", "created_at"),)


class ShadowPredictionRow(Base):
    """What a ``@challenger`` answered for a logged prediction, scored off the response
    path. No foreign key: the prediction's own row may still wait in the spool."""

    __tablename__ = "shadow_predictions"

    prediction_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(50), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    probabilities: Mapped[dict[str, float]] = mapped_column(JsonDocument, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index(
            "ix_shadow_predictions_model_version_created_at",
            "model_name",
            "model_version",
            "created_at",
        ),
    )


class RequestCountRow(Base):
    """Scoring requests of one minute, model, status code and latency bucket, added up
    across workers and replicas (each adds what it counted since its last flush)."""

    __tablename__ = "request_counts"

    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[int] = mapped_column(Integer, primary_key=True)
    le_seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index("ix_request_counts_model_minute", "model_name", "minute"),)
