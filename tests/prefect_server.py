"""A real Prefect server for the tests, in an environment of its own.

Prefect's server does not run on shipyard's FastAPI and SQLAlchemy (see docs/lifecycle.md),
so the tests do what the docs tell users to do: a separate virtual environment with the
server's own pins, built on first need and kept in the test tools' cache folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.debian_tools import CACHE
from tests.e2e.conftest import wait_until_answering

SERVER_REQUIREMENTS = ("prefect==3.9.1", "fastapi<0.151", "sqlalchemy<2.1")
"""What the server's environment needs (docs/lifecycle.md gives the same command)."""


def prefect_command() -> Path:
    """The ``prefect`` command of the server's environment, built once and cached."""
    venv = CACHE / "prefect-server-3.9.1"
    command = venv / "bin" / "prefect"
    ready = venv / ".installed"
    if ready.exists():
        return command
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *SERVER_REQUIREMENTS],
        check=True,
        timeout=900,
    )
    ready.touch()
    return command


@contextmanager
def prefect_server(home: Path, port: int) -> Iterator[str]:
    """``prefect server start`` on ``port`` with its database under ``home``; yields the
    API URL once it answers, and stops the server after the block."""
    command = prefect_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SHIPYARD_"))}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
        }
    )
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [str(command), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        try:
            wait_until_answering(f"{url}/health", process, timeout=120)
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{error}: {(home / 'server.log').read_text()}") from error
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
