"""Monitor → retrain → promote as a Prefect deployment, against a real Prefect server that
the test starts in its own environment, with a task retried after a real fault."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shipyard.config import Settings
from shipyard.db import open_database
from shipyard.services.runtime import registry_for
from tests.conftest import write_lock
from tests.e2e.conftest import free_port, stop
from tests.integration.test_lifecycle import traffic
from tests.prefect_server import prefect_server
from tests.receiver import Receiver

DEPLOYMENT = "shipyard-lifecycle/attrition"


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prefect_server(tmp_path_factory.mktemp("prefect-server"), free_port()) as url:
        yield url


def run_async(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def _deployment_exists(name: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        try:
            await client.read_deployment_by_name(name)
        except ObjectNotFound:
            return False
        return True


async def _task_runs(flow_run_id: Any) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        return list(
            await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
        )


async def _flow_run(flow_run_id: Any) -> Any:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return await client.read_flow_run(flow_run_id)


def wait_until(check: Any, what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what} did not happen within {timeout} s")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_prefect_deployment_monitors_retrains_promotes_and_retries_a_failed_task(
    prefect_api: str,
    alerting_client: TestClient,
    alerting_store: Settings,
    hook: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The world changed: drifted inputs whose truth now follows overtime alone.
    traffic(alerting_client, 360, drift=0.5, concept="OverTime=Yes", seed=1)
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-client"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    env.update(
        {
            "SHIPYARD_DATA_DIR": str(alerting_store.data_dir),
            "SHIPYARD_DATABASE_URL": alerting_store.resolved_database_url(),
            "SHIPYARD_MLFLOW_TRACKING_URI": alerting_store.resolved_tracking_uri(),
            "SHIPYARD_ALERTS__URLS": alerting_store.alerts.urls[0].get_secret_value(),
            "SHIPYARD_MONITORING__REPORTS_DIR": str(tmp_path / "reports"),
            "SHIPYARD_PREFECT__WINDOW": "1h",
            "SHIPYARD_PREFECT__RETRY_DELAY": "1s",
            "SHIPYARD_DATABASE_TIMEOUT_SECONDS": "2",
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "PREFECT_HOME": str(tmp_path / "prefect-runner"),
        }
    )
    runner_log = (tmp_path / "runner.log").open("w")
    runner = subprocess.Popen(
        [sys.executable, "-m", "shipyard", "flows", "serve", "--model", "attrition"],
        env=env,
        stdout=runner_log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    database = open_database(alerting_store.resolved_database_url())
    try:
        wait_until(lambda: run_async(_deployment_exists(DEPLOYMENT)), "the deployment", 90)
        from prefect.deployments import run_deployment

        # A fault: the log database stays locked until the monitor task has failed once.
        locked = threading.Event()
        release = threading.Event()

        def hold_the_lock() -> None:
            with write_lock(database):
                locked.set()
                release.wait(120)

        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        locked.wait(10)
        try:
            flow_run = run_deployment(name=DEPLOYMENT, timeout=0)

            def monitor_failed_once() -> bool:
                runs = run_async(_task_runs(flow_run.id))
                return any(
                    r.name.startswith("monitor") and r.state.name == "AwaitingRetry" for r in runs
                )

            wait_until(monitor_failed_once, "a failed monitor attempt", 90)
        finally:
            release.set()
            holder.join()
        finished = wait_until(
            lambda: (run := run_async(_flow_run(flow_run.id))).state.is_final() and run,
            "the end of the flow run",
            180,
        )
        assert finished.state.is_completed(), (
            finished.state,
            (tmp_path / "runner.log").read_text(),
        )
        attempts = {r.name.split("-")[0]: r.run_count for r in run_async(_task_runs(flow_run.id))}
        assert attempts == {"monitor": 2, "retrain": 1}
    finally:
        database.dispose()
        stop(runner)
        runner_log.close()

    registry = registry_for(alerting_store)
    assert registry.resolve("attrition", "champion").version == "2"
    promoted = hook.titled("[PROMOTED]")
    assert promoted["title"] == "[PROMOTED] shipyard: attrition: v2 is @champion"
    assert "promoted by prefect flow" in promoted["message"]
    assert "Prefect flow" in promoted["message"]
    # The API server follows the alias the flow moved.
    alerting_client.post("/v1/models/attrition/reload")
    answer = alerting_client.get("/v1/models/attrition").json()
    assert answer["served_version"] == "2"
