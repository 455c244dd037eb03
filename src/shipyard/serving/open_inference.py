"""The Open Inference Protocol (KServe V2: what Triton, KServe and MLServer speak), so that
their clients (``tritonclient``, KServe's) work against shipyard unchanged.

A model takes one input tensor per field of its schema, columnar: ``Age`` is an INT64 tensor
of shape ``[N]`` (or ``[N, 1]``) holding the ages of N records, in order, and every input
holds the same N. The datatype follows the field's type (:data:`DATATYPES`); text travels as
JSON strings (BYTES). An optional field's tensor may be left out, and a missing value in it is
``null`` (in a tensor of any datatype) or NaN (in an FP64 one: numpy's gap in a float array),
which the record then holds as ``None``. ``data`` is flat or nested, row-major, as the
protocol allows::

    {"id": "order-42",
     "inputs": [{"name": "Age", "datatype": "INT64", "shape": [2], "data": [41, 29]},
                {"name": "Department", "datatype": "BYTES", "shape": [2],
                 "data": ["Sales", "Research_Development"]}],
     "outputs": [{"name": "label"}]}

The answer holds the output tensors ``outputs`` names (at least one), or all of
:data:`OUTPUTS`: ``label`` (BYTES ``[N]``), ``probabilities`` (FP64 ``[N, C]``, row-major, its
columns in the model's class order, which its ``classes`` parameter states as a JSON-encoded
list: the protocol's parameter values are strings, numbers or booleans) and ``prediction_id``
(BYTES ``[N]``: each record's row in the prediction log, which feedback names). ``id`` is the
request's, or shipyard's request id.

Tensor data is taken as JSON only: the binary tensor extension (tritonclient's default,
``binary_data=True``) gets a 415 that says to send JSON. Outputs always come back as JSON,
whatever ``binary_data`` they ask for; tritonclient reads both. Request parameters
(``priority``, ``timeout``, ...) are ignored, as the protocol lets a server do. The records
are then validated, scored and logged exactly as a ``/predict`` request's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.domain.schema import FieldType, InputSchema
from shipyard.errors import InvalidInput, NotFound, ShipyardError, UnsupportedMediaType

DATATYPES: dict[FieldType, str] = {
    FieldType.INTEGER: "INT64",
    FieldType.NUMBER: "FP64",
    FieldType.BOOLEAN: "BOOL",
    FieldType.STRING: "BYTES",
}
_VALUES = {"INT64": "integers", "FP64": "numbers", "BOOL": "true / false", "BYTES": "strings"}
OUTPUTS = ("label", "probabilities", "prediction_id")
PLATFORM = "shipyard-sklearn"
BINARY_HEADER = "Inference-Header-Content-Length"
"""The header of the binary tensor extension: its body is JSON followed by raw bytes."""


class InvalidInferRequest(InvalidInput):
    """An inference request shipyard cannot read as tensors."""


class MissingInputs(InvalidInferRequest):
    pass


class UnknownInputs(InvalidInferRequest):
    pass


class WrongDatatype(InvalidInferRequest):
    pass


class BadShape(InvalidInferRequest):
    pass


class UnknownOutputs(InvalidInferRequest):
    pass


class BinaryTensorData(UnsupportedMediaType):
    def __init__(self) -> None:
        ShipyardError.__init__(
            self,
            "binary tensor data is not supported: send every tensor's values as JSON in its "
            '"data" (tritonclient: set_data_from_numpy(array, binary_data=False))',
        )


class VersionNotServed(NotFound):
    def __init__(self, name: str, asked: str, served: str) -> None:
        super().__init__(
            f"model {name!r} serves version {served} here, not {asked!r}: ask for "
            f"/v2/models/{name}/versions/{served}/..., or leave the version out"
        )


@dataclass(frozen=True)
class InferRequest:
    """What an inference request asks: its records, in order, and the outputs to answer."""

    id: str | None
    records: list[dict[str, Any]]
    outputs: tuple[str, ...]


def check_version(name: str, asked: str | None, served: str) -> None:
    """Only the served version answers: another one asked for is a 404 naming it."""
    if asked is not None and asked != served:
        raise VersionNotServed(name, asked, served)


def _tensor_metadata(name: str, datatype: str, shape: list[int]) -> dict[str, Any]:
    return {"name": name, "datatype": datatype, "shape": shape}


def classes_parameter(classes: Sequence[str]) -> str:
    """The ``classes`` parameter of ``probabilities``: the class order as a JSON-encoded list
    (``'["No", "Yes"]'``; ``json.loads`` reads it back). The protocol's parameter values are
    strings, numbers or booleans, never lists (gRPC's ``InferParameter`` has no list)."""
    return json.dumps(list(classes), ensure_ascii=False)


def model_metadata(
    name: str, version: str, schema: InputSchema, classes: Sequence[str]
) -> dict[str, Any]:
    """The model metadata: one input per field, the outputs, and the class order."""
    probabilities = _tensor_metadata("probabilities", "FP64", [-1, len(classes)])
    probabilities["parameters"] = {"classes": classes_parameter(classes)}
    return {
        "name": name,
        "versions": [version],
        "platform": PLATFORM,
        "inputs": [
            _tensor_metadata(field.name, DATATYPES[field.type], [-1]) for field in schema.fields
        ],
        "outputs": [
            _tensor_metadata("label", "BYTES", [-1]),
            probabilities,
            _tensor_metadata("prediction_id", "BYTES", [-1]),
        ],
    }


def _takes(schema: InputSchema) -> str:
    fields = ", ".join(f"{field.name} ({DATATYPES[field.type]})" for field in schema.fields)
    return f"the model takes one tensor per field: {fields}"


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _flat(data: list[Any]) -> list[Any]:
    values: list[Any] = []
    for value in data:
        values.extend(_flat(value) if isinstance(value, list) else [value])
    return values


def _parameters(tensor: dict[str, Any], where: str) -> dict[str, Any]:
    parameters = tensor.get("parameters", {})
    if not isinstance(parameters, dict):
        raise InvalidInferRequest(f'{where}: "parameters" must be an object')
    if "shared_memory_region" in parameters:
        raise InvalidInferRequest(
            f"{where} names a shared-memory region: shipyard takes tensors in the body only"
        )
    return parameters


def _tensor(tensor: Any, position: int) -> tuple[str, str, list[Any]]:
    """One input's name, datatype and values (one a record), or what is wrong with it."""
    if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
        raise InvalidInferRequest(
            f'input {position} must be an object with "name", "datatype", "shape" and "data"'
        )
    name = tensor["name"]
    where = f"input {name!r}"
    if "binary_data_size" in _parameters(tensor, where):
        raise BinaryTensorData()
    datatype, shape, data = tensor.get("datatype"), tensor.get("shape"), tensor.get("data")
    if not isinstance(datatype, str):
        raise InvalidInferRequest(f'{where} needs "datatype", e.g. "INT64"')
    if not isinstance(data, list):
        raise InvalidInferRequest(f'{where} needs "data", a list of its values')
    if (
        not isinstance(shape, list)
        or not all(type(size) is int and size >= 0 for size in shape)
        or len(shape) not in (1, 2)
        or shape[1:] not in ([], [1])
    ):
        raise BadShape(f"{where} has shape {shape}; send shape [N] or [N, 1]: one value per record")
    if shape[0] == 0:
        raise BadShape(f"{where} has shape {shape}; send at least one record")
    values = _flat(data)
    if len(values) != shape[0]:
        raise BadShape(f"{where} holds {len(values)} value(s) for shape {shape}")
    if datatype == "FP64":  # NaN is a gap, as in numpy and pandas: the record holds None
        values = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
    return name, datatype, values


def _columns(inputs: Any, schema: InputSchema) -> dict[str, list[Any]]:
    if not isinstance(inputs, list) or not inputs:
        raise InvalidInferRequest(f'"inputs" must be a non-empty list of tensors; {_takes(schema)}')
    fields = {field.name: field for field in schema.fields}
    columns: dict[str, list[Any]] = {}
    for position, tensor in enumerate(inputs):
        name, datatype, values = _tensor(tensor, position)
        if name in columns:
            raise InvalidInferRequest(f"input {name!r} is sent twice; send each field once")
        field = fields.get(name)
        if field is not None and datatype != DATATYPES[field.type]:
            expected = DATATYPES[field.type]
            raise WrongDatatype(
                f"input {name!r} is sent as {datatype}; the model takes it as {expected} "
                f"({_VALUES[expected]})"
            )
        columns[name] = values
    unknown = [name for name in columns if name not in fields]
    if unknown:
        raise UnknownInputs(f"unknown input(s) {_quoted(unknown)}; {_takes(schema)}")
    missing = [f.name for f in schema.fields if f.required and f.name not in columns]
    if missing:
        raise MissingInputs(f"missing input(s) {_quoted(missing)}; {_takes(schema)}")
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        counts = ", ".join(f"{name} {count}" for name, count in lengths.items())
        raise BadShape(
            f"the inputs hold different numbers of records ({counts}); every input needs one "
            "value per record"
        )
    return columns


def _outputs(asked: Any) -> tuple[str, ...]:
    if asked is None:
        return OUTPUTS
    if not isinstance(asked, list) or not all(
        isinstance(output, dict) and isinstance(output.get("name"), str) for output in asked
    ):
        raise InvalidInferRequest('"outputs" must be a list of objects with a "name"')
    if not asked:
        raise InvalidInferRequest(
            '"outputs" is empty: name at least one output (label, probabilities, '
            'prediction_id), or leave "outputs" out for all of them'
        )
    names = tuple(dict.fromkeys(output["name"] for output in asked))
    unknown = [name for name in names if name not in OUTPUTS]
    if unknown:
        raise UnknownOutputs(
            f"unknown output(s) {_quoted(unknown)}; the model answers {', '.join(OUTPUTS)}"
        )
    for output in asked:
        if "classification" in _parameters(output, f"output {output['name']!r}"):
            raise InvalidInferRequest(
                "the classification extension (class_count) is not supported: the "
                '"probabilities" output holds every class\'s probability'
            )
    return names


def infer_request_of(body: Any, schema: InputSchema) -> InferRequest:
    """The records and the outputs an inference request body asks for, for ``schema``."""
    if not isinstance(body, dict) or "inputs" not in body:
        raise InvalidInferRequest(f'the body must be a JSON object with "inputs"; {_takes(schema)}')
    request_id = body.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise InvalidInferRequest('"id" must be a string')
    if not isinstance(body.get("parameters", {}), dict):
        raise InvalidInferRequest('"parameters" must be an object')
    columns = _columns(body["inputs"], schema)
    outputs = _outputs(body.get("outputs"))
    count = len(next(iter(columns.values())))
    names = [field.name for field in schema.fields if field.name in columns]  # schema order
    records = [{name: columns[name][row] for name in names} for row in range(count)]
    return InferRequest(id=request_id, records=records, outputs=outputs)


def _label(predictions: list[dict[str, Any]], _classes: list[str]) -> dict[str, Any]:
    labels = [prediction["label"] for prediction in predictions]
    return {"name": "label", "datatype": "BYTES", "shape": [len(labels)], "data": labels}


def _probabilities(predictions: list[dict[str, Any]], classes: list[str]) -> dict[str, Any]:
    return {
        "name": "probabilities",
        "datatype": "FP64",
        "shape": [len(predictions), len(classes)],
        "data": [p["probabilities"][label] for p in predictions for label in classes],
        "parameters": {"classes": classes_parameter(classes)},
    }


def _prediction_id(predictions: list[dict[str, Any]], _classes: list[str]) -> dict[str, Any]:
    ids = [prediction["prediction_id"] for prediction in predictions]
    return {"name": "prediction_id", "datatype": "BYTES", "shape": [len(ids)], "data": ids}


_OUTPUT_TENSORS: dict[str, Callable[[list[dict[str, Any]], list[str]], dict[str, Any]]] = {
    "label": _label,
    "probabilities": _probabilities,
    "prediction_id": _prediction_id,
}


def _class_order(classes: Sequence[str], answered: dict[str, float]) -> list[str]:
    """The columns of ``probabilities``: the served model's class order, the one its metadata
    states. Never the order of a prediction's dict, which PostgreSQL's JSONB reorders (by
    length, then bytes) when a replayed answer is read back. Only an answer of another
    version with other classes (replayed after a promotion) keeps the order it holds."""
    if len(answered) == len(classes) and set(answered) == set(classes):
        return list(classes)
    return list(answered)


def infer_answer(
    request: InferRequest,
    request_id: str,
    predictions: list[dict[str, Any]],
    classes: Sequence[str],
) -> dict[str, Any]:
    """The inference response for shipyard's ``predictions`` (one per record, in order),
    ``probabilities`` in the served model's class order ``classes``."""
    first = predictions[0]
    order = _class_order(classes, first["probabilities"])
    return {
        "model_name": first["model"],
        "model_version": first["version"],
        "id": request.id if request.id is not None else request_id,
        "outputs": [_OUTPUT_TENSORS[name](predictions, order) for name in request.outputs],
    }
