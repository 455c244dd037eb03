"""Every endpoint once: the request it takes and the schema its answer is read with.

A builder returns a :class:`Call`; the sync and the async client only send it and read the
answer (``Call.answer``). Nothing here does I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from shipyard.client._errors import api_error
from shipyard.client._records import (
    Records,
    batch_count,
    bodies,
    collected,
    idempotency_keys,
    refuse_non_finite,
    shared_request_id,
)
from shipyard.schemas.auth import CallerRead, TokenRead
from shipyard.schemas.health import HealthRead
from shipyard.schemas.lifecycle import (
    AliasMovePage,
    AliasMoveRead,
    ComparisonRead,
    ModelCard,
    ModelCardPage,
)
from shipyard.schemas.models import ModelPage, ModelRead
from shipyard.schemas.monitoring import MonitoringPage, MonitoringReport
from shipyard.schemas.predictions import (
    FeedbackRead,
    PredictionPage,
    PredictionRead,
    PredictResponse,
)
from shipyard.schemas.traffic import TrafficRead

Answer = TypeVar("Answer", bound=BaseModel)
Params = Mapping[str, str | int]

IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True, slots=True)
class Call(Generic[Answer]):
    """One request (``httpx`` arguments) and the schema of its answer."""

    method: str
    path: str
    schema: type[Answer]
    params: Params | None = None
    json: Any = None
    data: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        return http.build_request(
            self.method,
            self.path,
            params=self.params,
            json=self.json,
            data=self.data,
            headers=self.headers,
        )

    def answer(self, response: httpx.Response) -> Answer:
        """The answer read with :attr:`schema`; :class:`ApiError` if it is not a 2xx."""
        if not response.is_success:
            raise api_error(response)
        return self.schema.model_validate(response.json())


def _given(**values: str | int | datetime | None) -> dict[str, str | int]:
    """The query parameters that have a value (datetimes in ISO 8601)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in values.items()
        if value is not None
    }


def health() -> Call[HealthRead]:
    return Call("GET", "/health", HealthRead)


def token(username: str, password: str, scope: str) -> Call[TokenRead]:
    form = {"username": username, "password": password, "scope": scope}
    return Call("POST", "/v1/auth/token", TokenRead, data=form)


def me() -> Call[CallerRead]:
    return Call("GET", "/v1/auth/me", CallerRead)


def models() -> Call[ModelPage]:
    return Call("GET", "/v1/models", ModelPage)


def model(name: str) -> Call[ModelRead]:
    return Call("GET", f"/v1/models/{name}", ModelRead)


def traffic(model: str, window: str, buckets: int) -> Call[TrafficRead]:
    params: Params = {"window": window, "buckets": buckets}
    return Call("GET", f"/v1/models/{model}/traffic", TrafficRead, params=params)


def monitoring(model: str, limit: int) -> Call[MonitoringPage]:
    return Call("GET", f"/v1/models/{model}/monitoring", MonitoringPage, params={"limit": limit})


def run_monitoring(model: str, window: str | None) -> Call[MonitoringReport]:
    path = f"/v1/models/{model}/monitoring"
    return Call("POST", path, MonitoringReport, params=_given(window=window or None))


def predict(
    model: str,
    records: Records,
    request_id: str | None,
    batch_size: int,
    idempotency_key: str | None = None,
) -> Iterator[Call[PredictResponse]]:
    """One request for ``records``, or one per ``batch_size`` records (all with one request
    id, each with its own idempotency key), built as they are sent. The records are checked
    (batch size, infinities, the keys) when the first is asked for, before it is sent."""
    records = collected(records)
    batches = batch_count(records, batch_size)
    refuse_non_finite(records)
    keys = idempotency_keys(idempotency_key, batches)
    shared = shared_request_id(request_id, batches)
    path = f"/v1/models/{model}/predict"
    for body, key in zip(bodies(records, batch_size), keys, strict=True):
        headers = {"X-Request-ID": shared} if shared else {}
        if key is not None:
            headers[IDEMPOTENCY_HEADER] = key
        yield Call("POST", path, PredictResponse, json=body, headers=headers or None)


def predictions(
    model: str | None,
    version: str | None,
    label: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Call[PredictionPage]:
    params = _given(
        limit=limit,
        model=model,
        version=version,
        label=label,
        since=since,
        until=until,
        cursor=cursor,
    )
    return Call("GET", "/v1/predictions", PredictionPage, params=params)


def prediction(prediction_id: uuid.UUID | str) -> Call[PredictionRead]:
    return Call("GET", f"/v1/predictions/{prediction_id}", PredictionRead)


def feedback(prediction_id: uuid.UUID | str, label: str) -> Call[FeedbackRead]:
    path = f"/v1/predictions/{prediction_id}/feedback"
    return Call("POST", path, FeedbackRead, json={"label": label})


def promote(model: str, version: str, reason: str) -> Call[AliasMoveRead]:
    body = {"version": version, "reason": reason}
    return Call("POST", f"/v1/models/{model}/promote", AliasMoveRead, json=body)


def rollback(model: str, to: str | None, reason: str) -> Call[AliasMoveRead]:
    body = {"to": to, "reason": reason}
    return Call("POST", f"/v1/models/{model}/rollback", AliasMoveRead, json=body)


def retrain(model: str, promote: bool | None) -> Call[ModelCard]:
    return Call("POST", f"/v1/models/{model}/retrain", ModelCard, json={"promote": promote})


def history(model: str, limit: int) -> Call[AliasMovePage]:
    return Call("GET", f"/v1/models/{model}/history", AliasMovePage, params={"limit": limit})


def cards(model: str, limit: int) -> Call[ModelCardPage]:
    return Call("GET", f"/v1/models/{model}/cards", ModelCardPage, params={"limit": limit})


def comparison(model: str, window: str | None) -> Call[ComparisonRead]:
    path = f"/v1/models/{model}/comparison"
    return Call("GET", path, ComparisonRead, params=_given(window=window or None))
