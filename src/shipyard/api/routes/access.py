"""Admin routes for API keys and users: the same operations as ``shipyard keys`` / ``users``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from shipyard.api.deps import RuntimeDep
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.security import AdminCaller
from shipyard.domain.auth import ApiKey, Scope, User, parse_scopes
from shipyard.errors import InvalidInput
from shipyard.schemas.access import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    UserCreate,
    UserRead,
)
from shipyard.services import keys, users

router = APIRouter(prefix="/v1", tags=["access"])


class InvalidAccessRequest(InvalidInput):
    """A name, scope or password that cannot be used."""


def _scopes(names: list[str]) -> frozenset[Scope]:
    try:
        return parse_scopes(",".join(names))
    except ValueError as error:
        raise InvalidAccessRequest(str(error)) from None


def _key_read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        name=key.name,
        owner=key.owner,
        scopes=sorted(key.scopes),
        prefix=key.shown_prefix,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def _user_read(user: User) -> UserRead:
    return UserRead(
        name=user.name,
        scopes=sorted(user.scopes),
        created_at=user.created_at,
        disabled_at=user.disabled_at,
    )


@router.get("/keys", response_model=list[ApiKeyRead], responses=ERROR_RESPONSES)
async def list_keys(runtime: RuntimeDep, _admin: AdminCaller) -> list[ApiKeyRead]:
    """Active API keys (never their secrets)."""
    found = await asyncio.to_thread(keys.list_keys, runtime.database)
    return [_key_read(key) for key in found]


@router.post("/keys", response_model=ApiKeyCreated, status_code=201, responses=ERROR_RESPONSES)
async def create_key(body: ApiKeyCreate, runtime: RuntimeDep, _admin: AdminCaller) -> ApiKeyCreated:
    """Mint a key; the answer is the only time its secret is shown."""
    scopes = _scopes(body.scopes)
    try:
        minted = await asyncio.to_thread(
            keys.create_key, runtime.database, body.name, scopes, body.owner
        )
    except ValueError as error:
        raise InvalidAccessRequest(str(error)) from None
    return ApiKeyCreated(**_key_read(minted.key).model_dump(), key=minted.plaintext)


@router.delete("/keys/{name}", response_model=ApiKeyRead, responses=ERROR_RESPONSES)
async def revoke_key(name: str, runtime: RuntimeDep, _admin: AdminCaller) -> ApiKeyRead:
    """Revoke a key: every worker refuses it within ``auth.key_cache_seconds``."""
    return _key_read(await asyncio.to_thread(keys.revoke_key, runtime.database, name))


@router.get("/users", response_model=list[UserRead], responses=ERROR_RESPONSES)
async def list_users(runtime: RuntimeDep, _admin: AdminCaller) -> list[UserRead]:
    """Users, active and disabled (never their passwords)."""
    return [
        _user_read(user) for user in await asyncio.to_thread(users.list_users, runtime.database)
    ]


@router.post("/users", response_model=UserRead, status_code=201, responses=ERROR_RESPONSES)
async def create_user(body: UserCreate, runtime: RuntimeDep, _admin: AdminCaller) -> UserRead:
    """Create a user who can then log in at ``POST /v1/auth/token``."""
    scopes = _scopes(body.scopes)
    try:
        user = await asyncio.to_thread(
            users.create_user, runtime.database, body.name, body.password, scopes
        )
    except ValueError as error:
        raise InvalidAccessRequest(str(error)) from None
    return _user_read(user)


@router.delete("/users/{name}", response_model=UserRead, responses=ERROR_RESPONSES)
async def disable_user(name: str, runtime: RuntimeDep, _admin: AdminCaller) -> UserRead:
    """Disable a user: its tokens stop working within ``auth.key_cache_seconds``."""
    return _user_read(await asyncio.to_thread(users.disable_user, runtime.database, name))
