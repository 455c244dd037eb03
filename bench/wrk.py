"""Load from wrk (Debian's ``wrk`` package): a closed loop of N connections on one thread,
in C, so that the load generator takes little of the two cores the server also needs.

    apt-get install wrk
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("wrk_post.lua")


class WrkMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__("the benchmarks drive load with wrk: apt-get install wrk")


def load(
    url: str,
    body_file: Path,
    concurrency: int,
    seconds: float,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST ``body_file`` to ``url`` from ``concurrency`` connections for ``seconds``.

    Returns ``ok`` (2xx answers), ``errors`` (non-2xx and socket errors), ``rps`` (2xx per
    second), ``p50_ms``, ``p99_ms`` and ``max_ms`` (wrk's latency of every request).
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkMissing()
    environment = {**(env if env is not None else os.environ), "WRK_BODY": str(body_file)}
    completed = subprocess.run(
        [
            wrk,
            "-t1",
            f"-c{concurrency}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(SCRIPT),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    errors = int(result["non_2xx"]) + int(result["socket_errors"])
    ok = int(result["requests"]) - int(result["non_2xx"])
    seconds_run = int(result["duration_us"]) / 1e6
    return {
        "ok": ok,
        "errors": errors,
        "rps": ok / seconds_run,
        "p50_ms": int(result["p50_us"]) / 1000,
        "p99_ms": int(result["p99_us"]) / 1000,
        "max_ms": int(result["max_us"]) / 1000,
    }
