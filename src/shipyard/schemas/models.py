from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class InputFieldRead(BaseModel):
    name: str
    type: str = Field(description="string, integer, number or boolean")
    required: bool
    example: str | int | float | bool | None = Field(
        None,
        description="a typical value: the median number or the commonest category of the "
        "reference data (never a record)",
    )
    choices: list[str] = Field(
        default_factory=list, description="the categories the served version was trained on"
    )
    minimum: float | None = Field(None, description="smallest value in the reference data")
    maximum: float | None = Field(None, description="largest value in the reference data")


class ModelVersionRead(BaseModel):
    version: str
    created_at: datetime
    aliases: list[str]
    run_id: str | None
    metrics: dict[str, float]


class PredictorRead(BaseModel):
    """What answers for the served version, and why."""

    kind: str = Field(description="onnx (the ONNX Runtime fast path) or sklearn")
    reason: str
    parity_rows: int = Field(description="reference rows the ONNX graph was checked on")
    max_probability_difference: float | None = Field(
        description="largest |ONNX - scikit-learn| probability on those rows"
    )


class ModelRead(BaseModel):
    name: str
    description: str | None
    aliases: dict[str, str] = Field(description="alias -> version, e.g. champion -> 3")
    served_version: str | None = Field(description="version this server answers with")
    predictor: PredictorRead | None = Field(description="null while no version is served")
    input_schema: list[InputFieldRead]
    versions: list[ModelVersionRead]


class ModelSummaryRead(BaseModel):
    name: str
    served_version: str | None
    aliases: dict[str, str]
    latest_version: str | None


class ModelPage(BaseModel):
    items: list[ModelSummaryRead]


class ReloadRead(BaseModel):
    """What a look at the registry did for one model."""

    model: str
    served_version: str | None = Field(description="the version served after the look")
    target_version: str = Field(description="the version the serving alias names")
    swapped: bool
    reason: str = Field(description="why it was (not) swapped")
