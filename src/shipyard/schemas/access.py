"""Wire bodies of the admin routes for API keys and users."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=3, examples=[["predict", "read"]])
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    """Caller id of its predictions (default: the name)."""


class ApiKeyRead(BaseModel):
    name: str
    owner: str
    scopes: list[str]
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str
    """The key itself: shown this once, only its hash is stored."""


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=12, max_length=1024)
    scopes: list[str] = Field(min_length=1, max_length=3, examples=[["read"]])


class UserRead(BaseModel):
    name: str
    scopes: list[str]
    created_at: datetime
    disabled_at: datetime | None
