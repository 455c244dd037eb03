"""``shipyard demo`` from an empty folder: trains, migrates, serves, prints a working curl."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port, stop, wait_until_ready

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("dashboard", [False, True], ids=["api", "with-dashboard"])
def test_demo_trains_serves_and_its_curl_example_works(tmp_path: Path, dashboard: bool) -> None:
    """As the README runs it: no settings at all, the embedded default in the working dir;
    with ``--dashboard``, the dashboard at ``/`` and the API at ``/api`` on the same port."""
    workdir = tmp_path / "project"
    workdir.mkdir()
    data_dir = workdir / ".shipyard"
    port = free_port()
    log_path = tmp_path / "demo.log"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SHIPYARD_", "MLFLOW_")) and name != "DATABASE_URL"
    }
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "shipyard", "demo", "--port", str(port)),
                *(["--dashboard"] if dashboard else []),
            ],
            cwd=workdir,
            env={**env, "COLUMNS": "400"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )
    site = f"http://127.0.0.1:{port}"
    url = f"{site}/api" if dashboard else site
    try:
        wait_until_ready(url, process, timeout=240)
        output = log_path.read_text()
        assert "No @champion for attrition yet: training it." in output
        assert "@champion -> version 1" in output
        [curl] = [line for line in output.splitlines() if line.startswith("curl -s -X POST")]
        words = shlex.split(curl)
        target = words[words.index("POST") + 1].replace("localhost", "127.0.0.1")
        body = json.loads(words[words.index("-d") + 1])
        headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
        assert "X-API-Key" in headers  # auth is on by default: the demo mints a key
        assert httpx.post(target, json=body, timeout=30).status_code == 401
        response = httpx.post(target, json=body, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["predictions"][0]["version"] == "1"
        listed = httpx.get(
            f"{url}/v1/predictions",
            params={"limit": 5},
            headers={"X-API-Key": headers["X-API-Key"]},
        ).json()
        assert len(listed["items"]) == 1
        lines = output.splitlines()
        simulate, concept = [line for line in lines if line.startswith("shipyard simulate")]
        assert "--concept OverTime=Yes" in concept  # the retrain loop, shown next
        sent = subprocess.run(
            [sys.executable, "-m", "shipyard", *shlex.split(simulate)[1:], "--rows", "60"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "60 records sent to attrition with drift 0.5" in sent.stdout
        assert "monitoring every 1m" in output
        if dashboard:
            assert f"Dashboard: http://localhost:{port}/" in output
            assert httpx.get(f"{site}/_stcore/health", timeout=10).text == "ok"
            assert "<title>" in httpx.get(f"{site}/", timeout=10).text
    finally:
        stop(process)
    assert (data_dir / "mlflow.db").exists()
    assert (data_dir / "shipyard.db").exists()
    assert sorted(p.name for p in workdir.iterdir()) == [".shipyard"]  # nothing else written
