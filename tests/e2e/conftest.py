"""A real ``shipyard`` server process on a free port, stopped after the test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shipyard.config import Settings
from tests.conftest import make_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningServer:
    url: str
    settings: Settings
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


def server_environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    env.update(
        {
            "SHIPYARD_DATA_DIR": str(settings.data_dir),
            "SHIPYARD_DATABASE_URL": settings.resolved_database_url(),
            "SHIPYARD_MLFLOW_TRACKING_URI": settings.resolved_tracking_uri(),
            "SHIPYARD_AUTH__ENABLED": str(settings.auth.enabled).lower(),
            "SHIPYARD_MONITORING__EVERY": "",  # the schedule's tests turn it on
            "SHIPYARD_RETRAIN__ON": "never",  # retrains register versions: their tests' own
            # Tests stop servers with SIGTERM; the drain has a test of its own.
            "SHIPYARD_SERVER__DRAIN_SECONDS": "0",
        }
    )
    return env


def policy_env(policy: str) -> dict[str, str]:
    """Server environment for a database-down policy, with short waits for tests."""
    return {
        "SHIPYARD_LOG_WRITER__ON_DATABASE_DOWN": policy,
        "SHIPYARD_LOG_WRITER__RETRY_SECONDS": "0.2",
        "SHIPYARD_DATABASE_TIMEOUT_SECONDS": "2",
    }


def spool_backlog(url: str) -> int:
    spool = httpx.get(f"{url}/readyz", timeout=10).json()["spool"]
    return int(spool["backlog_rows"])


def wait_until_ready(url: str, process: subprocess.Popen[Any], timeout: float = 90.0) -> None:
    """Until ``url``'s server says it is ready (``/readyz``)."""
    wait_until_answering(f"{url}/readyz", process, timeout)


def wait_until_answering(probe: str, process: subprocess.Popen[Any], timeout: float) -> None:
    """Until ``probe`` answers 200; fails at once if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(probe, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{probe} did not answer 200 within {timeout} s")


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def spawn(arguments: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[str]:
    """``python -m shipyard <arguments>``, its output in ``log_path``."""
    with log_path.open("w") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "shipyard", *arguments],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )


def launch_server(
    settings: Settings, log_dir: Path, *extra: str, env: dict[str, str] | None = None
) -> RunningServer:
    """``shipyard serve`` over ``settings`` on a free port, ready; its log in ``log_dir``."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    process = spawn(
        ["serve", "--port", str(port), *extra],
        {
            **server_environment(settings),
            # One spool per test: a restarted server adopts what the killed one left.
            "SHIPYARD_LOG_WRITER__SPOOL_DIR": str(log_dir / "spool"),
            **(env or {}),
        },
        log_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process)
    except (RuntimeError, TimeoutError) as error:
        stop(process)
        raise AssertionError(f"{error}\n{log_path.read_text()}") from error
    return RunningServer(url, settings, process, log_path)


@pytest.fixture
def start_server(
    trained_store: Path, tmp_path: Path, database_url: str
) -> Iterator[Callable[..., RunningServer]]:
    started: list[subprocess.Popen[str]] = []

    def start(
        *extra: str,
        env: dict[str, str] | None = None,
        database: str | None = None,
        store: Path | None = None,
    ) -> RunningServer:
        """A server over the shared trained store, or over ``store`` (a private copy, for
        tests that register versions)."""
        settings = make_settings(store or trained_store, database or database_url)
        server = launch_server(settings, tmp_path, *extra, env=env)
        started.append(server.process)
        return server

    yield start
    for process in started:
        stop(process)
