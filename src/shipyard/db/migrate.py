"""Alembic, driven from code: the migrations ship inside the wheel."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from shipyard.db.engine import Database, reported_as_unavailable
from shipyard.errors import DatabaseUnavailable

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database(database: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    config = _alembic_config()
    with reported_as_unavailable(), database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade_database(database: Database, revision: str) -> None:
    config = _alembic_config()
    with reported_as_unavailable(), database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(database: Database) -> str | None:
    with reported_as_unavailable(), database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def schema_problem(database: Database) -> str | None:
    """Why the database cannot take predictions yet, or None when its schema is current."""
    try:
        current = current_revision(database)
    except (SQLAlchemyError, DatabaseUnavailable) as error:
        return f"cannot read the schema version: {type(error).__name__}"
    head = head_revision()
    if current != head:
        found = current or "nothing"
        return f"database schema is at {found}, expected {head}: run `shipyard db upgrade`"
    return None
