"""Every class of bad input gets a precise, per-field message."""

from __future__ import annotations

import json

import pytest

from shipyard.domain.schema import FieldType, InputField, InputSchema
from shipyard.errors import InvalidInput, InvalidRecords, PayloadTooLarge
from shipyard.serving.records import RecordValidator

SCHEMA = InputSchema(
    (
        InputField("Age", FieldType.INTEGER),
        InputField("MonthlyIncome", FieldType.NUMBER),
        InputField("Department", FieldType.STRING),
        InputField("Remote", FieldType.BOOLEAN, required=False),
    )
)
GOOD = {"Age": 41, "MonthlyIncome": 5993.5, "Department": "Sales"}


@pytest.fixture
def validator() -> RecordValidator:
    return RecordValidator("attrition", SCHEMA, max_rows=3)


def problems(validator: RecordValidator, body: bytes) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(InvalidRecords) as caught:
        validator.parse(body)
    return [(p.location, p.message) for p in caught.value.problems]


def test_one_record_or_a_list(validator: RecordValidator) -> None:
    assert validator.parse(json.dumps(GOOD).encode()) == [{**GOOD, "Remote": None}]
    assert len(validator.parse(json.dumps([GOOD, GOOD]).encode())) == 2


def test_integers_are_accepted_for_number_fields(validator: RecordValidator) -> None:
    record = validator.parse(json.dumps({**GOOD, "MonthlyIncome": 5000}).encode())[0]
    assert record["MonthlyIncome"] == 5000.0


def test_an_integral_number_is_an_integer_as_json_schema_says(
    validator: RecordValidator,
) -> None:
    record = validator.parse(json.dumps({**GOOD, "Age": 41.0}).encode())[0]
    assert record["Age"] == 41
    assert type(record["Age"]) is int


def test_unknown_field(validator: RecordValidator) -> None:
    found = problems(validator, json.dumps({**GOOD, "Salary": 1}).encode())
    assert found == [(("Salary",), "unknown field; the model's input schema does not have it")]


def test_missing_field(validator: RecordValidator) -> None:
    body = json.dumps({k: v for k, v in GOOD.items() if k != "Age"}).encode()
    assert problems(validator, body) == [(("Age",), "field required")]


@pytest.mark.parametrize(
    ("field", "value"),
    [("Age", "41"), ("Age", 41.5), ("Age", True), ("MonthlyIncome", "5993"), ("Department", 3)],
)
def test_mistyped_values_are_not_coerced(
    validator: RecordValidator, field: str, value: object
) -> None:
    found = problems(validator, json.dumps({**GOOD, field: value}).encode())
    assert [location for location, _ in found] == [(field,)]


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_numbers(validator: RecordValidator, token: bytes) -> None:
    body = b'{"Age": 41, "Department": "Sales", "MonthlyIncome": ' + token + b"}"
    assert problems(validator, body) == [(("MonthlyIncome",), "Input should be a finite number")]


def test_one_message_per_bad_field_across_records(validator: RecordValidator) -> None:
    body = json.dumps([GOOD, {**GOOD, "Age": "x", "Department": None}]).encode()
    assert [location for location, _ in problems(validator, body)] == [
        (1, "Age"),
        (1, "Department"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'"a string"', "one record as a JSON object"),
        (b"[]", "empty"),
    ],
)
def test_bodies_that_are_not_records(validator: RecordValidator, body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validator.parse(body)


def test_array_items_must_be_objects(validator: RecordValidator) -> None:
    assert problems(validator, b"[1]") == [((0,), "a record must be a JSON object")]


def test_too_many_rows(validator: RecordValidator) -> None:
    with pytest.raises(PayloadTooLarge, match="4 records in one request; the limit is 3"):
        validator.parse(json.dumps([GOOD] * 4).encode())


def test_json_schema_names_and_types_every_field(validator: RecordValidator) -> None:
    schema = validator.json_schema()
    assert schema["title"] == "AttritionRecord"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["Age", "MonthlyIncome", "Department"]
    assert schema["properties"]["Age"]["type"] == "integer"
    assert schema["properties"]["MonthlyIncome"]["type"] == "number"


@pytest.mark.parametrize(
    "body",
    [
        {**GOOD, "MonthlyIncome": 5000},
        [GOOD, {**GOOD, "Remote": True}, {**GOOD, "Age": 7}],
        {"Department": "R&D", "Remote": False, "MonthlyIncome": 1.25, "Age": -3},
    ],
)
def test_a_valid_body_parses_to_the_same_records_on_the_fast_path(
    validator: RecordValidator, body: object
) -> None:
    raw = json.dumps(body).encode()
    fast = validator._parse_fast(raw)
    checked = validator._parse_checked(raw)
    assert fast is not None
    assert fast == checked
    assert [list(r) for r in fast] == [list(r) for r in checked]  # same fields, same order
    assert [[type(v) for v in r.values()] for r in fast] == [
        [type(v) for v in r.values()] for r in checked
    ]
