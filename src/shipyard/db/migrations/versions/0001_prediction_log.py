"""prediction log and feedback

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shipyard.db.tables import JsonDocument, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(50), nullable=False),
        sa.Column("inputs", JsonDocument, nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("probabilities", JsonDocument, nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=False),
        sa.Column("caller_id", sa.String(200), nullable=False),
    )
    op.create_index("ix_predictions_created_at_id", "predictions", ["created_at", "id"])
    op.create_index("ix_predictions_model_created_at", "predictions", ["model_name", "created_at"])
    op.create_index("ix_predictions_request_id", "predictions", ["request_id"])
    op.create_table(
        "feedback",
        sa.Column(
            "prediction_id",
            sa.Uuid(),
            sa.ForeignKey("predictions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("caller_id", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_index("ix_predictions_request_id", table_name="predictions")
    op.drop_index("ix_predictions_model_created_at", table_name="predictions")
    op.drop_index("ix_predictions_created_at_id", table_name="predictions")
    op.drop_table("predictions")
