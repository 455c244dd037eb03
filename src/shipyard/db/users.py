"""Queries over users. Callers own the transaction (``Database.session_scope``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shipyard.db.tables import UserRow
from shipyard.domain.auth import User, format_scopes, parse_scopes
from shipyard.errors import UserNameTaken, UserNotFound


def _to_user(row: UserRow) -> User:
    return User(
        id=row.id,
        name=row.name,
        scopes=parse_scopes(row.scopes),
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def insert_user(session: Session, user: User, password_hash: str) -> None:
    session.add(
        UserRow(
            id=user.id,
            name=user.name,
            password_hash=password_hash,
            scopes=format_scopes(user.scopes),
            created_at=user.created_at,
            disabled_at=None,
        )
    )
    try:
        session.flush()
    except IntegrityError as error:
        raise UserNameTaken(user.name) from error


def list_users(session: Session) -> list[User]:
    return [
        _to_user(row) for row in session.execute(select(UserRow).order_by(UserRow.name)).scalars()
    ]


def find_user(session: Session, name: str) -> tuple[User, str] | None:
    """The user and its password hash (disabled users included)."""
    row = session.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
    return None if row is None else (_to_user(row), row.password_hash)


def disable_user(session: Session, name: str, at: datetime) -> User:
    row = session.execute(
        select(UserRow).where(UserRow.name == name, UserRow.disabled_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        raise UserNotFound(name)
    row.disabled_at = at
    return _to_user(row)
