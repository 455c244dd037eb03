"""Identifiers that sort by time yet cannot be guessed."""

from __future__ import annotations

import secrets
import time
import uuid


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Time-ordered ids keep B-tree inserts at the right edge of the index; the 74 random
    bits make an id of somebody else's prediction infeasible to guess.
    """
    millis = time.time_ns() // 1_000_000
    random_bits = secrets.randbits(74)
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (random_bits >> 62) << 64  # 12 bits: rand_a
    value |= 0b10 << 62  # RFC 4122 variant
    value |= random_bits & ((1 << 62) - 1)  # 62 bits: rand_b
    return uuid.UUID(int=value)
