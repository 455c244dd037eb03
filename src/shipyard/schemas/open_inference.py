"""Wire bodies of the Open Inference Protocol (KServe V2), named as the protocol names them."""

from __future__ import annotations

from pydantic import BaseModel, Field

Parameters = dict[str, str | int | float | bool]
"""A tensor's parameters: the protocol's values are strings, numbers or booleans, no lists."""
_CLASSES = (
    'on "probabilities": "classes", the order of its columns as a JSON-encoded list of the '
    'class names (a string, e.g. \'["No", "Yes"]\': read it with json.loads)'
)


class ServerLiveRead(BaseModel):
    live: bool


class ServerReadyRead(BaseModel):
    ready: bool
    reasons: list[str] = Field(description="why the server is not ready (as /readyz says)")


class ServerMetadataRead(BaseModel):
    name: str
    version: str
    extensions: list[str]


class ModelReadyRead(BaseModel):
    name: str
    ready: bool


class TensorMetadataRead(BaseModel):
    name: str
    datatype: str = Field(description="INT64, FP64, BOOL or BYTES")
    shape: list[int] = Field(description="-1 for the number of records")
    parameters: Parameters | None = Field(default=None, description=_CLASSES)


class ModelMetadataRead(BaseModel):
    name: str
    versions: list[str] = Field(description="the served version")
    platform: str
    inputs: list[TensorMetadataRead] = Field(description="one tensor per field of the schema")
    outputs: list[TensorMetadataRead]


class OutputTensorRead(BaseModel):
    name: str = Field(description="label, probabilities or prediction_id")
    datatype: str
    shape: list[int]
    data: list[str] | list[float] = Field(description="row-major")
    parameters: Parameters | None = Field(default=None, description=_CLASSES)


class InferResponseRead(BaseModel):
    model_name: str
    model_version: str
    id: str = Field(description="the request's id, or shipyard's request id (X-Request-ID)")
    outputs: list[OutputTensorRead]
