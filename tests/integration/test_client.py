"""Both clients against the real app in-process: its lifespan started, a real model served.

The served model is an attrition version of two fields whose ``MonthlyIncome`` has missing
values in its training data, so that the signature makes the field optional.
"""

from __future__ import annotations

import shutil
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
