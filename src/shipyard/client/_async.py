"""The client for asyncio code: :class:`AsyncShipyardClient` (``httpx.AsyncClient``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from shipyard.client import _calls as calls
from shipyard.client._records import DEFAULT_BATCH_SIZE, Records, answers_frame, merged
from shipyard.client._sending import RATE_LIMITED, retry_after, sent_headers
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

if TYPE_CHECKING:
    import pandas as pd


class AsyncShipyardClient:
    """:class:`ShipyardClient`'s methods, awaited: ``async with AsyncShipyardClient(url) as
    client: await client.predict(...)``. A 429 waits with ``asyncio.sleep``."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limit_retries: int = 3,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        """``rate_limit_retries``: times a request refused with 429 is sent again after the
        server's ``Retry-After`` (at most 10 s each); a refused request did nothing.
        ``batch_size``: most records ``predict`` sends in one request (at most the server's
        ``SHIPYARD_SERVING__MAX_ROWS_PER_REQUEST``); more are sent in several."""
        self.rate_limit_retries = rate_limit_retries
        self.batch_size = batch_size
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            headers=sent_headers(api_key, headers),
            transport=transport,
        )

    async def __aenter__(self) -> AsyncShipyardClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: calls.Call[calls.Answer]) -> calls.Answer:
        response = await self._http.send(call.request(self._http))
        for _ in range(self.rate_limit_retries):
            if response.status_code != RATE_LIMITED:
                break
            await asyncio.sleep(retry_after(response))
            response = await self._http.send(call.request(self._http))
        return call.answer(response)

    async def health(self) -> HealthRead:
        return await self._send(calls.health())

    async def probe(self, path: str) -> int:
        """The status of a probe (``/livez``, ``/readyz``); no error shape to read."""
        return (await self._http.get(path)).status_code

    async def token(self, username: str, password: str, *, scope: str = "") -> TokenRead:
        """A user's access token (OAuth2 password flow): pass it as ``headers=
        {"Authorization": f"Bearer {token.access_token}"}`` to act as that user."""
        return await self._send(calls.token(username, password, scope))

    async def me(self) -> CallerRead:
        """Who this client's credential is and the scopes it allows."""
        return await self._send(calls.me())

    async def models(self) -> ModelPage:
        return await self._send(calls.models())

    async def model(self, name: str) -> ModelRead:
        return await self._send(calls.model(name))

    async def traffic(self, model: str, *, window: str = "24h", buckets: int = 48) -> TrafficRead:
        """Requests, errors, latency and predicted labels of ``model`` per time bucket."""
        return await self._send(calls.traffic(model, window, buckets))

    async def monitoring(self, model: str, *, limit: int = 20) -> MonitoringPage:
        """The latest monitoring run of ``model`` and the runs before it, newest first."""
        return await self._send(calls.monitoring(model, limit))

    async def run_monitoring(self, model: str, *, window: str | None = None) -> MonitoringReport:
        """Run monitoring of the served version now (admin)."""
        return await self._send(calls.run_monitoring(model, window))

    async def predict(
        self,
        model: str,
        records: Records,
        *,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> PredictResponse:
        """Score one record, a sequence of records or a DataFrame's rows; each answered
        record is already logged. More than ``batch_size`` records go in several requests,
        one after the other, their answers joined in input order.

        ``idempotency_key``: retry a call that got no answer with the same key (and the
        same records and ``batch_size``) and its batches answered before are answered
        again, with the same prediction ids, and add no row. One request carries the key as
        it is, batch ``n`` (from 0) of several ``f"{key}.{n}"``. ``NonFiniteValue`` (a
        ``ValueError``) if a record holds ``inf`` or ``-inf``, before anything is sent."""
        sent = calls.predict(model, records, request_id, self.batch_size, idempotency_key)
        return merged([await self._send(call) for call in sent])

    async def predict_frame(
        self,
        model: str,
        frame: pd.DataFrame,
        *,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> pd.DataFrame:
        """:meth:`predict` of a DataFrame's rows, answered as a frame on its index:
        ``label``, ``proba_<class>`` per class, ``prediction_id`` and ``version``."""
        answer = await self.predict(
            model, frame, request_id=request_id, idempotency_key=idempotency_key
        )
        return answers_frame(answer, frame.index)

    async def predictions(
        self,
        *,
        model: str | None = None,
        version: str | None = None,
        label: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> PredictionPage:
        """A page of the prediction log, newest first; pass ``next_cursor`` as ``cursor``."""
        return await self._send(
            calls.predictions(model, version, label, since, until, limit, cursor)
        )

    async def prediction(self, prediction_id: uuid.UUID | str) -> PredictionRead:
        """One logged prediction with its inputs, outputs and feedback."""
        return await self._send(calls.prediction(prediction_id))

    async def feedback(self, prediction_id: uuid.UUID | str, label: str) -> FeedbackRead:
        """Record the true label of one of your predictions."""
        return await self._send(calls.feedback(prediction_id, label))

    # -- the life cycle (admin scope to move aliases and retrain) --------------------------

    async def promote(self, model: str, version: str, *, reason: str = "") -> AliasMoveRead:
        """Serve ``version``: checked, then the serving alias moves and servers follow."""
        return await self._send(calls.promote(model, version, reason))

    async def rollback(
        self, model: str, *, to: str | None = None, reason: str = ""
    ) -> AliasMoveRead:
        """Back to the version served before the current one (or to ``to``)."""
        return await self._send(calls.rollback(model, to, reason))

    async def retrain(self, model: str, *, promote: bool | None = None) -> ModelCard:
        """Retrain on training data plus labelled feedback now; the candidate's card."""
        return await self._send(calls.retrain(model, promote))

    async def history(self, model: str, *, limit: int = 100) -> AliasMovePage:
        """Every move of ``model``'s aliases made through shipyard, with who and why."""
        return await self._send(calls.history(model, limit))

    async def cards(self, model: str, *, limit: int = 20) -> ModelCardPage:
        """The model cards of ``model``'s retrained versions."""
        return await self._send(calls.cards(model, limit))

    async def comparison(self, model: str, *, window: str | None = None) -> ComparisonRead:
        """The served version against its ``@challenger`` on the requests it shadowed."""
        return await self._send(calls.comparison(model, window))
