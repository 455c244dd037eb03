"""The path of one prediction request, without the HTTP around it.

validate -> predict (off the event loop) -> hand rows to the log writer -> wait for the
commit -> answer. A record is never answered unless its row is committed.

With an idempotency key, the first answer is committed together with the rows; a retry with
the same key and the same request gets that answer back and adds no row.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shipyard.db import idempotency
from shipyard.domain.ids import new_ids
from shipyard.domain.prediction import IdempotentRequest, PredictionEntry
from shipyard.errors import Conflict, DatabaseUnavailable, InvalidInput, Unavailable
from shipyard.services.runtime import Runtime
from shipyard.serving.batcher import Scored
from shipyard.serving.models import ServedModel


@dataclass(frozen=True)
class PredictionOutcome:
    response: dict[str, Any]
    """JSON-ready, shaped as :class:`~shipyard.schemas.predictions.PredictResponse`."""
    replayed: bool = False


class CommitTimeout(Unavailable):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the prediction log did not commit within {seconds:g} s; nothing was answered, "
            "retry with the same request"
        )


class PredictionFailed(InvalidInput):
    def __init__(self, name: str, version: str, reason: str) -> None:
        super().__init__(f"{name} v{version} could not score these records: {reason}")


class IdempotencyKeyReused(Conflict):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was first used for a different request; "
            "use a new key for a new request"
        )


INLINE_PARSE_BYTES = 16_384
"""Bodies up to this size are validated on the event loop (a one-record body takes tens of
microseconds, less than a thread hop); larger ones in a thread, so the loop stays free."""


async def _parse(served: ServedModel, body: bytes) -> list[dict[str, Any]]:
    if len(body) <= INLINE_PARSE_BYTES:
        return served.validator.parse(body)
    return await asyncio.to_thread(served.validator.parse, body)


async def _score(
    runtime: Runtime, served: ServedModel, body: bytes
) -> tuple[list[dict[str, Any]], Scored]:
    records = await _parse(served, body)
    try:
        scored = await runtime.batcher.score(served, records)
    except (ValueError, TypeError, OverflowError) as error:
        # Schema-valid records the model still cannot take (e.g. a value it never saw and
        # cannot encode): the caller's records, not the server, need to change.
        raise PredictionFailed(served.name, served.version, str(error)) from error
    return records, scored


def _fingerprint(model_name: str, body: bytes) -> str:
    return hashlib.sha256(model_name.encode() + b"\0" + body).hexdigest()


def _response(
    request_id: str, served: ServedModel, ids: list[uuid.UUID], scored: Scored
) -> dict[str, Any]:
    """The answer as JSON-ready data, in the shape of :class:`PredictResponse` (the API's
    documented schema; a test checks every answer against it)."""
    name, version, latency_ms = served.name, served.version, round(scored.model_ms, 3)
    return {
        "request_id": request_id,
        "predictions": [
            {
                "prediction_id": str(prediction_id),
                "model": name,
                "version": version,
                "label": score.label,
                "probabilities": score.probabilities,
                "latency_ms": latency_ms,
            }
            for prediction_id, score in zip(ids, scored.scores, strict=True)
        ],
    }


def _stored_answer(runtime: Runtime, caller_id: str, key: str) -> IdempotentRequest | None:
    """The first answer for the key: from the spool if it waits there, else the database.

    Under the ``spool`` policy a database that is down counts as "no answer yet": the request
    is scored and spooled with its key (see docs/persistence.md for what that means across
    several processes).
    """
    spooled = runtime.writer.spooled_answer(caller_id, key)
    if spooled is not None:
        return spooled
    try:
        with runtime.database.session_scope() as session:
            return idempotency.find_answer(session, caller_id, key)
    except DatabaseUnavailable:
        if runtime.writer.spool is None:
            raise
        return None


def _replay(stored: IdempotentRequest, fingerprint: str) -> PredictionOutcome:
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused(stored.key)
    return PredictionOutcome(stored.response, replayed=True)


async def predict(
    runtime: Runtime,
    model_name: str,
    body: bytes,
    *,
    request_id: str,
    caller_id: str = "",
    idempotency_key: str | None = None,
) -> PredictionOutcome:
    """Score a request body with the served version of ``model_name`` and log every record."""
    served = runtime.models.get(model_name)  # read once: the whole request uses this version
    fingerprint = _fingerprint(served.name, body) if idempotency_key is not None else ""
    if idempotency_key is not None:
        stored = await asyncio.to_thread(_stored_answer, runtime, caller_id, idempotency_key)
        if stored is not None:
            return _replay(stored, fingerprint)

    records, scored = await _score(runtime, served, body)
    created_at = datetime.now(UTC)
    ids = new_ids(len(records))
    entries = [
        PredictionEntry(
            id=prediction_id,
            created_at=created_at,
            model_name=served.name,
            model_version=served.version,
            inputs=record,
            label=score.label,
            probabilities=score.probabilities,
            latency_ms=scored.model_ms,
            request_id=request_id,
            caller_id=caller_id,
        )
        for prediction_id, record, score in zip(ids, records, scored.scores, strict=True)
    ]
    response = _response(request_id, served, ids, scored)
    claim = None
    if idempotency_key is not None:
        claim = IdempotentRequest(
            caller_id=caller_id,
            key=idempotency_key,
            fingerprint=fingerprint,
            response=response,
            created_at=created_at,
        )
    written = await _wait_for_commit(runtime, entries, claim)
    if not written and idempotency_key is not None:
        # A concurrent request with the same key committed first: answer as it did.
        stored = await asyncio.to_thread(_stored_answer, runtime, caller_id, idempotency_key)
        if stored is None:  # the database went down between the commit and this read
            raise DatabaseUnavailable("the first answer for this Idempotency-Key cannot be read")
        return _replay(stored, fingerprint)
    runtime.shadows.offer(entries)  # a @challenger scores them too, off the response path
    return PredictionOutcome(response)


async def _wait_for_commit(
    runtime: Runtime, entries: list[PredictionEntry], claim: IdempotentRequest | None
) -> bool:
    # A future of this request alone: cancelling it (a timeout, a client gone) leaves the
    # shared commit alone.
    committed = runtime.writer.submit_from_loop(entries, claim)
    timeout = runtime.settings.log_writer.commit_timeout_seconds
    try:
        return await asyncio.wait_for(committed, timeout)
    except TimeoutError:
        raise CommitTimeout(timeout) from None
