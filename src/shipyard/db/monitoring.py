"""Monitoring runs in SQL: stored whole, read latest-first, claimed once per period."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shipyard.db.idempotency import insert_ignoring_duplicates
from shipyard.db.tables import MonitoringClaimRow, MonitoringRunRow
from shipyard.schemas.monitoring import MonitoringReport


def save_run(session: Session, report: MonitoringReport, slot: str | None = None) -> None:
    session.add(
        MonitoringRunRow(
            id=uuid.UUID(report.id),
            model_name=report.model,
            model_version=report.version,
            window_start=report.window_start,
            window_end=report.window_end,
            created_at=report.created_at,
            rows=report.rows,
            drift_share=report.dataset_drift.share,
            dataset_drift=report.dataset_drift.drifted,
            report=report.model_dump(mode="json"),
            slot=slot,
        )
    )


def recent_runs(session: Session, model_name: str, limit: int) -> list[MonitoringReport]:
    """The model's runs, newest first."""
    rows = session.scalars(
        select(MonitoringRunRow)
        .where(MonitoringRunRow.model_name == model_name)
        .order_by(MonitoringRunRow.created_at.desc(), MonitoringRunRow.id.desc())
        .limit(limit)
    )
    return [MonitoringReport.model_validate(row.report) for row in rows]


def latest_runs(session: Session, model_names: tuple[str, ...]) -> dict[str, MonitoringReport]:
    """The newest run of each model that has one."""
    latest: dict[str, MonitoringReport] = {}
    for name in model_names:
        runs = recent_runs(session, name, 1)
        if runs:
            latest[name] = runs[0]
    return latest


def claim_slot(session: Session, model_name: str, slot: str, now: datetime) -> bool:
    """True for the one caller that claims (model, slot) first; False for every other."""
    insert = insert_ignoring_duplicates(session.get_bind().dialect.name)
    claimed = session.execute(
        insert(MonitoringClaimRow)
        .values(model_name=model_name, slot=slot, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["model_name", "slot"])
        .returning(MonitoringClaimRow.slot)
    ).first()
    return claimed is not None


def forget_claims_before(session: Session, before: datetime) -> None:
    session.execute(delete(MonitoringClaimRow).where(MonitoringClaimRow.claimed_at < before))


def release_slot(session: Session, model_name: str, slot: str) -> None:
    """Give a claimed period back (its run failed)."""
    session.execute(
        delete(MonitoringClaimRow).where(
            MonitoringClaimRow.model_name == model_name, MonitoringClaimRow.slot == slot
        )
    )
