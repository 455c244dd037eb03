"""The monitoring loop end to end, on a real server: simulated traffic, a scheduled
monitoring run, an alert at a real receiver, and /metrics equal to the log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import count_rows
from tests.e2e.conftest import RunningServer
from tests.receiver import Receiver, receiver


def simulate(server: RunningServer, drift: float, rows: int, *extra: str) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "shipyard", "simulate", "--model", "attrition"),
            *("--drift", str(drift), "--rows", str(rows), "--url", server.url, "--seed", "5"),
            *extra,
        ],
        env={k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{rows} records sent to attrition with drift {drift:g}" in done.stdout


def latest_run_with(server: RunningServer, rows: int, timeout: float = 60.0) -> dict:
    """The first scheduled run that saw at least ``rows`` predictions."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        latest = httpx.get(f"{server.url}/v1/models/attrition/monitoring").json()["latest"]
        if latest is not None and latest["rows"] >= rows:
            return dict(latest)
        time.sleep(0.5)
    raise AssertionError(f"no monitoring run over {rows} rows within {timeout} s")


def predictions_counted(server: RunningServer) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "shipyard_predictions_total"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_simulated_drift_raises_an_alert_plain_traffic_none_and_metrics_equal_the_log(
    start_server: Callable[..., RunningServer],
) -> None:
    hook: Receiver
    with receiver() as hook:
        server = start_server(
            env={
                "SHIPYARD_MONITORING__EVERY": "3s",
                "SHIPYARD_MONITORING__WINDOW": "1h",
                "SHIPYARD_ALERTS__URLS": f"json://{hook.url.removeprefix('http://')}/alerts",
                "SHIPYARD_ALERTS__EVERY": "2s",
            }
        )
        simulate(server, drift=0.0, rows=300)
        plain = latest_run_with(server, 300)
        assert plain["dataset_drift"]["drifted"] is False
        assert plain["performance"]["realised"]["rows"] > 30  # feedback labels were sent
        time.sleep(2.5)  # one more check of every rule
        assert hook.received == []

        simulate(server, drift=0.5, rows=600)
        drifted = latest_run_with(server, 900)
        assert drifted["dataset_drift"]["drifted"] is True
        messages = hook.wait_for(1)
        titles = [m["body"]["title"] for m in messages]
        assert "[WARNING] shipyard: attrition: drift" in titles
        assert all(m["path"] == "/alerts" for m in messages)

        assert predictions_counted(server) == count_rows(server.settings) == 900
