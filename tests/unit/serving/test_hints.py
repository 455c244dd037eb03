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


def test_numbers_start_at_the_median_and_strings_at_the_commonest_never_a_record() -> None:
    hints = field_hints(SCHEMA, REFERENCE)
    assert hints["age"] == FieldHint(example=35, minimum=20.0, maximum=50.0)  # 20 30 40 50
    assert hints["income"] == FieldHint(example=3.5, minimum=1.5, maximum=5.5)
    assert hints["city"] == FieldHint(example="Lyon", choices=("Lyon", "Nice", "Paris"))
    assert hints["member"] == FieldHint(example=True)
    # Five distinct notes: offered as categories, starting at one of them (the commonest
    # of equals); a median or a mode is never one person's whole record.
    assert hints["note"].choices == tuple(sorted(REFERENCE["note"]))


def test_free_text_is_not_offered_as_categories() -> None:
    many = pd.DataFrame({"note": [f"text {i}" for i in range(MAX_CHOICES + 1)]})
    schema = InputSchema((InputField("note", FieldType.STRING),))
    assert field_hints(schema, many)["note"].choices == ()
    assert len(field_hints(schema, many.head(MAX_CHOICES))["note"].choices) == MAX_CHOICES


def test_without_reference_data_nothing_is_known() -> None:
    hints = field_hints(SCHEMA, None)
    assert hints["age"] == FieldHint()
    assert hints["city"] == FieldHint()
