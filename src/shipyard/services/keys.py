"""API keys: minted once, stored as a hash, checked on every request through a short cache.

A key reads ``sy_<prefix>_<secret>``. The prefix (8 hex digits) finds the row; the secret
(32 random bytes, URL-safe) is compared by its SHA-256 in constant time. A fast hash is right
here, unlike for passwords: the secret has 256 bits of entropy, so there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from shipyard.db import Database
from shipyard.db import keys as stored_keys
from shipyard.domain.auth import API_KEY_PREFIX, ApiKey, Principal, Scope
from shipyard.domain.ids import new_id
from shipyard.services.cache import TimedCache

_KEY_FORMAT = re.compile(rf"^{re.escape(API_KEY_PREFIX)}([0-9a-f]{{8}})_([A-Za-z0-9_-]{{43}})$")
_NAME_FORMAT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class MintedKey:
    key: ApiKey
    plaintext: str
    """Shown once, at creation; only its hash is stored."""


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    database: Database, name: str, scopes: frozenset[Scope], owner: str | None = None
) -> MintedKey:
    """Mint a key. ``owner`` (default: the name) is the caller id its predictions carry;
    keys of the same owner see the same predictions, so a rotated key keeps its history."""
    for label, value in (("key name", name), ("owner", owner or name)):
        if not _NAME_FORMAT.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a valid {label}: use letters, digits, '.', '_' or '-', up to 100"
            )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id(),
        name=name,
        owner=owner or name,
        prefix=prefix,
        scopes=scopes,
        created_at=datetime.now(UTC),
    )
    with database.session_scope() as session:
        stored_keys.insert_key(session, key, _sha256(secret))
    return MintedKey(key, f"{key.shown_prefix}{secret}")


def list_keys(database: Database, *, include_revoked: bool = False) -> list[ApiKey]:
    with database.session_scope() as session:
        return stored_keys.list_keys(session, include_revoked=include_revoked)


def revoke_key(database: Database, name: str) -> ApiKey:
    with database.session_scope() as session:
        return stored_keys.revoke_key(session, name, datetime.now(UTC))


class KeyVerifier:
    """Checks presented keys; remembers each lookup for ``cache_seconds`` (so a revocation
    reaches every worker within that time, at one query per key per interval)."""

    def __init__(self, database: Database, cache_seconds: float) -> None:
        self._database = database
        self._cache: TimedCache[tuple[ApiKey, str] | None] = TimedCache(cache_seconds)

    def cached(self, plaintext: str) -> Principal | bool | None:
        """The answer from the cache: a principal, None (refused), or False (ask the database)."""
        match = _KEY_FORMAT.fullmatch(plaintext)
        if match is None:
            return None
        fresh, found = self._cache.peek(match.group(1))
        return _principal(found, match.group(2)) if fresh else False

    def verify(self, plaintext: str) -> Principal | None:
        """The caller a key stands for, or None for a malformed, unknown or revoked key."""
        match = _KEY_FORMAT.fullmatch(plaintext)
        if match is None:
            return None
        prefix, secret = match.groups()
        return _principal(self._cache.get(prefix, self._find), secret)

    def _find(self, prefix: str) -> tuple[ApiKey, str] | None:
        with self._database.session_scope() as session:
            return stored_keys.find_by_prefix(session, prefix)


def _principal(found: tuple[ApiKey, str] | None, secret: str) -> Principal | None:
    if found is None:
        return None
    key, secret_sha256 = found
    if not key.is_active or not hmac.compare_digest(secret_sha256, _sha256(secret)):
        return None
    return Principal(
        caller_id=key.owner,
        scopes=key.scopes,
        via=f"api-key:{key.name}",
        credential_id=f"api-key:{key.id}",
    )
