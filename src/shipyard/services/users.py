"""Users: Argon2-hashed passwords (pwdlib) exchanged for short-lived JWTs (PyJWT, HS256).

A token names its user (``sub``), carries the scopes granted at login, expires after
``auth.token_minutes`` and is accepted only with shipyard's own issuer and audience, signed
with HS256 (no other algorithm is ever accepted, ``none`` included). Every request also
checks, through a 1 s cache, that the user still exists and is not disabled.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from pwdlib import PasswordHash

from shipyard.config import Settings
from shipyard.db import Database
from shipyard.db import users as stored_users
from shipyard.domain.auth import Principal, Scope, User, format_scopes, granted_by, parse_scopes
from shipyard.domain.ids import new_id
from shipyard.errors import InvalidInput, Unauthenticated
from shipyard.services.cache import TimedCache

ALGORITHM = "HS256"
USER_CALLER_PREFIX = "user:"
MIN_PASSWORD = 12
_NAME_FORMAT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_hasher = PasswordHash.recommended()


@functools.cache
def _absent_user_hash() -> str:
    """Verified against when the user does not exist, so that the answer takes as long either
    way. Made on first need: an Argon2 hash costs every command and worker at import."""
    return _hasher.hash(secrets.token_urlsafe(16))


class NoScopeGranted(InvalidInput):
    def __init__(self, user: User, asked: frozenset[Scope]) -> None:
        super().__init__(
            f"{user.name!r} holds none of the scopes asked for ({format_scopes(asked, ' ')}); "
            f"it holds {format_scopes(user.scopes, ' ')}"
        )


class InvalidLogin(Unauthenticated):
    def __init__(self) -> None:
        super().__init__("wrong user name or password (or the user is disabled)")


def create_user(database: Database, name: str, password: str, scopes: frozenset[Scope]) -> User:
    if not _NAME_FORMAT.fullmatch(name):
        raise ValueError(f"{name!r} is not a user name: letters, digits, '.', '_', '@', '-'")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    user = User(id=new_id(), name=name, scopes=scopes, created_at=datetime.now(UTC))
    with database.session_scope() as session:
        stored_users.insert_user(session, user, _hasher.hash(password))
    return user


def list_users(database: Database) -> list[User]:
    with database.session_scope() as session:
        return stored_users.list_users(session)


def disable_user(database: Database, name: str) -> User:
    with database.session_scope() as session:
        return stored_users.disable_user(session, name, datetime.now(UTC))


def check_password(database: Database, name: str, password: str) -> User | None:
    """The active user with this name and password, or None (same work either way)."""
    with database.session_scope() as session:
        found = stored_users.find_user(session, name)
    if found is None:
        _hasher.verify(password, _absent_user_hash())
        return None
    user, password_hash = found
    if not _hasher.verify(password, password_hash) or not user.is_active:
        return None
    return user


def jwt_secret(settings: Settings) -> str:
    """The configured secret; in dev without one, a random secret kept in the data dir (so
    that every worker, and the next start, accept the same tokens)."""
    if settings.auth.jwt_secret is not None:
        return settings.auth.jwt_secret.get_secret_value()
    path: Path = settings.resolved_data_dir() / "jwt_secret"
    if not path.exists():
        # Written whole under another name, then linked into place: workers starting together
        # all end up reading the one secret that won, never a half-written file.
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".jwt_secret.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its secret
        finally:
            draft.unlink()
    return path.read_text().strip()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scopes: frozenset[Scope]


class Tokens:
    """Issues and checks users' access tokens."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self._database = database
        self._secret = jwt_secret(settings) if settings.auth.enabled else ""
        self._minutes = settings.auth.token_minutes
        self._issuer = settings.auth.jwt_issuer
        self._audience = settings.auth.jwt_audience
        self._users: TimedCache[User | None] = TimedCache(settings.auth.key_cache_seconds)

    def issue(self, user: User, asked: frozenset[Scope] | None = None) -> IssuedToken:
        """A token with the user's scopes (or the asked subset of them)."""
        scopes = granted_by(user.scopes) & asked if asked else user.scopes
        if not scopes:
            raise NoScopeGranted(user, asked or frozenset())
        now = datetime.now(UTC)
        claims = {
            "sub": user.name,
            "uid": str(user.id),
            "scope": format_scopes(scopes, " "),
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + timedelta(minutes=self._minutes),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM)
        return IssuedToken(token, self._minutes * 60, scopes)

    def claims(self, token: str) -> dict[str, object] | None:
        """The verified claims, or None for any token that is not one of ours, still valid."""
        try:
            decoded: dict[str, object] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "scope", "uid"]},
            )
        except jwt.PyJWTError:
            return None
        return decoded

    def cached(self, token: str) -> Principal | bool | None:
        """The answer without the database: a principal, None (refused), or False (the user
        is not in the cache: ask :meth:`principal`, in a thread)."""
        claims = self.claims(token)
        if claims is None:
            return None
        fresh, user = self._users.peek(str(claims["sub"]))
        return self._principal(claims, user) if fresh else False

    def principal(self, token: str) -> Principal | None:
        """The caller a token stands for: its user must still be active (1 s cache)."""
        claims = self.claims(token)
        if claims is None:
            return None
        return self._principal(claims, self._users.get(str(claims["sub"]), self._find))

    def _principal(self, claims: dict[str, object], user: User | None) -> Principal | None:
        if user is None or not user.is_active or str(user.id) != claims["uid"]:
            return None
        try:  # what the token says, as far as the user still holds it now
            scopes = parse_scopes(str(claims["scope"])) & granted_by(user.scopes)
        except ValueError:
            return None
        # "user:" keeps users apart from key owners (whose names cannot hold a colon).
        caller_id = f"{USER_CALLER_PREFIX}{user.name}"
        return Principal(
            caller_id=caller_id,
            scopes=scopes,
            via=caller_id,
            credential_id=f"user:{user.id}",
        )

    def _find(self, name: str) -> User | None:
        with self._database.session_scope() as session:
            found = stored_users.find_user(session, name)
        return found[0] if found else None
