"""MLflow's four request formats become the same records; anything else says what to send."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.serving.mlflow_scoring import InvalidInvocation, invocation_answer, records_of

RECORDS = [{"Age": 41, "Department": "Sales"}, {"Age": 29, "Department": "R&D"}]


@pytest.mark.parametrize(
    "body",
    [
        {
            "dataframe_split": {
                "columns": ["Age", "Department"],
                "data": [[41, "Sales"], [29, "R&D"]],
            }
        },
        {
            "dataframe_split": {
                "index": [7, 8],
                "columns": ["Age", "Department"],
                "data": [[41, "Sales"], [29, "R&D"]],
            }
        },
        {"dataframe_records": RECORDS},
        {"instances": RECORDS},
        {"inputs": RECORDS},
        {"inputs": {"Age": [41, 29], "Department": ["Sales", "R&D"]}},
        {"dataframe_records": RECORDS, "params": {"threshold": 0.3}},
    ],
)
def test_every_format_gives_the_records_in_order(body: dict[str, Any]) -> None:
    assert records_of(body) == RECORDS


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([{"Age": 41}], "the body must be a JSON object"),
        ({"Age": 41}, 'it holds "Age"'),
        ({"dataframe_records": RECORDS, "instances": RECORDS}, "exactly one of the formats"),
        ({}, "it holds nothing"),
        ({"instances": [[41, "Sales"]]}, "with field names (objects), not bare lists"),
        ({"dataframe_records": []}, "a non-empty list of records"),
        ({"dataframe_split": {"data": [[41]]}}, '"columns", a list of field names'),
        (
            {"dataframe_split": {"columns": ["Age", "Department"], "data": [[41]]}},
            "row 0 must be a list of 2 values",
        ),
        ({"inputs": {"Age": [41, 29], "Department": ["Sales"]}}, "all as long"),
        ({"inputs": {"Age": 41}}, "to a list of values"),
    ],
)
def test_a_wrong_body_says_what_to_send(body: Any, problem: str) -> None:
    with pytest.raises(InvalidInvocation) as raised:
        records_of(body)
    assert problem in raised.value.detail
    assert '{"dataframe_split": {"columns": [...]' in raised.value.detail


def test_the_answer_is_the_labels_in_order() -> None:
    scored = [{"label": "No", "probabilities": {"No": 0.9}}, {"label": "Yes"}]
    assert invocation_answer(scored) == {"predictions": ["No", "Yes"]}
