"""The typed clients against a small in-process transport (httpx.MockTransport, no patching).

The same clients against the real app: tests/integration/test_client.py.
"""

from __future__ import annotations

import inspect
import json
import math
import pickle
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

import shipyard.client
from shipyard.client import ApiError, AsyncShipyardClient, NonFiniteValue, ShipyardClient
from shipyard.client._sending import retry_after

PREDICTION_ID = uuid.UUID("01a20be5-798d-7f4d-81d5-84d44df6b549")


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v1/models/attrition/predict":
        records = json.loads(request.content)
        count = len(records) if isinstance(records, list) else 1
        item = {
            "prediction_id": str(PREDICTION_ID),
            "model": "attrition",
            "version": "3",
            "label": "No",
            "probabilities": {"No": 0.9, "Yes": 0.1},
            "latency_ms": 1.0,
        }
        request_id = request.headers.get("x-request-id", "generated")
        return httpx.Response(200, json={"request_id": request_id, "predictions": [item] * count})
    if request.url.path == "/v1/predictions":
        assert request.url.params["label"] == "Yes"
        assert request.url.params["limit"] == "5"
        return httpx.Response(200, json={"items": [], "next_cursor": None})
    return httpx.Response(404, json={"error": "PredictionNotFound", "detail": "no prediction"})


@pytest.fixture
def client() -> ShipyardClient:
    return ShipyardClient("http://shipyard.test", transport=httpx.MockTransport(handler))


def test_predict_one_record_or_many(client: ShipyardClient) -> None:
    one = client.predict("attrition", {"Age": 41}, request_id="r-1")
    assert one.request_id == "r-1"
    assert one.predictions[0].prediction_id == PREDICTION_ID
    many = client.predict("attrition", [{"Age": 41}, {"Age": 42}])
    assert len(many.predictions) == 2


def test_query_parameters_are_sent(client: ShipyardClient) -> None:
    assert client.predictions(label="Yes", limit=5).items == []


def test_errors_carry_the_api_error_shape(client: ShipyardClient) -> None:
    with pytest.raises(ApiError) as caught:
        client.prediction(uuid.uuid4())
    assert caught.value.status == 404
    assert caught.value.name == "PredictionNotFound"
    assert caught.value.detail == "no prediction"


def test_a_rate_limited_request_is_sent_again_after_retry_after() -> None:
    answers = iter([429, 429, 200])
    sent: list[str] = []

    def limited(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        status = next(answers)
        if status == 429:
            body = {"error": "RateLimited", "detail": "rate limit of 1/second reached"}
            return httpx.Response(429, json=body, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"items": []})

    with ShipyardClient("http://shipyard.test", transport=httpx.MockTransport(limited)) as client:
        assert client.models().items == []
    assert sent == ["/v1/models"] * 3


def test_past_its_retries_a_rate_limited_request_raises() -> None:
    def always_limited(request: httpx.Request) -> httpx.Response:
        body = {"error": "RateLimited", "detail": "rate limit of 1/second reached"}
        return httpx.Response(429, json=body, headers={"Retry-After": "0"})

    with (
        ShipyardClient(
            "http://shipyard.test",
            transport=httpx.MockTransport(always_limited),
            rate_limit_retries=1,
        ) as client,
        pytest.raises(ApiError) as raised,
    ):
        client.models()
    assert (raised.value.status, raised.value.name) == (429, "RateLimited")


# -- the async client: the same methods, the same errors and retries --------------------------


def test_both_clients_have_the_same_methods_with_the_same_arguments() -> None:
    def public(cls: type) -> dict[str, Any]:
        return {
            name: member
            for name, member in vars(cls).items()
            if not name.startswith("_") and callable(member) and name not in {"close", "aclose"}
        }

    sync, concurrent = public(ShipyardClient), public(AsyncShipyardClient)
    assert sorted(sync) == sorted(concurrent)
    for name, method in sync.items():
        twin = concurrent[name]
        assert inspect.iscoroutinefunction(twin), name
        assert inspect.signature(method) == inspect.signature(twin), name
        assert method.__doc__ == twin.__doc__, name
    assert "predict_frame" in sync


def test_the_public_surface_is_what_all_says() -> None:
    assert sorted(shipyard.client.__all__) == sorted(
        name for name in vars(shipyard.client) if not name.startswith("_") and name != "annotations"
    )


def test_importing_the_client_imports_no_pandas() -> None:
    code = "import sys, shipyard.client; print(sorted({'pandas', 'numpy'} & set(sys.modules)))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"


@pytest.fixture
async def async_client() -> AsyncIterator[AsyncShipyardClient]:
    transport = httpx.MockTransport(handler)
    async with AsyncShipyardClient("http://shipyard.test", transport=transport) as client:
        yield client


async def test_the_async_client_predicts_one_record_or_many(
    async_client: AsyncShipyardClient,
) -> None:
    one = await async_client.predict("attrition", {"Age": 41}, request_id="r-1")
    assert (one.request_id, one.predictions[0].prediction_id) == ("r-1", PREDICTION_ID)
    many = await async_client.predict("attrition", [{"Age": 41}, {"Age": 42}])
    assert len(many.predictions) == 2
    assert (await async_client.predictions(label="Yes", limit=5)).items == []


async def test_async_errors_carry_the_api_error_shape(async_client: AsyncShipyardClient) -> None:
    with pytest.raises(ApiError) as caught:
        await async_client.prediction(uuid.uuid4())
    error = caught.value
    assert (error.status, error.name, error.detail) == (404, "PredictionNotFound", "no prediction")
    assert error.body == {"error": "PredictionNotFound", "detail": "no prediction"}


@pytest.mark.parametrize("client_class", [ShipyardClient, AsyncShipyardClient])
async def test_an_answer_without_the_error_shape_is_an_http_error(client_class: type) -> None:
    def proxy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    client = client_class("http://shipyard.test", transport=httpx.MockTransport(proxy))
    with pytest.raises(ApiError) as caught:
        await maybe(client.health())
    assert (caught.value.status, caught.value.name) == (502, "HTTPError")
    assert caught.value.detail == "<html>Bad Gateway</html>"


async def test_the_async_client_sends_a_rate_limited_request_again() -> None:
    answers = iter([429, 429, 200])
    sent: list[str] = []

    def limited(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if next(answers) == 429:
            body = {"error": "RateLimited", "detail": "rate limit of 1/second reached"}
            return httpx.Response(429, json=body, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"items": []})

    transport = httpx.MockTransport(limited)
    async with AsyncShipyardClient("http://shipyard.test", transport=transport) as client:
        assert (await client.models()).items == []
    assert sent == ["/v1/models"] * 3


async def test_past_its_retries_the_async_client_raises() -> None:
    def always_limited(request: httpx.Request) -> httpx.Response:
        body = {"error": "RateLimited", "detail": "rate limit of 1/second reached"}
        return httpx.Response(429, json=body, headers={"Retry-After": "0"})

    transport = httpx.MockTransport(always_limited)
    async with AsyncShipyardClient(
        "http://shipyard.test", transport=transport, rate_limit_retries=1
    ) as client:
        with pytest.raises(ApiError) as raised:
            await client.models()
    assert (raised.value.status, raised.value.name) == (429, "RateLimited")


@pytest.mark.parametrize(
    ("header", "seconds"), [("0.5", 0.5), ("600", 10.0), ("-3", 0.0), ("nan", 1.0), ("soon", 1.0)]
)
def test_retry_after_is_read_and_kept_within_ten_seconds(header: str, seconds: float) -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": header})) == seconds


# -- DataFrames, missing values, batches --------------------------------------------------------


class Recorder:
    """A server that answers each record with its ``n`` as the label and keeps the bodies."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.request_ids: list[str | None] = []
        self.idempotency_keys: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        self.request_ids.append(request.headers.get("x-request-id"))
        self.idempotency_keys.append(request.headers.get("idempotency-key"))
        records = body if isinstance(body, list) else [body]
        items = [
            {
                "prediction_id": str(uuid.uuid4()),
                "model": "attrition",
                "version": "3",
                "label": str(record.get("n")),
                "probabilities": {"No": 0.75, "Yes": 0.25},
                "latency_ms": 1.0,
            }
            for record in records
        ]
        request_id = request.headers.get("x-request-id") or f"server-{len(self.bodies)}"
        return httpx.Response(200, json={"request_id": request_id, "predictions": items})


def test_a_frame_is_sent_as_plain_json_nan_as_null_in_column_order() -> None:
    frame = pd.DataFrame(
        {
            "n": np.array([1, 2], dtype="int64"),
            "MonthlyIncome": [5993.0, np.nan],
            "Department": ["Sales", None],
            "Stock": pd.array([1, None], dtype="Int64"),
            "Joined": [pd.Timestamp("2024-03-01"), pd.NaT],
            "Remote": np.array([True, False]),
        }
    )
    server = Recorder()
    with ShipyardClient("http://shipyard.test", transport=httpx.MockTransport(server)) as client:
        answer = client.predict("attrition", frame)
    assert [p.label for p in answer.predictions] == ["1", "2"]
    (sent,) = server.bodies
    assert sent == [
        {
            "n": 1,
            "MonthlyIncome": 5993.0,
            "Department": "Sales",
            "Stock": 1,
            "Joined": "2024-03-01T00:00:00",
            "Remote": True,
        },
        {
            "n": 2,
            "MonthlyIncome": None,
            "Department": None,
            "Stock": None,
            "Joined": None,
            "Remote": False,
        },
    ]
    assert [list(record) for record in sent] == [list(frame.columns)] * 2


def test_records_given_as_dicts_are_made_plain_too() -> None:
    server = Recorder()
    with ShipyardClient("http://shipyard.test", transport=httpx.MockTransport(server)) as client:
        client.predict("attrition", {"n": np.int64(1), "MonthlyIncome": float("nan")})
        client.predict("attrition", [{"n": 2, "MonthlyIncome": np.float32(0.5)}])
        client.predict("attrition", ({"n": n} for n in (3, 4)))  # any iterable of records
    assert server.bodies == [
        {"n": 1, "MonthlyIncome": None},  # one record: sent as an object
        [{"n": 2, "MonthlyIncome": 0.5}],
        [{"n": 3}, {"n": 4}],
    ]


@pytest.mark.parametrize("client_class", [ShipyardClient, AsyncShipyardClient])
async def test_more_records_than_a_batch_go_in_several_requests_answered_in_order(
    client_class: type,
) -> None:
    frame = pd.DataFrame({"n": range(7), "Age": range(30, 37)}, index=list("abcdefg"))
    server = Recorder()
    client = client_class(
        "http://shipyard.test", transport=httpx.MockTransport(server), batch_size=3
    )
    answer = await maybe(client.predict("attrition", frame))
    assert [len(body) for body in server.bodies] == [3, 3, 1]
    assert [p.label for p in answer.predictions] == [str(n) for n in range(7)]
    # One request id on every request (the rows of one call share it in the log).
    assert len(set(server.request_ids)) == 1
    assert answer.request_id == server.request_ids[0]

    scored = await maybe(client.predict_frame("attrition", frame, request_id="batch-9"))
    assert set(server.request_ids[3:]) == {"batch-9"}
    assert scored.index.tolist() == list("abcdefg")
    assert scored.columns.tolist() == ["label", "proba_No", "proba_Yes", "prediction_id", "version"]
    assert scored["label"].tolist() == [str(n) for n in range(7)]
    assert scored["proba_Yes"].tolist() == [0.25] * 7


def test_records_within_a_batch_keep_the_server_s_request_id() -> None:
    server = Recorder()
    transport = httpx.MockTransport(server)
    with ShipyardClient("http://shipyard.test", transport=transport, batch_size=2) as client:
        answer = client.predict("attrition", [{"n": 1}, {"n": 2}])
    assert server.request_ids == [None]
    assert answer.request_id == "server-1"


def test_a_frame_with_repeated_columns_is_refused_before_sending() -> None:
    frame = pd.DataFrame([[1, 2]], columns=["Age", "Age"])
    server = Recorder()
    with (
        ShipyardClient("http://shipyard.test", transport=httpx.MockTransport(server)) as client,
        pytest.raises(ValueError, match="repeated columns: Age"),
    ):
        client.predict("attrition", frame)
    assert server.bodies == []


def test_nat_and_numpy_datetimes_are_sent_as_null_or_iso_text_from_dicts_and_frames() -> None:
    nanosecond = np.datetime64("2024-03-01T00:00:00.000000001", "ns")
    server = Recorder()
    with ShipyardClient("http://shipyard.test", transport=httpx.MockTransport(server)) as client:
        client.predict("attrition", {"n": 1, "Joined": pd.NaT, "Left": np.datetime64("NaT")})
        client.predict("attrition", [{"n": 2, "Joined": nanosecond}])
        client.predict("attrition", {"n": 3, "Joined": np.datetime64("2024-03-01", "D")})
        # An object column keeps NaT and numpy's datetimes as they are, cell by cell.
        joined = pd.Series([pd.NaT, nanosecond, np.datetime64("NaT", "ns")], dtype=object)
        client.predict("attrition", pd.DataFrame({"n": [4, 5, 6], "Joined": joined}))
    assert server.bodies == [
        {"n": 1, "Joined": None, "Left": None},  # not "NaT"
        [{"n": 2, "Joined": "2024-03-01T00:00:00.000000001"}],  # not 1709251200000000001
        {"n": 3, "Joined": "2024-03-01T00:00:00"},  # as pd.Timestamp writes it
        [
            {"n": 4, "Joined": None},
            {"n": 5, "Joined": "2024-03-01T00:00:00.000000001"},
            {"n": 6, "Joined": None},
        ],
    ]


def test_a_numpy_datetime_is_sent_by_code_that_never_imported_pandas() -> None:
    code = (
        "import sys, json, httpx, numpy as np\n"
        "from shipyard.client import ShipyardClient\n"
        "sent = []\n"
        "def server(request):\n"
        "    sent.append(json.loads(request.content))\n"
        "    return httpx.Response(200, json={'request_id': 'r', 'predictions': []})\n"
        "with ShipyardClient('http://t', transport=httpx.MockTransport(server)) as client:\n"
        "    client.predict('attrition', {'a': np.datetime64('2024-03-01T12:00', 'ns'),\n"
        "                                 'b': np.datetime64('NaT'), 'c': np.float32(0.5)})\n"
        "print(json.dumps(sent))\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(shown.stdout) == [{"a": "2024-03-01T12:00:00", "b": None, "c": 0.5}]


@pytest.mark.parametrize("client_class", [ShipyardClient, AsyncShipyardClient])
@pytest.mark.parametrize(
    ("records", "index", "field", "value"),
    [
        ({"n": 0, "MonthlyIncome": math.inf}, 0, "MonthlyIncome", math.inf),
        ([{"n": 0}, {"n": 1, "Rate": np.float32("-inf")}], 1, "Rate", -math.inf),
        (
            [{"n": n, "Rate": np.float64(math.inf if n == 7 else n)} for n in range(9)],
            7,
            "Rate",
            math.inf,
        ),
        (pd.DataFrame({"n": range(9), "Rate": [1.0] * 8 + [-math.inf]}), 8, "Rate", -math.inf),
        (
            pd.DataFrame(
                {
                    "n": range(9),
                    "Rate": pd.array([None, 1.0, 2.0, 3.0, math.inf, 5, 6, 7, 8], "Float64"),
                    "Mixed": pd.Series([None, "a", 1.5, -math.inf, 0, 0, 0, 0, 0], dtype=object),
                }
            ),
            3,
            "Mixed",
            -math.inf,
        ),
    ],
    ids=["one-record", "numpy-float32", "third-batch", "frame", "frame-columns"],
)
async def test_inf_is_refused_before_anything_is_sent_naming_the_record_and_field(
    client_class: type, records: Any, index: int, field: str, value: float
) -> None:
    server = Recorder()
    transport = httpx.MockTransport(server)
    client = client_class("http://shipyard.test", transport=transport, batch_size=3)
    with pytest.raises(NonFiniteValue) as refused:
        await maybe(client.predict("attrition", records, idempotency_key="k"))
    error = refused.value
    assert isinstance(error, ValueError)
    assert (error.index, error.field, error.value) == (index, field, value)
    assert f"record {index}, field {field!r}: {value} is not a finite number" in str(error)
    assert server.bodies == []  # not even the batches before it
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.index, copy.field, str(copy)) == (
        NonFiniteValue,
        index,
        field,
        str(error),
    )


@pytest.mark.parametrize("client_class", [ShipyardClient, AsyncShipyardClient])
async def test_an_idempotency_key_goes_as_is_with_one_request_and_suffixed_per_batch(
    client_class: type,
) -> None:
    server = Recorder()
    transport = httpx.MockTransport(server)
    client = client_class("http://shipyard.test", transport=transport, batch_size=3)
    await maybe(client.predict("attrition", {"n": 1}, idempotency_key="order-42"))
    await maybe(client.predict("attrition", [{"n": 1}, {"n": 2}, {"n": 3}], idempotency_key="a"))
    await maybe(client.predict("attrition", [{"n": 1}]))
    assert server.idempotency_keys == ["order-42", "a", None]

    frame = pd.DataFrame({"n": range(7)})
    answer = await maybe(client.predict("attrition", frame, idempotency_key="run-7"))
    assert server.idempotency_keys[3:] == ["run-7.0", "run-7.1", "run-7.2"]
    assert [p.label for p in answer.predictions] == [str(n) for n in range(7)]
    await maybe(client.predict_frame("attrition", frame, idempotency_key="run-8"))
    assert server.idempotency_keys[6:] == ["run-8.0", "run-8.1", "run-8.2"]
    await maybe(client.predict_frame("attrition", frame.head(3), idempotency_key="run-9"))
    assert server.idempotency_keys[9:] == ["run-9"]
    # 200 characters is the server's limit, the suffix of the last batch included.
    client.batch_size = 1
    await maybe(
        client.predict("attrition", [{"n": n} for n in range(10)], idempotency_key="k" * 198)
    )
    assert server.idempotency_keys[-1] == "k" * 198 + ".9"


@pytest.mark.parametrize("client_class", [ShipyardClient, AsyncShipyardClient])
@pytest.mark.parametrize(
    ("key", "records"),
    [
        ("", {"n": 1}),
        ("", [{"n": 1}, {"n": 2}]),  # not ".0" and ".1"
        ("order 42", {"n": 1}),
        ("é", [{"n": 1}]),
        ("k" * 201, [{"n": 1}]),
        ("k" * 198, [{"n": n} for n in range(11)]),  # "k…k.10": 201 characters
    ],
    ids=[
        "empty",
        "empty-with-batches",
        "space",
        "not-ascii",
        "too-long",
        "too-long-with-its-suffix",
    ],
)
async def test_an_idempotency_key_the_server_would_refuse_is_refused_before_sending(
    client_class: type, key: str, records: Any
) -> None:
    server = Recorder()
    transport = httpx.MockTransport(server)
    client = client_class("http://shipyard.test", transport=transport, batch_size=1)
    with pytest.raises(ValueError, match="idempotency_key must be 1 to 200 visible ASCII"):
        await maybe(client.predict("attrition", records, idempotency_key=key))
    assert server.bodies == []


async def maybe(result: Any) -> Any:
    """A sync client's answer as it is, an async client's awaited: one test for both."""
    return await result if inspect.isawaitable(result) else result
