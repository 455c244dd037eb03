from __future__ import annotations

import pytest

import shipyard.errors as errors
from shipyard.errors import FieldProblem, InvalidRecords


def test_every_public_error_belongs_to_one_of_the_four_kinds() -> None:
    kinds = (errors.NotFound, errors.Conflict, errors.InvalidInput, errors.Unavailable)
    for name in errors.__all__:
        item = getattr(errors, name)
        if isinstance(item, type) and issubclass(item, errors.ShipyardError):
            if item in (errors.ShipyardError, *kinds):
                continue
            assert issubclass(item, kinds), name


def test_invalid_records_summarises_the_first_problem_and_counts_the_rest() -> None:
    error = InvalidRecords(
        [FieldProblem((0, "Age"), "Input should be a valid integer"), FieldProblem(("x",), "bad")]
    )
    assert error.detail == "2 invalid field(s): 0.Age: Input should be a valid integer (and 1 more)"
    assert error.extra() == {
        "errors": [
            {"loc": [0, "Age"], "msg": "Input should be a valid integer"},
            {"loc": ["x"], "msg": "bad"},
        ]
    }


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (errors.ModelNotFound("churn"), "no model named 'churn'"),
        (errors.PredictionNotFound("abc"), "no prediction with id 'abc'"),
        (errors.FeedbackConflict("p", "Yes", "No"), "already has feedback 'Yes'"),
    ],
)
def test_messages_name_the_thing_to_fix(error: errors.ShipyardError, text: str) -> None:
    assert text in error.detail
