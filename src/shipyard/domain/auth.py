"""Who is calling and what they may do."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Scope(StrEnum):
    """What a credential allows. ``admin`` includes the other two."""

    PREDICT = "predict"
    """Ask for predictions, and read the models' schemas."""
    READ = "read"
    """Read the caller's own predictions and attach feedback to them."""
    ADMIN = "admin"
    """Everything: every caller's predictions, keys, users and model operations."""


def parse_scopes(text: str) -> frozenset[Scope]:
    """``"predict,read"`` or ``"predict read"`` (OAuth2's form) -> the scopes; an unknown name
    is a ValueError naming the valid ones."""
    names = [name.lower() for name in re.split(r"[,\s]+", text) if name]
    if not names:
        raise ValueError("give at least one scope: predict, read or admin")
    valid = {scope.value for scope in Scope}
    unknown = [name for name in names if name not in valid]
    if unknown:
        raise ValueError(f"unknown scope {', '.join(unknown)}; choose from predict, read, admin")
    return frozenset(Scope(name) for name in names)


API_KEY_PREFIX = "sy_"
"""Every API key starts so (``sy_<8 hex>_<secret>``): secret scanners and people can spot one."""


def format_scopes(scopes: frozenset[Scope], separator: str = ",") -> str:
    """The inverse of :func:`parse_scopes`, in a stable order."""
    return separator.join(sorted(scope.value for scope in scopes))


def granted_by(scopes: frozenset[Scope]) -> frozenset[Scope]:
    """Every scope that ``scopes`` allow: admin allows all."""
    return frozenset(Scope) if Scope.ADMIN in scopes else scopes


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of one request."""

    caller_id: str
    """Recorded on every prediction and feedback it writes; its predictions are its own."""
    scopes: frozenset[Scope]
    via: str
    """How it was authenticated: ``api-key:<name>``, ``user:<name>`` or ``auth-disabled``."""
    credential_id: str = ""
    """The credential itself (a key's id): what rate limits count."""

    def allows(self, scope: Scope) -> bool:
        return scope in granted_by(self.scopes)

    @property
    def is_admin(self) -> bool:
        return Scope.ADMIN in self.scopes


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key: never the secret, only what identifies and limits it."""

    id: uuid.UUID
    name: str
    owner: str
    prefix: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def shown_prefix(self) -> str:
        """What may be shown of the key: ``sy_<prefix>_``, never the secret after it."""
        return f"{API_KEY_PREFIX}{self.prefix}_"


@dataclass(frozen=True, slots=True)
class User:
    """A person who logs in with a password for a short-lived token (never the hash here)."""

    id: uuid.UUID
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    disabled_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None
