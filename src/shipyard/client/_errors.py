"""The errors of the client: :class:`ApiError` for an answer it did not want, and
:class:`NonFiniteValue` for a record it cannot send."""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(Exception):
    """A non-2xx answer: ``status``, the error ``name`` and its ``detail`` (the API's error
    shape, ``{"error": name, "detail": detail, …}``, whole in ``body``)."""

    def __init__(self, status: int, name: str, detail: str, body: Any) -> None:
        super().__init__(f"{status} {name}: {detail}")
        self.status = status
        self.name = name
        self.detail = detail
        self.body = body

    def __reduce__(self) -> tuple[Any, ...]:  # picklable whole, as shipyard's own errors are
        return type(self), (self.status, self.name, self.detail, self.body)


def api_error(response: httpx.Response) -> ApiError:
    """The error an answer carries; a body that is not the API's shape (a proxy's HTML
    page, say) becomes ``HTTPError`` with the text as its detail."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"error": "HTTPError", "detail": response.text}
    return ApiError(response.status_code, str(body.get("error")), str(body.get("detail")), body)


class NonFiniteValue(ValueError):
    """A record holds ``inf`` or ``-inf``, which JSON cannot carry: refused before anything is
    sent. ``index`` is the record's position in what was passed to ``predict`` (from 0, across
    batches), ``field`` its field and ``value`` the number."""

    def __init__(self, index: int, field: str, value: float) -> None:
        super().__init__(
            f"record {index}, field {field!r}: {value} is not a finite number and JSON cannot "
            "carry it; send a finite number, or None (null) for a missing value"
        )
        self.index = index
        self.field = field
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.index, self.field, self.value)
