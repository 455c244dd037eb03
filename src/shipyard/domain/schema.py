"""A model's input schema: named, typed fields, as the registry's signature gives them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class InputField:
    name: str
    type: FieldType
    required: bool = True


@dataclass(frozen=True, slots=True)
class InputSchema:
    fields: tuple[InputField, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    def is_compatible_with(self, other: InputSchema) -> bool:
        """True when every record valid for ``self`` is valid for ``other`` too."""
        theirs = {field.name: field for field in other.fields}
        ours = {field.name: field for field in self.fields}
        if any(field.required and field.name not in ours for field in other.fields):
            return False
        return all(
            name in theirs and theirs[name].type == field.type for name, field in ours.items()
        )


FieldValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class FieldHint:
    """What a person filling in a field should know: a typical value, the categories the
    version was trained on, the range of its numbers (aggregates of the version's reference
    data, never one of its records)."""

    example: FieldValue | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
