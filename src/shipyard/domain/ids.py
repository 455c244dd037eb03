"""Identifiers that sort by time yet cannot be guessed."""

from __future__ import annotations

import os
import time
import uuid

_RANDOM_BYTES = 16  # 128 bits drawn, 74 kept: those not holding time, version or variant
_TIME_AND_VERSION = (0x7 << 76) | (0b10 << 62)
_RANDOM_BITS = (((1 << 12) - 1) << 64) | ((1 << 62) - 1)  # rand_a (bits 64-75), rand_b (0-61)


def new_ids(count: int) -> list[uuid.UUID]:
    """``count`` UUIDv7s (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Time-ordered ids keep B-tree inserts at the right edge of the index; the 74 random bits,
    from the operating system's CSPRNG, make an id of somebody else's prediction infeasible
    to guess. One read of the CSPRNG serves the whole batch (a 1,000-record request).
    """
    millis = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    prefix = (millis << 80) | _TIME_AND_VERSION
    pool = os.urandom(_RANDOM_BYTES * count)
    return [
        _uuid_of(prefix | (int.from_bytes(pool[start : start + _RANDOM_BYTES]) & _RANDOM_BITS))
        for start in range(0, len(pool), _RANDOM_BYTES)
    ]


def _uuid_of(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` for a value already known to be a valid 128-bit UUID,
    without the constructor's argument checks: a third of the time (CPython 3.14's own
    ``uuid7()`` builds its UUIDs this way)."""
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


def new_id() -> uuid.UUID:
    """One :func:`new_ids`."""
    return new_ids(1)[0]
