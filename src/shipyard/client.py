"""A typed HTTP client for the shipyard API (used by the CLI, the dashboard and users).

    with ShipyardClient("http://localhost:8000") as client:
        answer = client.predict("attrition", {"Age": 41, ...})
        logged = client.prediction(answer.predictions[0].prediction_id)

Errors come back as :class:`ApiError` carrying the API's error shape. Pass ``transport=``
(an ``httpx.BaseTransport``) to talk to an app in-process in tests.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

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

Record = Mapping[str, Any]


class ApiError(Exception):
    """A non-2xx answer: ``status``, the error ``name`` and its ``detail``."""

    def __init__(self, status: int, name: str, detail: str, body: Any) -> None:
        super().__init__(f"{status} {name}: {detail}")
        self.status = status
        self.name = name
        self.detail = detail
        self.body = body


MAX_RETRY_AFTER_SECONDS = 10.0


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(
            max(float(response.headers.get("Retry-After", "1")), 0.0), MAX_RETRY_AFTER_SECONDS
        )
    except ValueError:  # an HTTP date: not sent by shipyard
        return 1.0


class ShipyardClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        rate_limit_retries: int = 3,
    ) -> None:
        """``rate_limit_retries``: times a request refused with 429 is sent again after the
        server's ``Retry-After`` (at most 10 s each); a refused request did nothing."""
        self.rate_limit_retries = rate_limit_retries
        sent = dict(headers or {})
        if api_key is not None:
            sent["X-API-Key"] = api_key
        self._http = httpx.Client(
            base_url=base_url, timeout=timeout, headers=sent, transport=transport
        )

    def __enter__(self) -> ShipyardClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        for _ in range(self.rate_limit_retries):
            if response.status_code != 429:
                break
            time.sleep(_retry_after(response))
            response = self._http.request(method, path, **kwargs)
        if response.is_success:
            return response.json()
        try:
            body = response.json()
        except ValueError:
            body = {"error": "HTTPError", "detail": response.text}
        raise ApiError(response.status_code, str(body.get("error")), str(body.get("detail")), body)

    def health(self) -> HealthRead:
        return HealthRead.model_validate(self._request("GET", "/health"))

    def probe(self, path: str) -> int:
        """The status of a probe (``/livez``, ``/readyz``); no error shape to read."""
        return self._http.get(path).status_code

    def token(self, username: str, password: str, *, scope: str = "") -> TokenRead:
        """A user's access token (OAuth2 password flow): pass it as ``headers=
        {"Authorization": f"Bearer {token.access_token}"}`` to act as that user."""
        form = {"username": username, "password": password, "scope": scope}
        return TokenRead.model_validate(self._request("POST", "/v1/auth/token", data=form))

    def me(self) -> CallerRead:
        """Who this client's credential is and the scopes it allows."""
        return CallerRead.model_validate(self._request("GET", "/v1/auth/me"))

    def models(self) -> ModelPage:
        return ModelPage.model_validate(self._request("GET", "/v1/models"))

    def model(self, name: str) -> ModelRead:
        return ModelRead.model_validate(self._request("GET", f"/v1/models/{name}"))

    def traffic(self, model: str, *, window: str = "24h", buckets: int = 48) -> TrafficRead:
        """Requests, errors, latency and predicted labels of ``model`` per time bucket."""
        params: dict[str, str | int] = {"window": window, "buckets": buckets}
        return TrafficRead.model_validate(
            self._request("GET", f"/v1/models/{model}/traffic", params=params)
        )

    def monitoring(self, model: str, *, limit: int = 20) -> MonitoringPage:
        """The latest monitoring run of ``model`` and the runs before it, newest first."""
        return MonitoringPage.model_validate(
            self._request("GET", f"/v1/models/{model}/monitoring", params={"limit": limit})
        )

    def run_monitoring(self, model: str, *, window: str | None = None) -> MonitoringReport:
        """Run monitoring of the served version now (admin)."""
        params = {"window": window} if window else None
        return MonitoringReport.model_validate(
            self._request("POST", f"/v1/models/{model}/monitoring", params=params)
        )

    def predict(
        self,
        model: str,
        records: Record | Sequence[Record],
        *,
        request_id: str | None = None,
    ) -> PredictResponse:
        """Score one record or a list of records; each answered record is already logged."""
        payload = dict(records) if isinstance(records, Mapping) else [dict(r) for r in records]
        headers = {"X-Request-ID": request_id} if request_id else None
        return PredictResponse.model_validate(
            self._request("POST", f"/v1/models/{model}/predict", json=payload, headers=headers)
        )

    def predictions(
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
        params: dict[str, str | int] = {"limit": limit}
        for key, value in (("model", model), ("version", version), ("label", label)):
            if value is not None:
                params[key] = value
        if since is not None:
            params["since"] = since.isoformat()
        if until is not None:
            params["until"] = until.isoformat()
        if cursor is not None:
            params["cursor"] = cursor
        return PredictionPage.model_validate(self._request("GET", "/v1/predictions", params=params))

    def prediction(self, prediction_id: uuid.UUID | str) -> PredictionRead:
        return PredictionRead.model_validate(
            self._request("GET", f"/v1/predictions/{prediction_id}")
        )

    def feedback(self, prediction_id: uuid.UUID | str, label: str) -> FeedbackRead:
        return FeedbackRead.model_validate(
            self._request(
                "POST", f"/v1/predictions/{prediction_id}/feedback", json={"label": label}
            )
        )

    # -- the life cycle (admin scope to move aliases and retrain) --------------------------

    def promote(self, model: str, version: str, *, reason: str = "") -> AliasMoveRead:
        """Serve ``version``: checked, then the serving alias moves and servers follow."""
        body = {"version": version, "reason": reason}
        return AliasMoveRead.model_validate(
            self._request("POST", f"/v1/models/{model}/promote", json=body)
        )

    def rollback(self, model: str, *, to: str | None = None, reason: str = "") -> AliasMoveRead:
        """Back to the version served before the current one (or to ``to``)."""
        body = {"to": to, "reason": reason}
        return AliasMoveRead.model_validate(
            self._request("POST", f"/v1/models/{model}/rollback", json=body)
        )

    def retrain(self, model: str, *, promote: bool | None = None) -> ModelCard:
        """Retrain on training data plus labelled feedback now; the candidate's card."""
        return ModelCard.model_validate(
            self._request("POST", f"/v1/models/{model}/retrain", json={"promote": promote})
        )

    def history(self, model: str, *, limit: int = 100) -> AliasMovePage:
        return AliasMovePage.model_validate(
            self._request("GET", f"/v1/models/{model}/history", params={"limit": limit})
        )

    def cards(self, model: str, *, limit: int = 20) -> ModelCardPage:
        return ModelCardPage.model_validate(
            self._request("GET", f"/v1/models/{model}/cards", params={"limit": limit})
        )

    def comparison(self, model: str, *, window: str | None = None) -> ComparisonRead:
        """The served version against its ``@challenger`` on the requests it shadowed."""
        params = {"window": window} if window else None
        return ComparisonRead.model_validate(
            self._request("GET", f"/v1/models/{model}/comparison", params=params)
        )


__all__ = ["ApiError", "ShipyardClient"]
