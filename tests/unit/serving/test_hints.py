"""What a generated form offers for each field: a typical value, categories, a range."""

from __future__ import annotations

import pandas as pd

from shipyard.domain.schema import FieldHint, FieldType, InputField, InputSchema
from shipyard.serving.hints import MAX_CHOICES, field_hints

SCHEMA = InputSchema(
    (
        InputField("age", FieldType.INTEGER),
        InputField("income", FieldType.NUMBER),
        InputField("city", FieldType.STRING),
        InputField("note", FieldType.STRING),
        InputField("member", FieldType.BOOLEAN),
    )
)
REFERENCE = pd.DataFrame(
    {
        "age": [20, 30, 40, 50, None],
        "income": [1.5, 2.5, 3.5, 4.5, 5.5],
        "city": ["Lyon", "Paris", "Lyon", "Nice", "Lyon"],
        "note": [f"text {i}" for i in range(5)],
        "member": [True, False, True, True, False],
    }
)


def test_the_input_example_is_the_typical_value_and_the_reference_gives_the_rest() -> None:
    example = [{"age": 33, "income": 2.0, "city": "Nice", "note": "hi", "member": False}]
    hints = field_hints(SCHEMA, example, REFERENCE)
    assert hints["age"] == FieldHint(example=33, minimum=20.0, maximum=50.0)
    assert hints["income"] == FieldHint(example=2.0, minimum=1.5, maximum=5.5)
    assert hints["city"] == FieldHint(example="Nice", choices=("Lyon", "Nice", "Paris"))
    assert hints["member"] == FieldHint(example=False)


def test_without_an_example_numbers_start_at_the_median_and_strings_at_the_commonest() -> None:
    hints = field_hints(SCHEMA, [], REFERENCE)
    assert hints["age"].example == 35  # the median of 20, 30, 40 and 50
    assert hints["income"].example == 3.5
    assert hints["city"].example == "Lyon"


def test_free_text_is_not_offered_as_categories() -> None:
    many = pd.DataFrame({"note": [f"text {i}" for i in range(MAX_CHOICES + 1)]})
    schema = InputSchema((InputField("note", FieldType.STRING),))
    assert field_hints(schema, [], many)["note"].choices == ()
    assert len(field_hints(schema, [], many.head(MAX_CHOICES))["note"].choices) == MAX_CHOICES


def test_without_reference_data_only_the_example_is_known() -> None:
    hints = field_hints(SCHEMA, [{"age": 40}], None)
    assert hints["age"] == FieldHint(example=40)
    assert hints["city"] == FieldHint()
