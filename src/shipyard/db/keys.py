"""Queries over API keys. Callers own the transaction (``Database.session_scope``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shipyard.db.tables import ApiKeyRow
from shipyard.domain.auth import ApiKey, format_scopes, parse_scopes
from shipyard.errors import ApiKeyNameTaken, ApiKeyNotFound


def _to_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        owner=row.owner,
        prefix=row.prefix,
        scopes=parse_scopes(row.scopes),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def insert_key(session: Session, key: ApiKey, secret_sha256: str) -> None:
    session.add(
        ApiKeyRow(
            id=key.id,
            name=key.name,
            owner=key.owner,
            prefix=key.prefix,
            secret_sha256=secret_sha256,
            scopes=format_scopes(key.scopes),
            created_at=key.created_at,
            revoked_at=None,
        )
    )
    try:
        session.flush()
    except IntegrityError as error:
        raise ApiKeyNameTaken(key.name) from error


def list_keys(session: Session, *, include_revoked: bool = False) -> list[ApiKey]:
    query = select(ApiKeyRow).order_by(ApiKeyRow.created_at)
    if not include_revoked:
        query = query.where(ApiKeyRow.revoked_at.is_(None))
    return [_to_key(row) for row in session.execute(query).scalars()]


def revoke_key(session: Session, name: str, at: datetime) -> ApiKey:
    row = session.execute(
        select(ApiKeyRow).where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        raise ApiKeyNotFound(name)
    row.revoked_at = at
    return _to_key(row)


def find_by_prefix(session: Session, prefix: str) -> tuple[ApiKey, str] | None:
    """The key with this prefix and the SHA-256 of its secret (revoked keys included)."""
    row = session.execute(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix)).scalar_one_or_none()
    return None if row is None else (_to_key(row), row.secret_sha256)
