"""Times from callers: zone-less means UTC; everything is compared in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from shipyard.errors import InvalidInput


class TimeOutOfRange(InvalidInput):
    def __init__(self, moment: datetime) -> None:
        super().__init__(f"{moment.isoformat()} cannot be expressed in UTC; use a nearer time")


def as_utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC; a time without a zone is taken to be UTC already."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise TimeOutOfRange(moment) from None
