from __future__ import annotations

import pickle

import pytest

import shipyard.errors as errors
from shipyard.errors import (
    FieldProblem,
    InvalidInput,
    InvalidRecords,
    ModelNotFound,
    ModelVersionNotFound,
    ShipyardError,
)


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


@pytest.mark.parametrize(
    "error",
    [ModelVersionNotFound("churn", "3"), ModelNotFound("churn"), InvalidInput("bad value")],
)
def test_an_error_from_another_process_arrives_whole(error: ShipyardError) -> None:
    """Dask workers send their errors back pickled: each must unpickle to the same class
    and the same sentence, whatever its constructor takes."""
    arrived = pickle.loads(pickle.dumps(error))
    assert type(arrived) is type(error)
    assert arrived.detail == error.detail
    assert str(arrived) == str(error)
