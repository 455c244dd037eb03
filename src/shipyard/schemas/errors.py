from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorRead(BaseModel):
    """The one error shape of the API."""

    error: str = Field(description="error class name, e.g. InvalidRecords")
    detail: str = Field(description="what went wrong and how to fix it")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="one entry per bad field: loc (record index, field), msg"
    )
