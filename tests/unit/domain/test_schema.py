from __future__ import annotations

from shipyard.domain.schema import FieldType, InputField, InputSchema

AGE = InputField("age", FieldType.INTEGER)
DEPT = InputField("dept", FieldType.STRING)


def test_same_schema_is_compatible() -> None:
    assert InputSchema((AGE, DEPT)).is_compatible_with(InputSchema((AGE, DEPT)))


def test_a_new_required_field_breaks_compatibility() -> None:
    assert not InputSchema((AGE,)).is_compatible_with(InputSchema((AGE, DEPT)))


def test_a_changed_type_breaks_compatibility() -> None:
    as_number = InputField("age", FieldType.NUMBER)
    assert not InputSchema((AGE,)).is_compatible_with(InputSchema((as_number,)))


def test_a_new_optional_field_keeps_compatibility() -> None:
    optional = InputField("note", FieldType.STRING, required=False)
    assert InputSchema((AGE,)).is_compatible_with(InputSchema((AGE, optional)))
