"""Monitoring reports built by hand, for tests of what reads them (rules, charts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shipyard.schemas.monitoring import (
    ClassificationScores,
    ColumnDrift,
    DatasetDrift,
    MonitoringReport,
    Performance,
    PredictionDrift,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def drift(column: str) -> ColumnDrift:
    return ColumnDrift(
        column=column,
        kind="numeric",
        method="ks",
        score=0.5,
        threshold=0.05,
        drifted=False,
        psi=0.0,
        reference_rows=100,
        current_rows=100,
    )


def monitoring_report(
    *,
    drifted: bool = False,
    realised_auc: float | None = None,
    estimated_auc: float = 0.82,
    training_auc: float = 0.83,
    window_end: datetime = NOW,
) -> MonitoringReport:
    return MonitoringReport(
        id="0123456789abcdef",
        model="attrition",
        version="1",
        window_start=window_end - timedelta(hours=1),
        window_end=window_end,
        created_at=window_end,
        rows=500,
        dataset_drift=DatasetDrift(
            drifted_columns=20 if drifted else 1,
            columns=30,
            share=0.67 if drifted else 0.03,
            threshold=0.5,
            drifted=drifted,
        ),
        columns=[],
        quality=[],
        prediction=PredictionDrift(
            label=drift("label"),
            probability=drift("probability"),
            reference_label_shares={},
            current_label_shares={},
        ),
        performance=Performance(
            positive_label="Yes",
            reference={"roc_auc": training_auc},
            realised=ClassificationScores(rows=200, roc_auc=realised_auc) if realised_auc else None,
            estimated=ClassificationScores(rows=500, roc_auc=estimated_auc),
            labelled_share=0.4,
        ),
        seconds=1.0,
    )
