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
    scores = predict_records(served.predictor, records, served.input_schema)
    return records, scores, (time.perf_counter() - started) * 1000.0


async def predict(
    runtime: Runtime, model_name: str, body: bytes, *, request_id: str, caller_id: str = ""
) -> PredictionOutcome:
    """Score a request body with the served version of ``model_name`` and log every record."""
    served = runtime.models.get(model_name)  # read once: the whole request uses this version
    records, scores, latency_ms = await asyncio.to_thread(_score, served, body)
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
    await asyncio.wrap_future(runtime.writer.submit(entries))
    return PredictionOutcome(request_id=request_id, entries=entries)
