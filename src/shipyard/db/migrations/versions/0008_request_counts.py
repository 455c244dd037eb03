"""request counts: scoring requests per minute, model, status and latency bucket

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shipyard.db.tables import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_counts",
        sa.Column("minute", UTCDateTime(), primary_key=True),
        sa.Column("model_name", sa.String(200), primary_key=True),
        sa.Column("status", sa.Integer(), primary_key=True),
        sa.Column("le_seconds", sa.Float(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_request_counts_model_minute", "request_counts", ["model_name", "minute"])


def downgrade() -> None:
    op.drop_index("ix_request_counts_model_minute", table_name="request_counts")
    op.drop_table("request_counts")
