"""The one error tree of shipyard.

Every error a user can see is a ``ShipyardError``. Four kinds say what went wrong; the
API maps each kind to one HTTP status (only ``shipyard.api.errors`` knows HTTP), the CLI
maps it to a message and an exit code::

    ShipyardError
    ├── Unauthenticated     (401)  no credentials, or ones that are not valid
    ├── Forbidden           (403)  valid credentials without the scope the route needs
    ├── RateLimited         (429)  too many requests for this credential; retry later
    ├── NotFound            (404)  something named does not exist
    │   ├── ModelNotFound
    │   ├── ModelVersionNotFound
    │   ├── PredictionNotFound
    │   ├── ApiKeyNotFound
    │   └── UserNotFound
    ├── Conflict            (409)  the request contradicts what is stored
    │   ├── FeedbackConflict
    │   ├── ApiKeyNameTaken
    │   └── UserNameTaken
    ├── InvalidInput        (422)  the caller sent something wrong
    │   ├── InvalidRecords         one message per bad field
    │   ├── InvalidCursor
    │   ├── InvalidSettings        the environment or .env files hold unusable settings
    │   ├── UnsupportedMediaType (415)  a body that is not declared as JSON
    │   └── PayloadTooLarge (413)  body or batch over the configured limit
    └── Unavailable         (503)  a dependency cannot answer right now
        ├── ModelNotLoaded
        ├── DatabaseUnavailable
        └── RegistryUnavailable

This module imports nothing from shipyard or any framework.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class ShipyardError(Exception):
    """Base class: ``detail`` is the sentence a user reads to fix the problem."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def extra(self) -> dict[str, Any]:
        """Fields added to the JSON error body beside ``error`` and ``detail``."""
        return {}

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as it is, not rebuilt from its constructor's arguments (subclasses take
        # other ones): an error raised in another process (a Dask worker) arrives whole.
        return (_restored, (type(self), self.args, self.__dict__))


def _restored(kind: type[ShipyardError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = Exception.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


class Unauthenticated(ShipyardError):
    """No credentials were sent, or the ones sent are not valid (unknown, revoked, expired)."""


class Forbidden(ShipyardError):
    """The credentials are valid but do not carry the scope this operation needs."""


class RateLimited(ShipyardError):
    """This credential made more requests than its limit allows; retry after a pause."""

    def __init__(self, limit: str, retry_after_seconds: int) -> None:
        super().__init__(f"rate limit of {limit} reached; retry in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class NotFound(ShipyardError):
    """Something named in the request does not exist."""


class Conflict(ShipyardError):
    """The request contradicts what is already stored."""


class InvalidInput(ShipyardError):
    """The caller sent something that cannot be used as it is."""


class Unavailable(ShipyardError):
    """A dependency (database, registry, model) cannot answer right now; retry later."""


class ModelNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"no model named {name!r} is served here")
        self.name = name


class ModelVersionNotFound(NotFound):
    def __init__(self, name: str, reference: str) -> None:
        super().__init__(f"model {name!r} has no version or alias {reference!r} in the registry")
        self.name = name
        self.reference = reference


class ApiKeyNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"no active API key named {name!r}; `shipyard keys list` shows them")
        self.name = name


class ApiKeyNameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"an active API key is already named {name!r}; revoke it first or choose another name"
        )
        self.name = name


class InvalidSettings(InvalidInput):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("invalid settings:\n  " + "\n  ".join(problems))
        self.problems = list(problems)


class UserNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"no active user named {name!r}; `shipyard users list` shows them")
        self.name = name


class UserNameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"a user named {name!r} already exists")
        self.name = name


class MissingScope(Forbidden):
    def __init__(self, scope: str) -> None:
        super().__init__(f"this operation needs the {scope!r} scope, which these credentials lack")
        self.scope = scope


class PredictionNotFound(NotFound):
    def __init__(self, prediction_id: str) -> None:
        super().__init__(f"no prediction with id {prediction_id!r}")
        self.prediction_id = prediction_id


class FeedbackConflict(Conflict):
    def __init__(self, prediction_id: str, recorded: str, sent: str) -> None:
        super().__init__(
            f"prediction {prediction_id!r} already has feedback {recorded!r}; "
            f"it cannot be changed to {sent!r}"
        )


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One bad value: where it is (record index, field name) and what is wrong with it."""

    location: tuple[str | int, ...]
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.location), "msg": self.message}


class InvalidRecords(InvalidInput):
    """Records that do not match a model's input schema; one problem per bad field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        count = len(problems)
        first = problems[0] if problems else None
        summary = (
            f"{'.'.join(str(part) for part in first.location)}: {first.message}" if first else ""
        )
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{count} invalid field(s): {summary}{more}")
        self.problems = tuple(problems)

    def extra(self) -> dict[str, Any]:
        return {"errors": [problem.as_dict() for problem in self.problems]}


class InvalidCursor(InvalidInput):
    def __init__(self) -> None:
        super().__init__("the cursor is not one this API returned; start again without it")


class PayloadTooLarge(InvalidInput):
    """A body or a batch over the configured limit (HTTP 413)."""


class UnsupportedMediaType(InvalidInput):
    """A body sent with a content type other than JSON (HTTP 415)."""

    def __init__(self, content_type: str) -> None:
        sent = content_type or "none"
        super().__init__(
            f"the body must be JSON: send the header Content-Type: application/json (got {sent})"
        )


class ModelNotLoaded(Unavailable):
    def __init__(self, name: str) -> None:
        super().__init__(f"model {name!r} is not loaded yet; retry once /readyz answers 200")
        self.name = name


class DatabaseUnavailable(Unavailable):
    def __init__(self, reason: str) -> None:
        super().__init__(f"the prediction log database is unavailable: {reason}")


class RateLimitStorageUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__(
            "the rate-limit store (Redis) cannot be reached, and the server is set to refuse "
            "requests it cannot count (rate_limit.on_storage_down=deny)"
        )


class RegistryUnavailable(Unavailable):
    def __init__(self, reason: str) -> None:
        super().__init__(f"the model registry is unavailable: {reason}")


__all__ = [
    "Conflict",
    "DatabaseUnavailable",
    "FeedbackConflict",
    "FieldProblem",
    "InvalidCursor",
    "InvalidInput",
    "InvalidRecords",
    "ModelNotFound",
    "ModelNotLoaded",
    "ModelVersionNotFound",
    "NotFound",
    "PayloadTooLarge",
    "PredictionNotFound",
    "RegistryUnavailable",
    "ShipyardError",
    "Unavailable",
    "UnsupportedMediaType",
]
