"""Keyed requests: the first answer is stored with the request's rows, in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shipyard.db.tables import IdempotencyRow
from shipyard.domain.prediction import IdempotentRequest

_INSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def insert_ignoring_duplicates(dialect_name: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the dialect."""
    return _INSERT[dialect_name]


def claim_key(connection: Connection, request: IdempotentRequest) -> bool:
    """Store the answer for its key; False when the key already holds an answer."""
    insert = insert_ignoring_duplicates(connection.dialect.name)
    result = connection.execute(
        insert(IdempotencyRow)
        .values(
            caller_id=request.caller_id,
            key=request.key,
            fingerprint=request.fingerprint,
            response=request.response,
            created_at=request.created_at,
        )
        .on_conflict_do_nothing(index_elements=["caller_id", "key"])
        .returning(IdempotencyRow.key)
    )
    # RETURNING, not rowcount: drivers disagree on rowcount for a skipped conflict.
    return result.first() is not None


def find_answer(session: Session, caller_id: str, key: str) -> IdempotentRequest | None:
    row = session.execute(
        select(IdempotencyRow).where(
            IdempotencyRow.caller_id == caller_id, IdempotencyRow.key == key
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return IdempotentRequest(
        caller_id=row.caller_id,
        key=row.key,
        fingerprint=row.fingerprint,
        response=row.response,
        created_at=row.created_at,
    )
