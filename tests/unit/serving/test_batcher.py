"""Micro-batching with a real scikit-learn model and real threads."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shipyard.serving.batcher import MicroBatcher, score_alone
from shipyard.serving.choice import PredictorChoice
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import SklearnClassifier
from shipyard.serving.records import RecordValidator
from tests.unit.serving.sizes import SCHEMA, sizes_pipeline


def _served(version: str, flip: bool = False) -> ServedModel:
    pipeline = sizes_pipeline(flip=flip)
    return ServedModel(
        name="sizes",
        version=version,
        predictor=SklearnClassifier(pipeline),
        validator=RecordValidator("sizes", SCHEMA, max_rows=1_000),
        choice=PredictorChoice("sklearn", "test"),
    )


@pytest.fixture(scope="module")
def served() -> ServedModel:
    return _served("1")


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


def _requests(count: int) -> list[list[dict[str, Any]]]:
    """Requests of 1 to 3 records with varied values."""
    colours = ["red", "blue", "green"]
    return [
        [
            {"size": float((index * 7 + row) % 11), "colour": colours[(index + row) % 3]}
            for row in range(1 + index % 3)
        ]
        for index in range(count)
    ]


async def test_a_batched_answer_equals_the_unbatched_one_for_every_record(
    served: ServedModel, pool: ThreadPoolExecutor
) -> None:
    batcher = MicroBatcher(pool, slots=2, max_rows=64)
    requests = _requests(120)
    answers = await asyncio.gather(*(batcher.score(served, records) for records in requests))
    for records, answer in zip(requests, answers, strict=True):
        alone = score_alone(served, records).scores
        assert [s.label for s in answer.scores] == [s.label for s in alone]
        for batched, single in zip(answer.scores, alone, strict=True):
            assert batched.probabilities == pytest.approx(single.probabilities, abs=1e-12)
    # 120 requests of 240 records arrived together: they shared a handful of calls.
    assert batcher.stats.records == sum(len(r) for r in requests)
    assert batcher.stats.calls < len(requests) / 10
    assert batcher.stats.largest <= 64


async def test_a_lone_request_is_predicted_at_once_and_big_ones_on_their_own(
    served: ServedModel, pool: ThreadPoolExecutor
) -> None:
    batcher = MicroBatcher(pool, slots=2, max_rows=4)
    await batcher.score(served, _requests(1)[0])
    big = [{"size": 3.0, "colour": "red"}] * 10
    answer = await batcher.score(served, big)
    assert len(answer.scores) == 10
    assert (batcher.stats.calls, batcher.stats.largest) == (2, 10)


async def test_one_bad_request_fails_alone(served: ServedModel, pool: ThreadPoolExecutor) -> None:
    batcher = MicroBatcher(pool, slots=1, max_rows=64)
    good = _requests(6)
    bad = [{"size": "not a number", "colour": "red"}]  # past validation only in this test
    outcomes = await asyncio.gather(
        *(batcher.score(served, records) for records in [*good[:3], bad, *good[3:]]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[3], ValueError)
    for records, outcome in zip(
        [*good[:3], *good[3:]], [*outcomes[:3], *outcomes[4:]], strict=True
    ):
        assert not isinstance(outcome, BaseException)
        assert outcome.scores == score_alone(served, records).scores


async def test_versions_never_share_a_call(pool: ThreadPoolExecutor) -> None:
    first, second = _served("1"), _served("2", flip=True)
    batcher = MicroBatcher(pool, slots=2, max_rows=64)
    record = [{"size": 1.0, "colour": "red"}]
    answers = await asyncio.gather(
        *(batcher.score(first if i % 2 else second, record) for i in range(20))
    )
    for index, answer in enumerate(answers):
        model = first if index % 2 else second
        assert answer.scores == score_alone(model, record).scores
    assert {a.scores[0].label for a in answers} == {"small", "big"}


async def test_a_cancelled_request_does_not_disturb_the_others(
    served: ServedModel, pool: ThreadPoolExecutor
) -> None:
    batcher = MicroBatcher(pool, slots=1, max_rows=64)
    requests = _requests(10)
    tasks = [asyncio.create_task(batcher.score(served, records)) for records in requests]
    await asyncio.sleep(0)
    tasks[4].cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(outcomes[4], asyncio.CancelledError)
    assert all(not isinstance(o, BaseException) for i, o in enumerate(outcomes) if i != 4)


async def test_max_wait_holds_a_small_batch_for_company(
    served: ServedModel, pool: ThreadPoolExecutor
) -> None:
    batcher = MicroBatcher(pool, slots=2, max_rows=64, max_wait_seconds=0.5)
    first = asyncio.create_task(batcher.score(served, _requests(1)[0]))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(batcher.score(served, _requests(2)[1]))
    await asyncio.gather(first, second)
    assert batcher.stats.calls == 1


async def test_batching_off_scores_each_request_on_its_own(
    served: ServedModel, pool: ThreadPoolExecutor
) -> None:
    batcher = MicroBatcher(pool, slots=2, max_rows=64, enabled=False)
    await asyncio.gather(*(batcher.score(served, records) for records in _requests(8)))
    assert batcher.stats.calls == 8


async def test_requests_fail_at_once_when_the_prediction_threads_are_gone(
    served: ServedModel,
) -> None:
    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    batcher = MicroBatcher(pool, slots=1, max_rows=64)
    for _ in range(2):  # the slot came back: the second request is dispatched (and fails) too
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(batcher.score(served, _requests(1)[0]), timeout=5)
