from __future__ import annotations

import time

from shipyard.domain.ids import new_id


def test_ids_are_uuid7_with_the_rfc_variant() -> None:
    identifier = new_id()
    assert identifier.version == 7
    assert identifier.variant == "specified in RFC 4122"


def test_ids_carry_the_current_millisecond_and_sort_by_time() -> None:
    before = time.time_ns() // 1_000_000
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= first.int >> 80 <= after
    assert first < second


def test_ids_do_not_repeat() -> None:
    assert len({new_id() for _ in range(10_000)}) == 10_000
