"""Typed HTTP clients of the shipyard API (used by the CLI, the dashboard and users).

    with ShipyardClient("http://localhost:8000", api_key=key) as client:
        answer = client.predict("attrition", {"Age": 41, ...})
        logged = client.prediction(answer.predictions[0].prediction_id)

    async with AsyncShipyardClient("http://localhost:8000", api_key=key) as client:
        scored = await client.predict_frame("attrition", frame)

The two clients have the same methods with the same arguments; each endpoint's request and
the schema of its answer are written once (``_calls``), and the clients only send them.
``predict`` takes one record, a sequence of records or a pandas DataFrame, and sends more
than ``batch_size`` records in several requests.

Errors::

    ApiError            a non-2xx answer: status, name (the API's "error"), detail, body
    httpx.HTTPError     no answer: a refused connection, a timeout (``httpx.TransportError``)
    ValueError          refused here, before anything is sent: a bad batch_size or
                        idempotency_key, a frame with repeated columns
      NonFiniteValue    a record holds inf or -inf (JSON has none): index, field, value

A 429 is sent again after the server's ``Retry-After`` (``rate_limit_retries`` times) before
it becomes an ``ApiError``; nothing else is retried. To retry a prediction safely yourself,
pass ``predict(..., idempotency_key=...)`` and the same key again: batch ``n`` of a split
call is sent with ``f"{key}.{n}"``, so keep ``batch_size`` the same between tries.

Pass ``transport=`` (``httpx.BaseTransport``, or ``httpx.AsyncBaseTransport`` such as
``httpx.ASGITransport``) to talk to an app in-process.
"""

from __future__ import annotations

from shipyard.client._async import AsyncShipyardClient
from shipyard.client._errors import ApiError, NonFiniteValue
from shipyard.client._records import DEFAULT_BATCH_SIZE, Record
from shipyard.client._sync import ShipyardClient

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ApiError",
    "AsyncShipyardClient",
    "NonFiniteValue",
    "Record",
    "ShipyardClient",
]
