"""Property test: whatever JSON arrives, the answer is a 2xx or a 4xx, never a 5xx, and a row
exists exactly for each record answered 200."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shipyard.api.app import create_app
from shipyard.config import Settings
from shipyard.db import open_database, upgrade_database
from tests.conftest import attrition_record, count_rows, make_settings

pytestmark = pytest.mark.integration

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mutated_records(draw: st.DrawFn) -> Any:
    """A valid record with some fields replaced, removed or added; or any JSON at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    record: dict[str, Any] = attrition_record()
    for field in draw(st.lists(st.sampled_from(sorted(record)), max_size=3, unique=True)):
        if draw(st.booleans()):
            record[field] = draw(json_values)
        else:
            del record[field]
    if draw(st.integers(0, 4)) == 0:
        record[draw(st.text(min_size=1, max_size=8))] = draw(json_scalars)
    return record


@pytest.fixture(scope="module")
def live(
    trained_store: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Settings]]:
    log_path = tmp_path_factory.mktemp("fuzz") / "log.db"
    settings = make_settings(trained_store, f"sqlite:///{log_path}")
    database = open_database(settings.resolved_database_url())
    upgrade_database(database)
    database.dispose()
    with TestClient(create_app(settings)) as client:
        yield client, settings


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(mutated_records(), st.lists(mutated_records(), min_size=1, max_size=3)))
def test_any_body_gets_a_2xx_or_a_clear_4xx(live: tuple[TestClient, Settings], body: Any) -> None:
    client, config = live
    before = count_rows(config)
    response = client.post(
        "/predict",
        content=json.dumps(body, allow_nan=True),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.text
    answered = response.json()["predictions"] if response.status_code == 200 else []
    if response.status_code != 200:
        assert response.json()["detail"]
    assert count_rows(config) == before + len(answered)
