from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class LivenessRead(BaseModel):
    status: Literal["alive"] = "alive"


class SpoolRead(BaseModel):
    """The spool journal of this process (``spool`` policy)."""

    backlog_rows: int
    """Acknowledged rows waiting in the journal for the database."""
    size_bytes: int
    full: bool
    spooled_rows: int
    """Rows journaled since the process started."""
    replayed_rows: int
    """Rows replayed from the journal into the database since the process started."""


class ReadinessRead(BaseModel):
    status: Literal["ready", "not ready"]
    models: dict[str, bool]
    database: bool
    reasons: list[str]
    spool: SpoolRead | None = None
    """Present under the ``spool`` policy: the rows waiting for the database."""


class HealthRead(BaseModel):
    """The summary that uptime monitors (Uptime Kuma, Render, Spaces) poll."""

    status: Literal["ok", "degraded"]
    model_loaded: bool
    model: str | None
    version: str | None
    versions: dict[str, str]
    database: bool
    shipyard_version: str
    profile: str
    durability: list[str] = []
    """Database settings under which acknowledged predictions could be lost (empty: none)."""
    auth: Literal["enabled", "disabled"] = "enabled"
    """``disabled``: anyone may call every route as an admin (dev profile only)."""
    rate_limits: Literal["off", "ok", "unreachable"] = "ok"
    """``unreachable``: the rate-limit store (Redis) failed in the last 30 s."""
