"""Pure ASGI middleware: the body-size limit (enforced before reading), NUL bytes refused in
paths and queries, and the security headers of every response."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shipyard.api.errors import error_name
from shipyard.errors import InvalidInput, PayloadTooLarge


class BodyTooLarge(PayloadTooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes; send smaller batches")


class BodySizeLimitMiddleware:
    """413 for a declared ``Content-Length`` over the limit, before a byte of body is read;
    for bodies without a length (chunked), reading stops with 413 as soon as the limit passes.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, send)
            return
        received = 0
        exceeded = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the app made of the interrupted read (FastAPI turns a failed body
            # parse into 400), the caller is told the real reason: 413.
            nonlocal replaced
            if exceeded and message["type"] == "http.response.start":
                replaced = message["status"] != 413
                if replaced:
                    await self._reject(scope, send)
                    return
            if replaced:
                return
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        await _send_error(scope, send, 413, BodyTooLarge(self.max_bytes), close=True)


class NulInRequest(InvalidInput):
    def __init__(self) -> None:
        super().__init__("the path or query holds a NUL character (%00); remove it")


class RejectNulMiddleware:
    """422 for a NUL in the path or the query string: no name, id or filter holds one, and
    PostgreSQL cannot even compare text with one (it would be a 500 further in)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if scope["type"] == "http" and (
            "\x00" in str(scope.get("path", "")) or b"%00" in query or b"\x00" in query
        ):
            await _send_error(scope, send, 422, NulInRequest())
            return
        await self.app(scope, receive, send)


async def _send_error(
    scope: Scope, send: Send, status: int, error: InvalidInput, *, close: bool = False
) -> None:
    """The one error shape, sent before the app runs (so before its error handlers)."""
    name = error_name(scope, type(error).__name__, error.detail)
    body = json.dumps({"error": name, "detail": error.detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:  # the rest of the body is not read: the connection cannot be reused
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# An API answers JSON to programs: nothing in it is to be framed, sniffed, cached or run.
_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_NO_STORE = (b"cache-control", b"no-store")
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
_DOCS_PATHS = ("/docs", "/redoc")  # Swagger UI runs scripts: it keeps the browser defaults


class SecurityHeadersMiddleware:
    """Adds the security headers to every response (HSTS too when ``hsts`` is on: in prod,
    where TLS is terminated in front of the server)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = list(_SECURITY_HEADERS)
        if not str(scope.get("path", "")).startswith(_DOCS_PATHS):
            added.append(_API_CSP)
        if self.hsts:
            added.append(_HSTS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [*added, _NO_STORE] if b"cache-control" not in present else added
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
