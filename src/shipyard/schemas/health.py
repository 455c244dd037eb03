from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class LivenessRead(BaseModel):
    status: Literal["alive"] = "alive"


class ReadinessRead(BaseModel):
    status: Literal["ready", "not ready"]
    models: dict[str, bool]
    database: bool
    reasons: list[str]


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
