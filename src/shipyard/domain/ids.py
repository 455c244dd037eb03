"""Identifiers that sort by time yet cannot be guessed."""

from __future__ import annotations

import os
import time
import uuid

_RANDOM_BYTES = 10  # 80 bits drawn, 74 kept
_TIME_AND_VERSION = (0x7 << 76) | (0b10 << 62)
_RAND_A = ((1 << 12) - 1) << 64
_RAND_B = (1 << 62) - 1


def new_ids(count: int) -> list[uuid.UUID]:
    """``count`` UUIDv7s (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Time-ordered ids keep B-tree inserts at the right edge of the index; the 74 random bits,
    from the operating system's CSPRNG, make an id of somebody else's prediction infeasible
    to guess. One read of the CSPRNG serves the whole batch (a 1,000-record request).
    """
    millis = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    prefix = (millis << 80) | _TIME_AND_VERSION
    pool = os.urandom(_RANDOM_BYTES * count)
    ids = []
    for start in range(0, len(pool), _RANDOM_BYTES):
        bits = int.from_bytes(pool[start : start + _RANDOM_BYTES])
        rand_a = ((bits >> 62) << 64) & _RAND_A  # bits 62-73
        ids.append(uuid.UUID(int=prefix | rand_a | (bits & _RAND_B)))  # and bits 0-61
    return ids


def new_id() -> uuid.UUID:
    """One :func:`new_ids`."""
    return new_ids(1)[0]
