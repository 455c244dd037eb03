"""monitoring runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shipyard.db.tables import JsonDocument, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_runs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(50), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("window_end", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("drift_share", sa.Float(), nullable=False),
        sa.Column("dataset_drift", sa.Boolean(), nullable=False),
        sa.Column("report", JsonDocument, nullable=False),
        sa.Column("slot", sa.String(40), nullable=True),
    )
    op.create_index(
        "ix_monitoring_runs_model_created_at", "monitoring_runs", ["model_name", "created_at"]
    )
    op.create_table(
        "monitoring_claims",
        sa.Column("model_name", sa.String(200), primary_key=True),
        sa.Column("slot", sa.String(40), primary_key=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("monitoring_claims")
    op.drop_index("ix_monitoring_runs_model_created_at", "monitoring_runs")
    op.drop_table("monitoring_runs")
