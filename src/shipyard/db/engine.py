"""Engines and sessions. SQLite runs in WAL mode with full fsync on commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic_core
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from shipyard.config import Settings
from shipyard.errors import DatabaseUnavailable

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # FULL: a commit survives power loss, not only a crash of the process.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
)


# Each setting and the values under which a commit is on disk before it is acknowledged.
_POSTGRES_DURABILITY = (
    ("fsync", {"on"}),
    ("synchronous_commit", {"on", "remote_apply", "remote_write", "local"}),
    ("full_page_writes", {"on"}),
)


def _reason(error: DBAPIError) -> str:
    text_of_error = str(error.orig).lower()
    if "no such table" in text_of_error or "does not exist" in text_of_error:
        return "its schema is not migrated; run `shipyard db upgrade`"
    return type(error.orig).__name__


@contextmanager
def reported_as_unavailable() -> Iterator[None]:
    """Turn "the database cannot answer" (unreachable, locked, not migrated) into
    :class:`DatabaseUnavailable`: a 503 in the API, a one-line message in the CLI."""
    try:
        yield
    except (OperationalError, ProgrammingError, InterfaceError) as error:
        raise DatabaseUnavailable(_reason(error)) from error


def is_connection_failure(failure: SQLAlchemyError) -> bool:
    """The database could not be reached or dropped the connection (not a bad statement)."""
    if isinstance(failure, DBAPIError) and failure.connection_invalidated:
        return True
    return isinstance(failure, (OperationalError, InterfaceError))


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in (*SQLITE_PRAGMAS, f"PRAGMA busy_timeout={busy_timeout_ms}"):
            cursor.execute(pragma)
        cursor.close()

    return apply


@dataclass(frozen=True)
class Database:
    """An engine and the session factory bound to it."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """A session whose transaction commits when the block ends, or rolls back on error.

        A database that cannot answer (unreachable, locked, not migrated) is reported as
        :class:`DatabaseUnavailable` (503 + Retry-After), never as a crash.
        """
        with reported_as_unavailable(), self.sessions.begin() as session:
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def durability_problems(self) -> list[str]:
        """Settings under which a committed (and so acknowledged) row could still be lost."""
        try:
            with self.engine.connect() as connection:
                if self.is_sqlite:
                    level = connection.exec_driver_sql("PRAGMA synchronous").scalar()
                    return [] if level in (2, 3) else [f"SQLite synchronous={level}, not FULL"]
                problems = []
                for setting, safe in _POSTGRES_DURABILITY:
                    value = str(connection.exec_driver_sql(f"SHOW {setting}").scalar())
                    if value not in safe:
                        problems.append(f"PostgreSQL {setting}={value}")
                return problems
        except SQLAlchemyError:
            return []  # unreachable: readiness reports that, and this runs again at start

    def dispose(self) -> None:
        self.engine.dispose()


def _json_text(document: Any) -> str:
    return pydantic_core.to_json(document).decode()


def open_database(url: str, *, timeout_seconds: int = 5, echo: bool = False) -> Database:
    """Build the engine for ``url`` (creating the folder of a SQLite file if needed).

    ``timeout_seconds`` bounds a connection attempt and a wait for a lock (PostgreSQL's
    ``connect_timeout`` and ``lock_timeout``, SQLite's ``busy_timeout``): past it the database
    counts as unavailable instead of hanging requests.
    """
    parsed = make_url(url)
    options: dict[str, Any] = {
        "echo": echo,
        "pool_pre_ping": True,
        # JSON columns (a prediction's inputs and probabilities) encoded in Rust: the
        # stdlib encoder was a third of the log writer's CPU per row.
        "json_serializer": _json_text,
    }
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Connections move between the writer thread and the threadpool.
        options["connect_args"] = {"check_same_thread": False}
    elif parsed.get_backend_name() == "postgresql":
        options["connect_args"] = {
            "connect_timeout": timeout_seconds,
            "options": f"-c lock_timeout={timeout_seconds * 1000}",
            # A link that drops silently (a partition, a dead host) breaks a kept connection
            # within about the timeout, instead of the kernel's ~15 minutes.
            "keepalives": 1,
            "keepalives_idle": timeout_seconds,
            "keepalives_interval": 1,
            "keepalives_count": 3,
            "tcp_user_timeout": timeout_seconds * 1000,
        }
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(timeout_seconds * 1000))
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


__all__ = [
    "Database",
    "Session",
    "is_connection_failure",
    "open_database",
    "reported_as_unavailable",
]


@contextmanager
def configured_database(settings: Settings) -> Iterator[Database]:
    """The prediction log the settings name, disposed of after the block."""
    database = open_database(
        settings.resolved_database_url(), timeout_seconds=settings.database_timeout_seconds
    )
    try:
        yield database
    finally:
        database.dispose()
