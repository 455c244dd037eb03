"""Both clients against the real app in-process: its lifespan started, a real model served.

The served model is an attrition version of two fields whose ``MonthlyIncome`` has missing
values in its training data, so that the signature makes the field optional.
"""

from __future__ import annotations

import shutil
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import anyio.from_thread
import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from sklearn.ensemble import HistGradientBoostingClassifier

from shipyard.api.app import create_app
from shipyard.client import ApiError, AsyncShipyardClient, ShipyardClient
from shipyard.config import ServingSettings, Settings
from shipyard.db import open_database, upgrade_database
from shipyard.schemas.predictions import PredictResponse
from shipyard.services.runtime import registry_for
from shipyard.training.datasets import example
from tests.conftest import make_settings, register_version

pytestmark = pytest.mark.integration

MAX_ROWS = 50
"""The server's SHIPYARD_SERVING__MAX_ROWS_PER_REQUEST here."""


@pytest.fixture(scope="module")
def optional_field_store(trained_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the trained store whose @champion takes Age and an optional MonthlyIncome."""
    store = tmp_path_factory.mktemp("optional") / "data"
    shutil.copytree(trained_store, store)
    features, target = example("attrition").load()
    narrow = features[["Age", "MonthlyIncome"]].astype({"MonthlyIncome": "float64"})
    narrow.loc[narrow.index[::7], "MonthlyIncome"] = np.nan
    settings = make_settings(store, "sqlite://")
    registry = registry_for(settings)
    estimator = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(narrow, target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        version = register_version(registry, estimator, narrow)
    registry.set_alias("attrition", "champion", version)
    return store


@pytest.fixture
def served(optional_field_store: Path, tmp_path: Path) -> Settings:
    settings = make_settings(
        optional_field_store,
        f"sqlite:///{tmp_path / 'log.db'}",
        serving=ServingSettings(max_rows_per_request=MAX_ROWS),
    )
    database = open_database(settings.resolved_database_url())
    upgrade_database(database)
    database.dispose()
    return settings


class AppTransport(httpx.BaseTransport):
    """A sync client's requests sent to an ASGI app that runs, lifespan and all, on an event
    loop in another thread (as Starlette's TestClient does); closed with the client."""

    def __init__(self, app: FastAPI) -> None:
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        lifespan = app.router.lifespan_context(app)
        self._stack.enter_context(self._portal.wrap_async_context_manager(lifespan))
        self._app = httpx.ASGITransport(app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._app.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def close(self) -> None:
        self._stack.close()


class Watched(httpx.BaseTransport):
    """The app's transport, noting each prediction request's ``Idempotency-Key`` and whether
    its answer is a replay; the answers of the prediction requests numbered (from 0) in
    ``lost`` are scored and logged but never arrive, as when a connection drops."""

    def __init__(self, inner: httpx.BaseTransport, lost: set[int] | None = None) -> None:
        self.inner = inner
        self.lost = lost or set()
        self.sent: list[tuple[str | None, bool]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/predict"):
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            self.sent.append((request.headers.get("Idempotency-Key"), replayed))
            if len(self.sent) - 1 in self.lost:
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncWatched(httpx.AsyncBaseTransport):
    """:class:`Watched` for the async client."""

    def __init__(self, inner: httpx.AsyncBaseTransport, lost: set[int] | None = None) -> None:
        self.inner = inner
        self.lost = lost or set()
        self.sent: list[tuple[str | None, bool]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/predict"):
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            self.sent.append((request.headers.get("Idempotency-Key"), replayed))
            if len(self.sent) - 1 in self.lost:
                await response.aclose()
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


@pytest.fixture
def client(served: Settings) -> Iterator[ShipyardClient]:
    transport = AppTransport(create_app(served))
    with ShipyardClient("http://shipyard.test", transport=transport) as sync_client:
        yield sync_client


@pytest.fixture
async def async_client(served: Settings) -> AsyncIterator[AsyncShipyardClient]:
    app = create_app(served)
    async with (
        app.router.lifespan_context(app),
        AsyncShipyardClient(
            "http://shipyard.test", transport=httpx.ASGITransport(app), batch_size=MAX_ROWS
        ) as running,
    ):
        yield running


def employees(rows: int) -> pd.DataFrame:
    """``rows`` distinct employees (Age 20, 21, …), every third without a MonthlyIncome."""
    incomes = [np.nan if n % 3 == 0 else 2000.0 + n for n in range(rows)]
    return pd.DataFrame({"Age": np.arange(20, 20 + rows), "MonthlyIncome": incomes})


def test_a_missing_value_in_a_frame_is_sent_as_null_scored_and_logged(
    client: ShipyardClient,
) -> None:
    fields = {field.name: field.required for field in client.model("attrition").input_schema}
    assert fields == {"Age": True, "MonthlyIncome": False}
    scored = client.predict_frame("attrition", employees(2))
    assert scored["label"].isin(["Yes", "No"]).all()
    without, with_income = (client.prediction(i) for i in scored["prediction_id"])
    assert without.inputs == {"Age": 20, "MonthlyIncome": None}
    assert with_income.inputs == {"Age": 21, "MonthlyIncome": 2001.0}


def test_the_sync_client_reads_predictions_feedback_and_models(client: ShipyardClient) -> None:
    answer = client.predict("attrition", {"Age": 41, "MonthlyIncome": 5993.0}, request_id="r-7")
    (prediction,) = answer.predictions
    assert client.feedback(prediction.prediction_id, "Yes").label == "Yes"
    logged = client.prediction(prediction.prediction_id)
    assert (logged.request_id, logged.feedback is not None) == ("r-7", True)
    assert [p.id for p in client.predictions(model="attrition").items] == [logged.id]
    assert [m.name for m in client.models().items] == ["attrition"]
    assert client.health().status == "ok"


def test_a_frame_larger_than_a_batch_is_sent_in_batches_answered_in_row_order(
    client: ShipyardClient,
) -> None:
    client.batch_size = MAX_ROWS
    frame = employees(2 * MAX_ROWS + 20)
    answer = client.predict("attrition", frame)
    assert len(answer.predictions) == len(frame)
    page = client.predictions(model="attrition", limit=500)
    assert len(page.items) == len(frame)
    assert {item.request_id for item in page.items} == {answer.request_id}
    ages = {item.id: item.inputs["Age"] for item in page.items}
    assert [ages[p.prediction_id] for p in answer.predictions] == frame["Age"].tolist()


def test_the_sync_client_raises_the_api_s_error(client: ShipyardClient) -> None:
    with pytest.raises(ApiError) as caught:
        client.predict("attrition", employees(MAX_ROWS + 1))  # one request: over the limit
    assert (caught.value.status, caught.value.name) == (413, "TooManyRows")
    assert "the limit is 50" in caught.value.detail


async def test_the_async_client_scores_a_frame_in_batches_in_row_order(
    async_client: AsyncShipyardClient,
) -> None:
    frame = employees(MAX_ROWS + 7)
    scored = await async_client.predict_frame("attrition", frame)
    assert len(scored) == len(frame)
    first = await async_client.prediction(scored["prediction_id"].iloc[0])
    last = await async_client.prediction(scored["prediction_id"].iloc[-1])
    assert first.inputs == {"Age": 20, "MonthlyIncome": None}
    assert last.inputs == {"Age": 20 + MAX_ROWS + 6, "MonthlyIncome": 2000.0 + MAX_ROWS + 6}
    assert (await async_client.feedback(first.id, "No")).label == "No"
    assert len((await async_client.predictions(label=None, limit=500)).items) == len(frame)


async def test_the_async_client_raises_the_api_s_error(
    async_client: AsyncShipyardClient,
) -> None:
    with pytest.raises(ApiError) as caught:
        await async_client.predict("attrition", {"Age": "forty", "Department": "Sales"})
    error = caught.value
    assert (error.status, error.name) == (422, "InvalidRecords")
    assert "invalid field(s)" in error.detail
    with pytest.raises(ApiError) as missing:
        await async_client.model("churn")
    assert missing.value.status == 404


# -- retries with an idempotency key: the same prediction ids, no second row --------------------


def logged_ids(client: ShipyardClient) -> list[uuid.UUID]:
    return [item.id for item in client.predictions(model="attrition", limit=500).items]


def ids(answer: PredictResponse) -> list[uuid.UUID]:
    return [p.prediction_id for p in answer.predictions]


def test_a_retry_of_one_request_with_its_idempotency_key_adds_no_row(served: Settings) -> None:
    transport = Watched(AppTransport(create_app(served)))
    with ShipyardClient("http://shipyard.test", transport=transport) as client:
        record = {"Age": 41, "MonthlyIncome": 5993.0}
        first = client.predict("attrition", record, idempotency_key="order-42")
        again = client.predict("attrition", record, idempotency_key="order-42")
        assert ids(again) == ids(first)
        assert logged_ids(client) == ids(first)

        frame = employees(3)  # one request: the key goes as it is
        scored = client.predict_frame("attrition", frame, idempotency_key="frame-1")
        rescored = client.predict_frame("attrition", frame, idempotency_key="frame-1")
        pd.testing.assert_frame_equal(rescored, scored)
        assert len(logged_ids(client)) == 1 + 3
    assert transport.sent == [
        ("order-42", False),
        ("order-42", True),
        ("frame-1", False),
        ("frame-1", True),
    ]


def test_a_retry_of_several_batches_with_its_idempotency_key_adds_no_row(
    served: Settings,
) -> None:
    transport = Watched(AppTransport(create_app(served)))
    frame = employees(2 * MAX_ROWS + 20)
    with ShipyardClient("http://shipyard.test", transport=transport, batch_size=MAX_ROWS) as client:
        first = client.predict("attrition", frame, idempotency_key="run-1")
        again = client.predict("attrition", frame, idempotency_key="run-1")
        assert ids(again) == ids(first)
        assert sorted(logged_ids(client)) == sorted(ids(first))
        assert again.request_id == first.request_id  # the first try's answers, replayed

        # Another batch size cuts other batches: run-1.0 now holds other records.
        client.batch_size = MAX_ROWS // 2
        with pytest.raises(ApiError) as reused:
            client.predict("attrition", frame, idempotency_key="run-1")
        assert (reused.value.status, reused.value.name) == (409, "IdempotencyKeyReused")
        assert len(logged_ids(client)) == len(frame)
    keys = ["run-1.0", "run-1.1", "run-1.2"]
    assert transport.sent == [
        *((key, False) for key in keys),
        *((key, True) for key in keys),
        ("run-1.0", False),
    ]


def test_a_retry_after_a_lost_answer_replays_the_batches_sent_and_sends_the_rest(
    served: Settings,
) -> None:
    transport = Watched(AppTransport(create_app(served)), lost={1})
    frame = employees(2 * MAX_ROWS + 20)
    with ShipyardClient("http://shipyard.test", transport=transport, batch_size=MAX_ROWS) as client:
        with pytest.raises(httpx.ReadTimeout):  # batch 1 was logged; its answer was lost
            client.predict_frame("attrition", frame, idempotency_key="run-2")
        assert len(logged_ids(client)) == 2 * MAX_ROWS
        scored = client.predict_frame("attrition", frame, idempotency_key="run-2")
        assert sorted(logged_ids(client)) == sorted(scored["prediction_id"].map(uuid.UUID))
    assert transport.sent == [
        ("run-2.0", False),
        ("run-2.1", False),
        ("run-2.0", True),
        ("run-2.1", True),
        ("run-2.2", False),
    ]


async def test_the_async_client_s_retry_with_its_idempotency_key_adds_no_row(
    served: Settings,
) -> None:
    app = create_app(served)
    transport = AsyncWatched(httpx.ASGITransport(app))
    frame = employees(MAX_ROWS + 7)
    async with (
        app.router.lifespan_context(app),
        AsyncShipyardClient(
            "http://shipyard.test", transport=transport, batch_size=MAX_ROWS
        ) as client,
    ):
        first = await client.predict_frame("attrition", frame, idempotency_key="async-1")
        again = await client.predict_frame("attrition", frame, idempotency_key="async-1")
        pd.testing.assert_frame_equal(again, first)
        one = await client.predict("attrition", {"Age": 30}, idempotency_key="async-2")
        assert ids(await client.predict("attrition", {"Age": 30}, idempotency_key="async-2")) == (
            ids(one)
        )
        page = await client.predictions(model="attrition", limit=500)
        assert len(page.items) == len(frame) + 1
    assert transport.sent == [
        ("async-1.0", False),
        ("async-1.1", False),
        ("async-1.0", True),
        ("async-1.1", True),
        ("async-2", False),
        ("async-2", True),
    ]
