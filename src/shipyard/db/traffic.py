"""Traffic over time: scoring requests from ``request_counts``, predicted labels from the
log, both counted per time bucket in SQL (one row per bucket and group, not per request)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, cast, delete, func, literal, select
from sqlalchemy.orm import Session

from shipyard.db.idempotency import insert_ignoring_duplicates
from shipyard.db.tables import PredictionRow, RequestCountRow
from shipyard.domain.traffic import RequestCount


def add_request_counts(session: Session, counts: Sequence[RequestCount]) -> None:
    """Add the counts to the stored ones (``INSERT … ON CONFLICT DO UPDATE count + n``),
    in the order given (sorted by the tally, so that writers never wait on each other in a
    cycle)."""
    if not counts:
        return
    insert = insert_ignoring_duplicates(session.get_bind().dialect.name)
    statement = insert(RequestCountRow)
    statement = statement.on_conflict_do_update(
        index_elements=["minute", "model_name", "status", "le_seconds"],
        set_={"count": RequestCountRow.count + statement.excluded.count},
    )
    session.execute(
        statement,
        [
            {
                "minute": c.minute,
                "model_name": c.model,
                "status": c.status,
                "le_seconds": c.le_seconds,
                "count": c.count,
            }
            for c in counts
        ],
    )


def _bucket(session: Session, column: Any, start: datetime, seconds: int) -> Any:
    """The index of the ``seconds``-long bucket after ``start`` that ``column`` falls in."""
    origin = literal(int(start.timestamp()), BigInteger)
    if session.get_bind().dialect.name == "sqlite":
        epoch = cast(func.strftime("%s", column), Integer)
        return cast((epoch - origin) / seconds, Integer)
    return cast(func.floor((func.extract("epoch", column) - origin) / seconds), Integer)


def request_buckets(
    session: Session, model_name: str, start: datetime, end: datetime, seconds: int
) -> list[tuple[int, int, float, int]]:
    """(bucket, status, latency bound, requests) of the model's scoring requests."""
    bucket = _bucket(session, RequestCountRow.minute, start, seconds).label("bucket")
    rows = session.execute(
        select(
            bucket,
            RequestCountRow.status,
            RequestCountRow.le_seconds,
            func.sum(RequestCountRow.count),
        )
        .where(
            RequestCountRow.model_name == model_name,
            RequestCountRow.minute >= start,
            RequestCountRow.minute < end,
        )
        .group_by(bucket, RequestCountRow.status, RequestCountRow.le_seconds)
    )
    return [(int(b), int(s), float(le), int(n)) for b, s, le, n in rows]


def label_buckets(
    session: Session, model_name: str, start: datetime, end: datetime, seconds: int
) -> list[tuple[int, str, int]]:
    """(bucket, predicted label, predictions) of the model's logged predictions."""
    bucket = _bucket(session, PredictionRow.created_at, start, seconds).label("bucket")
    rows = session.execute(
        select(bucket, PredictionRow.label, func.count())
        .where(
            PredictionRow.model_name == model_name,
            PredictionRow.created_at >= start,
            PredictionRow.created_at < end,
        )
        .group_by(bucket, PredictionRow.label)
    )
    return [(int(b), str(label), int(n)) for b, label, n in rows]


def prune_request_counts(session: Session, cutoff: datetime) -> None:
    session.execute(delete(RequestCountRow).where(RequestCountRow.minute < cutoff))
