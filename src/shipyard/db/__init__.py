"""The prediction log in SQL: tables, engine, migrations, queries and the group-commit writer.

The only package that imports SQLAlchemy or Alembic. Others use :data:`Session` and
:func:`session_scope` from here.
"""

from shipyard.db.engine import Database, Session, configured_database, open_database
from shipyard.db.migrate import schema_problem, upgrade_database

__all__ = [
    "Database",
    "Session",
    "configured_database",
    "open_database",
    "schema_problem",
    "upgrade_database",
]
