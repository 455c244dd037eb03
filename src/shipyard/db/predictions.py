"""Queries over the prediction log. Callers own the transaction (``Database.session_scope``)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection, delete, func, select, tuple_
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from shipyard.db.idempotency import insert_ignoring_duplicates
from shipyard.db.tables import FeedbackRow, IdempotencyRow, PredictionRow, ShadowPredictionRow
from shipyard.db.traffic import prune_request_counts
from shipyard.domain.prediction import Feedback, LoggedPrediction, PredictionEntry, PredictionFilter
from shipyard.errors import FeedbackConflict, InvalidCursor, PredictionNotFound


def entry_values(entry: PredictionEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": entry.created_at,
        "model_name": entry.model_name,
        "model_version": entry.model_version,
        "inputs": dict(entry.inputs),
        "label": entry.label,
        "probabilities": entry.probabilities,
        "latency_ms": entry.latency_ms,
        "request_id": entry.request_id,
        "caller_id": entry.caller_id,
    }


def insert_entries(
    connection: Connection, entries: Sequence[PredictionEntry], *, skip_existing: bool = False
) -> None:
    """Insert many rows as multi-row ``INSERT … VALUES (…), (…)`` statements of up to 1,000
    rows (:func:`_statement_sizes`), each one round trip to PostgreSQL and one step of
    SQLite's engine.

    The values are what SQLAlchemy itself binds for each column (its own bind processors),
    applied here without its per-row, per-column machinery, which was most of the log
    writer's time; a request's rows share one timestamp, converted once. On SQLite, one
    statement also releases the GIL once for all its rows, not once per row as
    ``executemany`` does. ``skip_existing``: a row whose id is already logged is left alone
    (a replay).
    """
    if not entries:
        return
    dialect = connection.dialect
    binders = _binders(dialect)
    largest = dialect.insertmanyvalues_max_parameters // len(_LOGGED_COLUMNS)
    created: dict[datetime, Any] = {}
    start = 0
    for rows in _statement_sizes(len(entries), largest):
        chunk = entries[start : start + rows]
        start += rows
        parameters: list[Any] = []
        for entry in chunk:
            stamp = created.get(entry.created_at)
            if stamp is None:
                stamp = created[entry.created_at] = binders.created_at(entry.created_at)
            parameters += (
                binders.id(entry.id),
                stamp,
                entry.model_name,
                entry.model_version,
                binders.json(dict(entry.inputs)),
                entry.label,
                binders.json(entry.probabilities),
                entry.latency_ms,
                entry.request_id,
                entry.caller_id,
            )
        connection.exec_driver_sql(
            _multirow_insert(dialect.paramstyle, len(chunk), skip_existing),
            tuple(parameters),
        )


_LOGGED_COLUMNS = (
    "id",
    "created_at",
    "model_name",
    "model_version",
    "inputs",
    "label",
    "probabilities",
    "latency_ms",
    "request_id",
    "caller_id",
)
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


_STATEMENT_ROWS = (1_000, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1)


def _statement_sizes(rows: int, largest: int) -> Iterator[int]:
    """Rows per statement, largest first, from a few fixed sizes: a handful of statement
    texts covers any batch, so each is built once and stays prepared in the driver's cache
    (a text per batch size would be parsed again and again, and kept by the thousand)."""
    sizes = [size for size in _STATEMENT_ROWS if size <= largest] or [1]
    while rows > 0:
        size = next(size for size in sizes if size <= rows)
        yield size
        rows -= size


@dataclass(frozen=True, slots=True)
class _Binders:
    id: Callable[[Any], Any]
    created_at: Callable[[Any], Any]
    json: Callable[[Any], Any]


def _no_conversion(value: Any) -> Any:
    return value


@lru_cache(maxsize=16)  # one per engine's dialect
def _binders(dialect: Dialect) -> _Binders:
    """SQLAlchemy's own conversion of each converted column's values, for this dialect."""
    columns = PredictionRow.__table__.c

    def binder(column: str) -> Callable[[Any], Any]:
        process = columns[column].type.dialect_impl(dialect).bind_processor(dialect)
        return process if process is not None else _no_conversion

    return _Binders(id=binder("id"), created_at=binder("created_at"), json=binder("inputs"))


@cache
def _multirow_insert(paramstyle: str, rows: int, skip_existing: bool) -> str:
    placeholder = _PLACEHOLDERS.get(paramstyle)
    if placeholder is None:
        raise NotImplementedError(f"no multi-row INSERT for the {paramstyle!r} paramstyle")
    row = "(" + ", ".join([placeholder] * len(_LOGGED_COLUMNS)) + ")"
    columns = ", ".join(_LOGGED_COLUMNS)
    values = ", ".join([row] * rows)
    # Built from constants of this module only (table, columns, placeholders): every value
    # is a bound parameter.
    statement = f"INSERT INTO predictions ({columns}) VALUES {values}"  # nosec B608
    return statement + " ON CONFLICT (id) DO NOTHING" if skip_existing else statement


def _to_entry(row: PredictionRow) -> PredictionEntry:
    return PredictionEntry(
        id=row.id,
        created_at=row.created_at,
        model_name=row.model_name,
        model_version=row.model_version,
        inputs=row.inputs,
        label=row.label,
        probabilities=row.probabilities,
        latency_ms=row.latency_ms,
        request_id=row.request_id,
        caller_id=row.caller_id,
    )


def _to_feedback(row: FeedbackRow | None) -> Feedback | None:
    if row is None:
        return None
    return Feedback(
        prediction_id=row.prediction_id,
        label=row.label,
        created_at=row.created_at,
        caller_id=row.caller_id,
    )


def get_prediction(session: Session, prediction_id: uuid.UUID) -> LoggedPrediction:
    found = session.execute(
        select(PredictionRow, FeedbackRow)
        .outerjoin(FeedbackRow, FeedbackRow.prediction_id == PredictionRow.id)
        .where(PredictionRow.id == prediction_id)
    ).first()
    if found is None:
        raise PredictionNotFound(str(prediction_id))
    return LoggedPrediction(entry=_to_entry(found[0]), feedback=_to_feedback(found[1]))


def encode_cursor(created_at: datetime, prediction_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(prediction_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, prediction_id = json.loads(raw)
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("cursor time without a zone")
        return moment.astimezone(UTC), uuid.UUID(prediction_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, OverflowError) as error:
        raise InvalidCursor() from error


def page_predictions(
    session: Session,
    where: PredictionFilter,
    *,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[LoggedPrediction], str | None]:
    """Newest first, keyset-paginated on (created_at, id): stable while rows keep arriving."""
    query = select(PredictionRow, FeedbackRow).outerjoin(
        FeedbackRow, FeedbackRow.prediction_id == PredictionRow.id
    )
    if where.model_name is not None:
        query = query.where(PredictionRow.model_name == where.model_name)
    if where.model_version is not None:
        query = query.where(PredictionRow.model_version == where.model_version)
    if where.label is not None:
        query = query.where(PredictionRow.label == where.label)
    if where.caller_id is not None:
        query = query.where(PredictionRow.caller_id == where.caller_id)
    if where.created_after is not None:
        query = query.where(PredictionRow.created_at >= where.created_after)
    if where.created_before is not None:
        query = query.where(PredictionRow.created_at < where.created_before)
    if cursor is not None:
        after = decode_cursor(cursor)
        query = query.where(tuple_(PredictionRow.created_at, PredictionRow.id) < after)
    query = query.order_by(PredictionRow.created_at.desc(), PredictionRow.id.desc())
    rows = session.execute(query.limit(limit + 1)).all()
    items = [LoggedPrediction(_to_entry(row[0]), _to_feedback(row[1])) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1].entry
        next_cursor = encode_cursor(last.created_at, last.id)
    return items, next_cursor


def count_predictions(session: Session, model_name: str | None = None) -> int:
    query = select(func.count()).select_from(PredictionRow)
    if model_name is not None:
        query = query.where(PredictionRow.model_name == model_name)
    return int(session.execute(query).scalar_one())


def record_feedback(session: Session, feedback: Feedback) -> Feedback:
    """Store the true label once; the same label again is a no-op, a different one a conflict.

    Concurrent first submissions do not race: the insert ignores a duplicate key, and every
    caller then compares its label with the one that was stored.
    """
    if session.get(PredictionRow, feedback.prediction_id) is None:
        raise PredictionNotFound(str(feedback.prediction_id))
    insert_feedback = insert_ignoring_duplicates(session.get_bind().dialect.name)
    session.execute(
        insert_feedback(FeedbackRow)
        .values(
            prediction_id=feedback.prediction_id,
            label=feedback.label,
            created_at=feedback.created_at,
            caller_id=feedback.caller_id,
        )
        .on_conflict_do_nothing(index_elements=["prediction_id"])
    )
    stored = session.get(FeedbackRow, feedback.prediction_id, populate_existing=True)
    assert stored is not None  # inserted just now, or by whoever came first
    if stored.label != feedback.label:
        raise FeedbackConflict(str(feedback.prediction_id), stored.label, feedback.label)
    recorded = _to_feedback(stored)
    assert recorded is not None
    return recorded


def prune_before(session: Session, cutoff: datetime) -> int:
    """Delete predictions (with their feedback and shadow answers), idempotency keys and
    request counts older than ``cutoff``."""
    prune_request_counts(session, cutoff)
    session.execute(delete(IdempotencyRow).where(IdempotencyRow.created_at < cutoff))
    session.execute(delete(ShadowPredictionRow).where(ShadowPredictionRow.created_at < cutoff))
    old = select(PredictionRow.id).where(PredictionRow.created_at < cutoff)
    session.execute(delete(FeedbackRow).where(FeedbackRow.prediction_id.in_(old)))
    result = session.execute(delete(PredictionRow).where(PredictionRow.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def label_counts(session: Session, model_name: str, since: datetime) -> dict[str, int]:
    """Predictions of the model since ``since``, counted by predicted label."""
    rows = session.execute(
        select(PredictionRow.label, func.count())
        .where(PredictionRow.model_name == model_name, PredictionRow.created_at >= since)
        .group_by(PredictionRow.label)
    )
    return {str(label): int(count) for label, count in rows}
