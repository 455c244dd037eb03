"""What both clients do the same around a request: credentials, and waiting out a 429."""

from __future__ import annotations

import math
from collections.abc import Mapping

import httpx

MAX_RETRY_AFTER_SECONDS = 10.0
RATE_LIMITED = 429


def sent_headers(api_key: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    sent = dict(headers or {})
    if api_key is not None:
        sent["X-API-Key"] = api_key
    return sent


def retry_after(response: httpx.Response) -> float:
    """Seconds to wait before sending a refused request again: the server's
    ``Retry-After``, at most :data:`MAX_RETRY_AFTER_SECONDS`."""
    try:
        seconds = float(response.headers.get("Retry-After", "1"))
    except ValueError:  # an HTTP date: not sent by shipyard
        return 1.0
    if math.isnan(seconds):
        return 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
