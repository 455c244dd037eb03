from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class TokenRead(BaseModel):
    """An OAuth2 access token (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int
    """Seconds until it expires."""
    scope: str
    """The scopes it carries, space-separated."""


class CallerRead(BaseModel):
    """Who the credential of this request is, and what it may do."""

    caller_id: str
    via: str
    """``api-key:<name>``, ``user:<name>`` or ``auth-disabled``."""
    scopes: list[str]
    """Every scope the credential allows (admin allows all)."""
