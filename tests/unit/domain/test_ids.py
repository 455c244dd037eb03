from __future__ import annotations

import pickle
import time
import uuid

from shipyard.domain.ids import new_id, new_ids


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


def test_a_batch_of_ids_is_distinct_and_every_random_bit_varies() -> None:
    batch = new_ids(4_096)
    assert len(set(batch)) == 4_096
    assert {identifier.version for identifier in batch} == {7}
    # rand_a (12 bits) and rand_b (62 bits) are drawn independently: none is a copy of another
    rand_a = [(identifier.int >> 64) & 0xFFF for identifier in batch]
    low_bits = [identifier.int & 0xFFF for identifier in batch]
    assert rand_a != low_bits
    # each of the 74 random bit positions takes both values across the batch
    mask = (0xFFF << 64) | ((1 << 62) - 1)
    ones = 0
    zeros = 0
    for identifier in batch:
        ones |= identifier.int & mask
        zeros |= ~identifier.int & mask
    assert ones == zeros == mask


def test_an_id_behaves_as_the_uuid_its_text_parses_to() -> None:
    identifier = new_id()
    parsed = uuid.UUID(str(identifier))
    assert identifier == parsed
    assert hash(identifier) == hash(parsed)
    assert identifier.hex == parsed.hex
    assert pickle.loads(pickle.dumps(identifier)) == parsed
    assert identifier.is_safe == parsed.is_safe
