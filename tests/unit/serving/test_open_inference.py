"""Open Inference Protocol tensors become shipyard's records, and its predictions become
output tensors; anything else says what to send."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from shipyard.domain.schema import FieldType, InputField, InputSchema
from shipyard.errors import InvalidInput, NotFound, UnsupportedMediaType
from shipyard.serving.open_inference import (
    OUTPUTS,
    BadShape,
    BinaryTensorData,
    InferRequest,
    InvalidInferRequest,
    MissingInputs,
    UnknownInputs,
    UnknownOutputs,
    VersionNotServed,
    WrongDatatype,
    check_version,
    classes_parameter,
    infer_answer,
    infer_request_of,
    model_metadata,
)

SCHEMA = InputSchema(
    (
        InputField("Age", FieldType.INTEGER),
        InputField("Department", FieldType.STRING),
        InputField("Rate", FieldType.NUMBER),
        InputField("Remote", FieldType.BOOLEAN),
        InputField("Note", FieldType.STRING, required=False),
    )
)
RECORDS = [
    {"Age": 41, "Department": "Sales", "Rate": 0.5, "Remote": True},
    {"Age": 29, "Department": "R&D", "Rate": 1.0, "Remote": False},
]


def tensor(name: str, datatype: str, shape: list[Any], data: list[Any]) -> dict[str, Any]:
    return {"name": name, "datatype": datatype, "shape": shape, "data": data}


def tensors(**overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """The input tensors of RECORDS, with some replaced (or left out when ``{}``)."""
    sent = {
        "Age": tensor("Age", "INT64", [2], [41, 29]),
        "Department": tensor("Department", "BYTES", [2], ["Sales", "R&D"]),
        "Rate": tensor("Rate", "FP64", [2, 1], [[0.5], [1.0]]),
        "Remote": tensor("Remote", "BOOL", [2], [True, False]),
    }
    sent.update(overrides)
    return [given for given in sent.values() if given]


def test_one_tensor_per_field_gives_the_records_in_order() -> None:
    asked = infer_request_of({"id": "order-42", "inputs": tensors()}, SCHEMA)
    assert asked == InferRequest(id="order-42", records=RECORDS, outputs=OUTPUTS)


def test_an_optional_field_may_be_sent_or_left_out_and_records_keep_the_schema_order() -> None:
    note = tensor("Note", "BYTES", [2], ["a", "b"])
    asked = infer_request_of({"inputs": [note, *reversed(tensors())]}, SCHEMA)
    assert asked.records == [{**RECORDS[0], "Note": "a"}, {**RECORDS[1], "Note": "b"}]
    assert list(asked.records[0]) == ["Age", "Department", "Rate", "Remote", "Note"]


def test_a_missing_value_of_an_optional_field_is_null_or_an_fp64_nan() -> None:
    # What raw JSON sends for a gap (null, in a tensor of any datatype), and what numpy
    # holds for one in a float array (NaN, which tritonclient sends as NaN): the record
    # holds None, as a /predict record with null.
    note = tensor("Note", "BYTES", [2], [None, "b"])
    rates = tensor("Rate", "FP64", [2], [float("nan"), 1.0])
    asked = infer_request_of({"inputs": [*tensors(Rate=rates), note]}, SCHEMA)
    assert [record["Note"] for record in asked.records] == [None, "b"]
    assert [record["Rate"] for record in asked.records] == [None, 1.0]
    # Infinity stays what it is: the validator refuses it, as at /predict.
    infinite = tensor("Rate", "FP64", [2], [float("inf"), 1.0])
    (first, _) = infer_request_of({"inputs": tensors(Rate=infinite)}, SCHEMA).records
    assert math.isinf(first["Rate"])


def test_parameters_and_binary_outputs_asked_for_do_not_change_the_records() -> None:
    # tritonclient's defaults: binary_data_output, and binary_data on each requested output.
    body = {
        "parameters": {"binary_data_output": True, "priority": 1},
        "inputs": tensors(),
        "outputs": [
            {"name": "probabilities", "parameters": {"binary_data": True}},
            {"name": "label"},
            {"name": "label"},
        ],
    }
    asked = infer_request_of(body, SCHEMA)
    assert asked.records == RECORDS
    assert asked.outputs == ("probabilities", "label")


@pytest.mark.parametrize(
    ("body", "kind", "problem"),
    [
        ([{"Age": 41}], InvalidInferRequest, 'a JSON object with "inputs"'),
        ({"inputs": []}, InvalidInferRequest, '"inputs" must be a non-empty list of tensors'),
        ({"id": 42, "inputs": tensors()}, InvalidInferRequest, '"id" must be a string'),
        ({"parameters": [], "inputs": tensors()}, InvalidInferRequest, "must be an object"),
        ({"inputs": [["Age", 41]]}, InvalidInferRequest, 'input 0 must be an object with "name"'),
        (
            {"inputs": tensors(Age={"name": "Age", "shape": [2], "data": [41, 29]})},
            InvalidInferRequest,
            "input 'Age' needs \"datatype\"",
        ),
        (
            {"inputs": tensors(Age={"name": "Age", "datatype": "INT64", "shape": [2]})},
            InvalidInferRequest,
            "input 'Age' needs \"data\", a list of its values",
        ),
        (
            {"inputs": [*tensors(), tensors()[0]]},
            InvalidInferRequest,
            "input 'Age' is sent twice",
        ),
        (
            {"inputs": tensors(Age={})},
            MissingInputs,
            "missing input(s) 'Age'; the model takes one tensor per field: Age (INT64), "
            "Department (BYTES), Rate (FP64), Remote (BOOL), Note (BYTES)",
        ),
        (
            {"inputs": [*tensors(), tensor("Salary", "FP64", [2], [1, 2])]},
            UnknownInputs,
            "unknown input(s) 'Salary'; the model takes one tensor per field: Age (INT64)",
        ),
        (
            {"inputs": tensors(Age=tensor("Age", "FP64", [2], [41.0, 29.0]))},
            WrongDatatype,
            "input 'Age' is sent as FP64; the model takes it as INT64 (integers)",
        ),
        (
            {"inputs": tensors(Remote=tensor("Remote", "INT64", [2], [1, 0]))},
            WrongDatatype,
            "input 'Remote' is sent as INT64; the model takes it as BOOL (true / false)",
        ),
        (
            {"inputs": tensors(Age=tensor("Age", "INT64", [1, 2], [41, 29]))},
            BadShape,
            "input 'Age' has shape [1, 2]; send shape [N] or [N, 1]: one value per record",
        ),
        (
            {"inputs": tensors(Age=tensor("Age", "INT64", ["2"], [41, 29]))},
            BadShape,
            "input 'Age' has shape ['2']; send shape [N] or [N, 1]",
        ),
        (
            {"inputs": tensors(Age=tensor("Age", "INT64", [0], []))},
            BadShape,
            "input 'Age' has shape [0]; send at least one record",
        ),
        (
            {"inputs": tensors(Age=tensor("Age", "INT64", [2], [41]))},
            BadShape,
            "input 'Age' holds 1 value(s) for shape [2]",
        ),
        (
            {"inputs": tensors(Age=tensor("Age", "INT64", [3], [41, 29, 30]))},
            BadShape,
            "the inputs hold different numbers of records (Age 3, Department 2, Rate 2, Remote 2)",
        ),
        (
            {"inputs": tensors(), "outputs": [{"name": "score"}, {"name": "label"}]},
            UnknownOutputs,
            "unknown output(s) 'score'; the model answers label, probabilities, prediction_id",
        ),
        (
            {"inputs": tensors(), "outputs": []},
            InvalidInferRequest,
            '"outputs" is empty: name at least one output (label, probabilities, '
            'prediction_id), or leave "outputs" out for all of them',
        ),
        (
            {"inputs": tensors(), "outputs": ["label"]},
            InvalidInferRequest,
            '"outputs" must be a list of objects with a "name"',
        ),
        (
            {
                "inputs": tensors(),
                "outputs": [{"name": "label", "parameters": {"classification": 2}}],
            },
            InvalidInferRequest,
            "the classification extension (class_count) is not supported",
        ),
        (
            {
                "inputs": tensors(
                    Age={
                        "name": "Age",
                        "datatype": "INT64",
                        "shape": [2],
                        "parameters": {"shared_memory_region": "input0"},
                    }
                )
            },
            InvalidInferRequest,
            "input 'Age' names a shared-memory region: shipyard takes tensors in the body only",
        ),
    ],
)
def test_a_wrong_request_says_what_to_send(
    body: Any, kind: type[InvalidInferRequest], problem: str
) -> None:
    with pytest.raises(kind) as raised:
        infer_request_of(body, SCHEMA)
    assert problem in raised.value.detail
    assert isinstance(raised.value, InvalidInput)  # a 422, as any bad body


def test_binary_tensor_data_is_refused_with_what_to_send_instead() -> None:
    # What tritonclient sends by default: the size in the JSON, the bytes after it.
    binary: dict[str, Any] = {"name": "Age", "datatype": "INT64", "shape": [2]}
    binary["parameters"] = {"binary_data_size": 16}
    with pytest.raises(BinaryTensorData) as raised:
        infer_request_of({"inputs": tensors(Age=binary)}, SCHEMA)
    assert isinstance(raised.value, UnsupportedMediaType)  # a 415, as a body that is not JSON
    assert raised.value.detail == (
        "binary tensor data is not supported: send every tensor's values as JSON in its "
        '"data" (tritonclient: set_data_from_numpy(array, binary_data=False))'
    )


def test_only_the_served_version_answers() -> None:
    check_version("attrition", None, "3")
    check_version("attrition", "3", "3")
    with pytest.raises(VersionNotServed) as raised:
        check_version("attrition", "2", "3")
    assert isinstance(raised.value, NotFound)
    assert raised.value.detail == (
        "model 'attrition' serves version 3 here, not '2': ask for "
        "/v2/models/attrition/versions/3/..., or leave the version out"
    )


def test_the_metadata_has_one_input_per_field_and_the_class_order() -> None:
    assert model_metadata("attrition", "3", SCHEMA, ("No", "Yes")) == {
        "name": "attrition",
        "versions": ["3"],
        "platform": "shipyard-sklearn",
        "inputs": [
            {"name": "Age", "datatype": "INT64", "shape": [-1]},
            {"name": "Department", "datatype": "BYTES", "shape": [-1]},
            {"name": "Rate", "datatype": "FP64", "shape": [-1]},
            {"name": "Remote", "datatype": "BOOL", "shape": [-1]},
            {"name": "Note", "datatype": "BYTES", "shape": [-1]},
        ],
        "outputs": [
            {"name": "label", "datatype": "BYTES", "shape": [-1]},
            {
                "name": "probabilities",
                "datatype": "FP64",
                "shape": [-1, 2],
                # A string: the protocol's parameter values are strings, numbers or booleans.
                "parameters": {"classes": '["No", "Yes"]'},
            },
            {"name": "prediction_id", "datatype": "BYTES", "shape": [-1]},
        ],
    }


PREDICTIONS = [
    {
        "prediction_id": "0198a0c0-0000-7000-8000-000000000001",
        "model": "attrition",
        "version": "3",
        "label": "Yes",
        "probabilities": {"No": 0.25, "Yes": 0.75},
        "latency_ms": 0.2,
    },
    {
        "prediction_id": "0198a0c0-0000-7000-8000-000000000002",
        "model": "attrition",
        "version": "3",
        "label": "No",
        "probabilities": {"No": 0.875, "Yes": 0.125},
        "latency_ms": 0.2,
    },
]


def test_the_answer_holds_every_output_row_major_with_the_requests_id() -> None:
    asked = InferRequest(id="order-42", records=RECORDS, outputs=OUTPUTS)
    assert infer_answer(asked, "shipyard-request", PREDICTIONS, ("No", "Yes")) == {
        "model_name": "attrition",
        "model_version": "3",
        "id": "order-42",
        "outputs": [
            tensor("label", "BYTES", [2], ["Yes", "No"]),
            {
                "name": "probabilities",
                "datatype": "FP64",
                "shape": [2, 2],
                "data": [0.25, 0.75, 0.875, 0.125],
                "parameters": {"classes": '["No", "Yes"]'},
            },
            {
                "name": "prediction_id",
                "datatype": "BYTES",
                "shape": [2],
                "data": [p["prediction_id"] for p in PREDICTIONS],
            },
        ],
    }


def test_the_answer_holds_the_outputs_asked_for_and_shipyards_id_without_one() -> None:
    asked = InferRequest(id=None, records=RECORDS, outputs=("prediction_id", "label"))
    answer = infer_answer(asked, "shipyard-request", PREDICTIONS, ("No", "Yes"))
    assert answer["id"] == "shipyard-request"
    assert [output["name"] for output in answer["outputs"]] == ["prediction_id", "label"]


def test_every_row_of_probabilities_follows_the_one_class_order() -> None:
    # A replayed answer read back from PostgreSQL's JSONB may list the classes in another
    # order per record: the columns still follow the order the answer states.
    shuffled = [PREDICTIONS[0], {**PREDICTIONS[1], "probabilities": {"Yes": 0.125, "No": 0.875}}]
    asked = InferRequest(id=None, records=RECORDS, outputs=("probabilities",))
    (probabilities,) = infer_answer(asked, "r", shuffled, ("No", "Yes"))["outputs"]
    assert probabilities["data"] == [0.25, 0.75, 0.875, 0.125]


SENTIMENT = ("negative", "neutral", "positive")  # scikit-learn's order: the metadata's


def sentiment_prediction(number: int, probabilities: dict[str, float]) -> dict[str, Any]:
    return {
        "prediction_id": f"0198a0c0-0000-7000-8000-00000000000{number}",
        "model": "sentiment",
        "version": "1",
        "label": max(probabilities, key=probabilities.__getitem__),
        "probabilities": probabilities,
        "latency_ms": 0.2,
    }


def test_the_columns_follow_the_models_class_order_not_the_stored_answers() -> None:
    # A replay read back from PostgreSQL: JSONB orders keys by length, then bytes, so
    # "neutral" (7 bytes) comes before "negative" and "positive" (8) in every row.
    replayed = [
        sentiment_prediction(1, {"neutral": 0.25, "negative": 0.125, "positive": 0.625}),
        sentiment_prediction(2, {"neutral": 0.5, "negative": 0.375, "positive": 0.125}),
    ]
    asked = InferRequest(id=None, records=[{}, {}], outputs=("probabilities",))
    (probabilities,) = infer_answer(asked, "r", replayed, SENTIMENT)["outputs"]
    metadata = model_metadata("sentiment", "1", InputSchema(()), SENTIMENT)
    assert probabilities["parameters"] == metadata["outputs"][1]["parameters"]
    assert json.loads(probabilities["parameters"]["classes"]) == list(SENTIMENT)
    assert probabilities["data"] == [0.125, 0.25, 0.625, 0.375, 0.5, 0.125]


def test_an_answer_of_other_classes_keeps_the_order_it_states() -> None:
    # Replayed after a promotion to a version with other classes: its own columns, named.
    earlier = [sentiment_prediction(1, {"negative": 0.25, "positive": 0.75})]
    asked = InferRequest(id=None, records=[{}], outputs=("probabilities",))
    (probabilities,) = infer_answer(asked, "r", earlier, SENTIMENT)["outputs"]
    assert probabilities["shape"] == [1, 2]
    assert json.loads(probabilities["parameters"]["classes"]) == ["negative", "positive"]
    assert probabilities["data"] == [0.25, 0.75]


def test_the_classes_parameter_is_a_json_string_any_client_reads_back() -> None:
    classes = ("No", "Yes", 'a "quoted", odd class', "café")
    encoded = classes_parameter(classes)
    assert isinstance(encoded, str)
    assert encoded.startswith('["No", "Yes", ')
    assert json.loads(encoded) == list(classes)
