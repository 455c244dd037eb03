from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class InputFieldRead(BaseModel):
    name: str
    type: str = Field(description="string, integer, number or boolean")
    required: bool


class ModelVersionRead(BaseModel):
    version: str
    created_at: datetime
    aliases: list[str]
    run_id: str | None
    metrics: dict[str, float]


class ModelRead(BaseModel):
    name: str
    description: str | None
    aliases: dict[str, str] = Field(description="alias -> version, e.g. champion -> 3")
    served_version: str | None = Field(description="version this server answers with")
    input_schema: list[InputFieldRead]
    versions: list[ModelVersionRead]


class ModelSummaryRead(BaseModel):
    name: str
    served_version: str | None
    aliases: dict[str, str]
    latest_version: str | None


class ModelPage(BaseModel):
    items: list[ModelSummaryRead]
