"""Retention: the log keeps what the configured period says, and no more."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from shipyard.db import Database
from shipyard.db import predictions as log

logger = logging.getLogger(__name__)


def prune(database: Database, older_than: timedelta, *, now: datetime | None = None) -> int:
    """Delete predictions older than ``older_than``; returns how many."""
    cutoff = (now or datetime.now(UTC)) - older_than
    with database.session_scope() as session:
        return log.prune_before(session, cutoff)


async def prune_periodically(database: Database, older_than: timedelta, every: timedelta) -> None:
    """The in-process schedule of ``SHIPYARD_RETENTION__MAX_AGE``: prune, sleep, repeat."""
    while True:
        try:
            removed = await asyncio.to_thread(prune, database, older_than)
            if removed:
                logger.info("retention: removed %d predictions older than %s", removed, older_than)
        except Exception:  # a schedule boundary: log it and try again next time
            logger.exception("retention: pruning failed; retrying in %s", every)
        await asyncio.sleep(every.total_seconds())
