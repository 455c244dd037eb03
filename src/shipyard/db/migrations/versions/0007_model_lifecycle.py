"""model lifecycle: alias moves, model cards and shadow predictions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shipyard.db.tables import JsonDocument, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alias_moves",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("from_version", sa.String(50), nullable=True),
        sa.Column("to_version", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_alias_moves_model_alias_created_at",
        "alias_moves",
        ["model_name", "alias", "created_at"],
    )
    op.create_table(
        "model_cards",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("champion_version", sa.String(50), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("card", JsonDocument, nullable=False),
    )
    op.create_index("ix_model_cards_model_created_at", "model_cards", ["model_name", "created_at"])
    op.create_table(
        "shadow_predictions",
        sa.Column("prediction_id", sa.Uuid(), primary_key=True),
        sa.Column("model_version", sa.String(50), primary_key=True),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("probabilities", JsonDocument, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_shadow_predictions_model_version_created_at",
        "shadow_predictions",
        ["model_name", "model_version", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_shadow_predictions_model_version_created_at", table_name="shadow_predictions")
    op.drop_table("shadow_predictions")
    op.drop_index("ix_model_cards_model_created_at", table_name="model_cards")
    op.drop_table("model_cards")
    op.drop_index("ix_alias_moves_model_alias_created_at", table_name="alias_moves")
    op.drop_table("alias_moves")
