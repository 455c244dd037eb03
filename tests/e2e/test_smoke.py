"""``shipyard smoke`` against a real server: what a deploy pipeline's last step sees."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.db import open_database
from shipyard.domain.auth import Scope
from shipyard.services import keys
from tests.e2e.conftest import RunningServer, free_port

pytestmark = pytest.mark.e2e


def test_smoke_checks_the_probes_and_logs_one_prediction_per_served_model(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server(env={"SHIPYARD_AUTH__ENABLED": "true"})
    database = open_database(server.settings.resolved_database_url())
    key = keys.create_key(database, "deploy", frozenset({Scope.PREDICT, Scope.READ})).plaintext
    database.dispose()

    refused = CliRunner().invoke(app, ["smoke", "--url", server.url], env={"SHIPYARD_API_KEY": ""})
    assert refused.exit_code == 1
    assert "smoke test failed: HTTP 401" in refused.output

    result = CliRunner().invoke(app, ["smoke", "--url", server.url], env={"SHIPYARD_API_KEY": key})
    assert result.exit_code == 0, result.output
    assert "✓ /readyz" in result.output
    assert "✓ attrition v1: " in result.output
    assert f"{server.url} passed the smoke test" in result.output
    logged = httpx.get(f"{server.url}/v1/predictions", headers={"X-API-Key": key}).json()
    assert len(logged["items"]) == 1
    assert logged["items"][0]["model"] == "attrition"


def test_smoke_fails_with_the_reason_when_nothing_answers() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(app, ["smoke", "--url", url, "--wait", "0"])
    assert result.exit_code == 1
    assert "smoke test failed:" in result.output
    assert "ConnectError" in result.output


def test_smoke_names_a_model_the_server_does_not_serve(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server()
    result = CliRunner().invoke(app, ["smoke", "--url", server.url, "--model", "churn"])
    assert result.exit_code == 1
    assert "smoke test failed: HTTP 404" in result.output
