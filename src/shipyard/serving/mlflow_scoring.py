"""MLflow's scoring protocol, the one ``mlflow models serve`` speaks at ``/invocations``, so
that its clients work against shipyard unchanged.

A JSON body holds the records in one of MLflow's four shapes:

    {"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]}}
    {"dataframe_records": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}
    {"instances": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}
    {"inputs": {"a": [1, 2], "b": ["x", "y"]}}     (or a list of records)

with an optional ``params`` object, which MLflow passes to models whose signature declares
parameters. A shipyard model declares none, and MLflow ignores undeclared parameters with a
warning; so does shipyard. The answer is ``{"predictions": [label, ...]}``, what MLflow
answers for a scikit-learn classifier. Records are then validated, scored and logged
exactly as a ``/predict`` request's.
"""

from __future__ import annotations

from typing import Any

from shipyard.errors import InvalidInput

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


class InvalidInvocation(InvalidInput):
    def __init__(self, problem: str) -> None:
        super().__init__(
            f"{problem}. Send one of: "
            '{"dataframe_split": {"columns": [...], "data": [[...], ...]}}, '
            '{"dataframe_records": [{...}, ...]}, {"instances": [{...}, ...]}, '
            '{"inputs": {"column": [...], ...}}'
        )


def _objects(rows: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(rows, list) or not rows:
        raise InvalidInvocation(f"{where} must be a non-empty list of records")
    if not all(isinstance(row, dict) for row in rows):
        raise InvalidInvocation(
            f"{where} must hold records with field names (objects), not bare lists"
        )
    return rows


def _split(frame: Any) -> list[dict[str, Any]]:
    if not isinstance(frame, dict):
        raise InvalidInvocation('"dataframe_split" must be an object with columns and data')
    columns, data = frame.get("columns"), frame.get("data")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise InvalidInvocation('"dataframe_split" needs "columns", a list of field names')
    if not isinstance(data, list) or not data:
        raise InvalidInvocation('"dataframe_split" needs "data", a non-empty list of rows')
    records = []
    for number, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise InvalidInvocation(
                f'"dataframe_split" row {number} must be a list of {len(columns)} values, '
                "one per column"
            )
        records.append(dict(zip(columns, row, strict=True)))
    return records


def _columns(inputs: Any) -> list[dict[str, Any]]:
    if isinstance(inputs, list):
        return _objects(inputs, '"inputs"')
    if not isinstance(inputs, dict) or not inputs:
        raise InvalidInvocation('"inputs" must be an object of columns or a list of records')
    lengths = {len(v) if isinstance(v, list) else -1 for v in inputs.values()}
    if -1 in lengths or len(lengths) != 1 or 0 in lengths:
        raise InvalidInvocation(
            '"inputs" as an object must map each field to a list of values, all as long'
        )
    names = list(inputs)
    return [dict(zip(names, values, strict=True)) for values in zip(*inputs.values(), strict=True)]


def records_of(body: Any) -> list[dict[str, Any]]:
    """The records an ``/invocations`` body carries, in order."""
    if not isinstance(body, dict):
        raise InvalidInvocation("the body must be a JSON object")
    given = [key for key in FORMATS if key in body]
    unknown = sorted(set(body) - {*FORMATS, "params"})
    if len(given) != 1 or unknown:
        found = ", ".join(f'"{key}"' for key in sorted(set(body) - {"params"})) or "nothing"
        raise InvalidInvocation(f"the body must hold exactly one of the formats, it holds {found}")
    (key,) = given
    if key == "dataframe_split":
        return _split(body[key])
    if key == "inputs":
        return _columns(body[key])
    return _objects(body[key], f'"{key}"')


def invocation_answer(predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """MLflow's answer for a classifier: the predicted labels, in order."""
    return {"predictions": [prediction["label"] for prediction in predictions]}
