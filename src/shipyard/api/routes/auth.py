"""``POST /v1/auth/token``: the OAuth2 password flow, a user's password for an access token."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request

from shipyard.api.deps import RuntimeDep
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.security import ModelReader
from shipyard.domain.auth import format_scopes, granted_by, parse_scopes
from shipyard.errors import InvalidInput
from shipyard.schemas.auth import CallerRead, TokenRead
from shipyard.services import users

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenRead, responses=ERROR_RESPONSES)
async def create_token(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(min_length=1, max_length=100, pattern=r"^[^\x00]+$")],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    scope: Annotated[str, Form(max_length=100)] = "",
) -> TokenRead:
    """Exchange a user name and password for a bearer token (form fields, as OAuth2's
    password flow sends them). ``scope`` may ask for fewer scopes than the user holds.

    Attempts are limited per user name and per client address (429 past it); a successful
    login starts both counts afresh."""
    address = request.client.host if request.client else "unknown"
    by_user, by_address = f"login-user:{username}", f"login-address:{address}"
    # Counted before the password is checked, so that guesses sent all at once are counted
    # as they arrive; a successful login starts both counts afresh.
    for identity in (by_user, by_address):
        await runtime.failed_logins.check(identity)
    try:
        asked = parse_scopes(scope) if scope.strip() else None
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    user = await asyncio.to_thread(users.check_password, runtime.database, username, password)
    if user is None:
        raise users.InvalidLogin()
    for identity in (by_user, by_address):
        await runtime.failed_logins.forget(identity)
    issued = runtime.tokens.issue(user, asked)
    return TokenRead(
        access_token=issued.token,
        # The OAuth2 token type, not a password (bandit B106).
        token_type="bearer",  # nosec B106
        expires_in=issued.expires_in,
        scope=format_scopes(issued.scopes, " "),
    )


@router.get("/me", response_model=CallerRead, responses=ERROR_RESPONSES)
async def who_am_i(caller: ModelReader) -> CallerRead:
    """The caller behind this request's key or token, with the scopes it allows: what a
    client (the dashboard) offers to its user."""
    return CallerRead(
        caller_id=caller.caller_id,
        via=caller.via,
        scopes=sorted(scope.value for scope in granted_by(caller.scopes)),
    )
