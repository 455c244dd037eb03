"""Turn a request body into records a model can score, or say exactly what is wrong.

The validator is a pydantic model built from the model's input schema: named, typed,
strict fields (no string-to-number coercion), finite numbers only, unknown fields refused.
Its JSON schema is what OpenAPI shows for the model.
"""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

import pydantic_core
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)
from typing_extensions import TypedDict

from shipyard.domain.schema import FieldType, InputField, InputSchema
from shipyard.errors import FieldProblem, InvalidInput, InvalidRecords, PayloadTooLarge


def _integral(value: Any) -> Any:
    """JSON has one number type: ``42.0`` is the integer 42 (JSON Schema says so too)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_PYTHON_TYPES: dict[FieldType, Any] = {
    FieldType.STRING: str,
    # Strict (no "42" strings, no booleans), but 42.0 is 42, as the published schema allows.
    FieldType.INTEGER: Annotated[int, BeforeValidator(_integral)],
    # Strict floats still take JSON integers; NaN and infinities are refused per field.
    FieldType.NUMBER: float,
    FieldType.BOOLEAN: bool,
}


INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class BadBody(InvalidInput):
    """The body is not a JSON object or array of objects."""


class TooManyRows(PayloadTooLarge):
    def __init__(self, rows: int, limit: int) -> None:
        super().__init__(f"{rows} records in one request; the limit is {limit}. Split the batch.")


def _field_options(field: InputField) -> dict[str, Any]:
    options: dict[str, Any] = {"strict": True}
    if field.type is FieldType.NUMBER:
        options["allow_inf_nan"] = False
    elif field.type is FieldType.INTEGER:
        # The model sees int64: a larger integer would wrap around, silently.
        options.update(ge=INT64_MIN, le=INT64_MAX)
    elif field.type is FieldType.STRING:
        # NUL cannot be stored in PostgreSQL text or JSONB; refuse it up front.
        options["pattern"] = r"^[^\x00]*$"
    return options


def _record_model(model_name: str, schema: InputSchema) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for field in schema.fields:
        python_type = _PYTHON_TYPES[field.type]
        options = _field_options(field)
        if field.required:
            fields[field.name] = (python_type, Field(**options))
        else:
            fields[field.name] = (python_type | None, Field(default=None, **options))
    title = "".join(part.capitalize() for part in model_name.replace("-", "_").split("_"))
    return create_model(
        f"{title}Record",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


_STRICT_TYPES: dict[FieldType, Any] = {
    FieldType.STRING: str,
    FieldType.INTEGER: int,
    FieldType.NUMBER: float,
    FieldType.BOOLEAN: bool,
}


def _fast_adapters(schema: InputSchema) -> tuple[TypeAdapter[Any], TypeAdapter[Any]]:
    """Validators of a whole body (one record, or a list) in one call into pydantic-core.

    The same fields and constraints as the record model, but strict integers only (no
    ``42.0``) and no Python code per field: a body they accept is valid as it is; anything
    else goes through the record model, which also says exactly what is wrong.
    """
    fields: dict[str, Any] = {}
    for field in schema.fields:
        python_type: Any = _STRICT_TYPES[field.type]
        annotated: Any = Annotated[python_type, Field(**_field_options(field))]
        fields[field.name] = annotated if field.required else NotRequired[annotated | None]
    record: Any = TypedDict("Record", fields)  # type: ignore[misc]  # built at run time
    record.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return TypeAdapter(record), TypeAdapter(list[record])


def _problem(error: Any, offset: tuple[str | int, ...]) -> FieldProblem:
    location = offset + tuple(error["loc"])
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = "unknown field; the model's input schema does not have it"
    elif error["type"] == "missing":
        message = "field required"
    elif error["type"] == "string_pattern_mismatch":
        message = "text must not contain NUL (\\u0000) characters"
    return FieldProblem(location=location, message=message)


class RecordValidator:
    """Validates one record or a list of records for one model."""

    def __init__(self, model_name: str, schema: InputSchema, *, max_rows: int) -> None:
        self.schema = schema
        self.max_rows = max_rows
        self.record_model = _record_model(model_name, schema)
        self._one_fast, self._many_fast = _fast_adapters(schema)
        self._optional = not all(field.required for field in schema.fields)

    def json_schema(self) -> dict[str, Any]:
        return self.record_model.model_json_schema()

    def parse(self, body: bytes) -> list[dict[str, Any]]:
        """Records from a JSON body: ``{...}`` or ``[{...}, ...]``."""
        records = self._parse_fast(body)
        if records is None:
            records = self._parse_checked(body)
        return records

    def _parse_fast(self, body: bytes) -> list[dict[str, Any]] | None:
        """The records of a body that is valid as it is; None for anything else."""
        opening = body.lstrip()[:1]
        try:
            if opening == b"{":
                records = [self._one_fast.validate_json(body)]
            elif opening == b"[":
                records = self._many_fast.validate_json(body)
            else:
                return None
        except ValidationError:
            return None
        if not records or len(records) > self.max_rows:
            return None
        if self._optional:  # every field named, in schema order, as the record model does
            names = self.schema.names
            records = [{name: record.get(name) for name in names} for record in records]
        return records

    def _parse_checked(self, body: bytes) -> list[dict[str, Any]]:
        try:
            document = pydantic_core.from_json(body, allow_inf_nan=True)
        except ValueError as error:
            raise BadBody(f"the body is not valid JSON: {error}") from None
        if isinstance(document, dict):
            return [self._validate(document, ())]
        if not isinstance(document, list):
            raise BadBody("send one record as a JSON object, or a JSON array of records")
        if not document:
            raise BadBody("the array of records is empty; send at least one record")
        if len(document) > self.max_rows:
            raise TooManyRows(len(document), self.max_rows)
        records: list[dict[str, Any]] = []
        problems: list[FieldProblem] = []
        for index, item in enumerate(document):
            try:
                records.append(self._validate(item, (index,)))
            except InvalidRecords as invalid:
                problems.extend(invalid.problems)
        if problems:
            raise InvalidRecords(problems)
        return records

    def _validate(self, item: Any, offset: tuple[str | int, ...]) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise InvalidRecords([FieldProblem(offset, "a record must be a JSON object")])
        try:
            record = self.record_model.model_validate(item)
        except ValidationError as error:
            raise InvalidRecords([_problem(e, offset) for e in error.errors()]) from None
        return record.model_dump()
