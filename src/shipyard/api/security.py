"""Credentials on every route: who calls (:class:`Principal`) and whether the scope allows it.

An API key comes as ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``; a user's access
token (``POST /v1/auth/token``) as ``Authorization: Bearer <token>``. A missing or
invalid credential is a 401 with ``WWW-Authenticate``; a valid one is counted against its
rate limit (429 past it), and without the route's scope it is a 403. Routes declare what
they need with the ``*Caller`` annotations below; a test walks every route of the app so
that none can be added without one.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from shipyard.api.deps import runtime_of
from shipyard.domain.auth import API_KEY_PREFIX, Principal, Scope
from shipyard.errors import MissingScope, Unauthenticated

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="APIKey")
_bearer = HTTPBearer(auto_error=False, scheme_name="Bearer")

CREDENTIAL_SCHEMES: list[dict[str, list[str]]] = [{"APIKey": []}, {"Bearer": []}]
"""The OpenAPI security requirement of a route that takes either credential."""

AUTH_DISABLED = Principal(caller_id="", scopes=frozenset(Scope), via="auth-disabled")


async def authenticate(
    request: Request,
    _api_key_header: Annotated[str | None, Security(_api_key)] = None,
    _bearer_header: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> Principal:
    # The two Security parameters declare the schemes in OpenAPI; the headers are read once,
    # below, so that every route (and /metrics) parses them the same way.
    return await _principal(request, _presented(request))


async def authorize(request: Request, scope: Scope) -> Principal:
    """The check of :func:`require`, for a route whose need depends on settings."""
    principal = await _principal(request, _presented(request))
    if not principal.allows(scope):
        raise MissingScope(scope.value)
    return principal


def _presented(request: Request) -> str | None:
    if key := request.headers.get("x-api-key"):
        return key
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials else None


async def _principal(request: Request, presented: str | None) -> Principal:
    runtime = runtime_of(request)
    if not runtime.settings.auth.enabled:
        return AUTH_DISABLED
    if not presented:
        raise Unauthenticated(
            "this route needs credentials: send your API key as `X-API-Key: <key>` "
            "or `Authorization: Bearer <key>` (`shipyard keys create` mints one)"
        )
    if presented.startswith(API_KEY_PREFIX):
        principal = runtime.keys.cached(presented)
        if principal is False:
            principal = await asyncio.to_thread(runtime.keys.verify, presented)
        if not isinstance(principal, Principal):
            raise Unauthenticated("this API key is not valid: it is unknown, revoked or malformed")
    else:
        principal = runtime.tokens.cached(presented)
        if principal is False:
            principal = await asyncio.to_thread(runtime.tokens.principal, presented)
        if not isinstance(principal, Principal):
            raise Unauthenticated(
                "this token is not valid: expired, not signed by this server, or its user "
                "is disabled; log in again at POST /v1/auth/token"
            )
    await runtime.rate_limiter.check(principal.credential_id)
    return principal


def require(*scopes: Scope) -> object:
    """A dependency that lets through callers holding any of ``scopes`` (admin holds all)."""

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not any(principal.allows(scope) for scope in scopes):
            raise MissingScope(" or ".join(scope.value for scope in scopes))
        return principal

    return Depends(check)


PredictCaller = Annotated[Principal, require(Scope.PREDICT)]
ReadCaller = Annotated[Principal, require(Scope.READ)]
ModelReader = Annotated[Principal, require(Scope.PREDICT, Scope.READ)]
AdminCaller = Annotated[Principal, require(Scope.ADMIN)]
