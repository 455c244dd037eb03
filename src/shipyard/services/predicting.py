"""The path of one prediction request, without the HTTP around it.

validate -> predict (off the event loop) -> hand rows to the log writer -> wait for the
commit -> answer. A record is never answered unless its row is committed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from shipyard.domain.ids import new_id
from shipyard.domain.prediction import PredictionEntry, Score
from shipyard.errors import InvalidInput, Unavailable
from shipyard.services.runtime import Runtime
from shipyard.serving.models import ServedModel
from shipyard.serving.predictor import predict_records


@dataclass(frozen=True)
class PredictionOutcome:
    request_id: str
    entries: list[PredictionEntry]


def _score(served: ServedModel, body: bytes) -> tuple[list[dict[str, object]], list[Score], float]:
    started = time.perf_counter()
    records = served.validator.parse(body)
    try:
        scores = predict_records(served.predictor, records, served.input_schema)
    except (ValueError, TypeError, OverflowError) as error:
        # Schema-valid records the model still cannot take (e.g. a value it never saw and
        # cannot encode): the caller's records, not the server, need to change.
        raise PredictionFailed(served.name, served.version, str(error)) from error
    return records, scores, (time.perf_counter() - started) * 1000.0


async def predict(
    runtime: Runtime, model_name: str, body: bytes, *, request_id: str, caller_id: str = ""
) -> PredictionOutcome:
    """Score a request body with the served version of ``model_name`` and log every record."""
    served = runtime.models.get(model_name)  # read once: the whole request uses this version
    loop = asyncio.get_running_loop()
    records, scores, latency_ms = await loop.run_in_executor(
        runtime.predict_pool, _score, served, body
    )
    created_at = datetime.now(UTC)
    entries = [
        PredictionEntry(
            id=new_id(),
            created_at=created_at,
            model_name=served.name,
            model_version=served.version,
            inputs=record,
            label=score.label,
            probabilities=score.probabilities,
            latency_ms=latency_ms,
            request_id=request_id,
            caller_id=caller_id,
        )
        for record, score in zip(records, scores, strict=True)
    ]
    committed = asyncio.wrap_future(runtime.writer.submit(entries))
    timeout = runtime.settings.log_writer.commit_timeout_seconds
    try:
        # Shielded: a request that is cancelled does not cancel the shared commit.
        await asyncio.wait_for(asyncio.shield(committed), timeout)
    except TimeoutError:
        raise CommitTimeout(timeout) from None
    return PredictionOutcome(request_id=request_id, entries=entries)


class CommitTimeout(Unavailable):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the prediction log did not commit within {seconds:g} s; nothing was answered, "
            "retry with the same request"
        )


class PredictionFailed(InvalidInput):
    def __init__(self, name: str, version: str, reason: str) -> None:
        super().__init__(f"{name} v{version} could not score these records: {reason}")
