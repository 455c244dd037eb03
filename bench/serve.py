"""Serving benchmark: shipyard against its baselines, in one run on one machine.

Baselines measured in the same run:
- in-process: validate + predict one record in a loop (the ceiling for one core);
- floor: a hand-written FastAPI app around the same model (no validation, no log).
Then `shipyard serve` (typed validation, every prediction committed to SQLite before the
answer). Ratios between rows of one run are what matter; absolute numbers belong to the
machine.

    python bench/serve.py --seconds 10 --concurrency 1,16,64
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from shipyard.config import Settings
from shipyard.db import open_database, upgrade_database
from shipyard.db import predictions as log
from shipyard.domain.auth import Scope
from shipyard.services.keys import create_key
from shipyard.services.loading import load_served_model
from shipyard.services.runtime import registry_for
from shipyard.services.training import TrainingOptions, train_example
from shipyard.training.datasets import example

BENCH = Path(__file__).parent
RESULTS = BENCH / "results"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


def in_process(settings: Settings, body: bytes, calls: int = 500) -> dict[str, float]:
    served = load_served_model(registry_for(settings), "attrition", settings.serving)
    from shipyard.serving.predictor import predict_records

    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        predict_records(served.predictor, served.validator.parse(body), served.input_schema)
        timings.append(time.perf_counter() - started)
    timings.sort()
    return {
        "rps": calls / sum(timings),
        "p50_ms": timings[len(timings) // 2] * 1000,
        "p99_ms": timings[int(len(timings) * 0.99) - 1] * 1000,
    }


def load(
    url: str, body_file: Path, concurrency: int, seconds: float, env: dict[str, str] | None = None
) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH / "load.py"),
            url,
            str(body_file),
            str(concurrency),
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def serve(command: list[str], env: dict[str, str], ready_url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_ready(ready_url, process)
    return process


def prepare(database_url: str | None = None) -> tuple[Path, Settings, Path, dict[str, str]]:
    """A scratch data dir with the attrition model trained and a migrated log; the body of
    one request; the environment of a server over them."""
    scratch = Path(tempfile.mkdtemp(prefix="shipyard-bench-"))
    settings = Settings(data_dir=scratch, database_url=database_url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_example(registry_for(settings), "attrition", TrainingOptions(algorithm="logistic"))
    database = open_database(settings.resolved_database_url())
    upgrade_database(database)
    key = create_key(database, "bench", frozenset({Scope.PREDICT}))
    database.dispose()
    features, _ = example("attrition").load()
    record = {k: (v.item() if hasattr(v, "item") else v) for k, v in features.iloc[0].items()}
    body_file = scratch / "record.json"
    body_file.write_text(json.dumps(record))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    env |= {
        "SHIPYARD_DATA_DIR": str(scratch),
        "SHIPYARD_DATABASE_URL": settings.resolved_database_url(),
        "SHIPYARD_MLFLOW_TRACKING_URI": settings.resolved_tracking_uri(),
        # Authenticated as a client would be; no rate limit, which would cap the load.
        "SHIPYARD_API_KEY": key.plaintext,
        "SHIPYARD_RATE_LIMIT__PER_KEY": "",
        "PYTHONPATH": str(BENCH.parent),
    }
    return scratch, settings, body_file, env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", default="1,16,64")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]

    _, settings, body_file, env = prepare()
    rows: list[dict[str, Any]] = [
        {"server": "in-process", "concurrency": 1, **in_process(settings, body_file.read_bytes())}
    ]

    floor_port, shipyard_port, unlogged_port = free_port(), free_port(), free_port()
    servers = {
        "floor": (
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.floor_app:app",
                "--port",
                str(floor_port),
                "--no-access-log",
            ],
            f"http://127.0.0.1:{floor_port}",
            f"http://127.0.0.1:{floor_port}/docs",
        ),
        "shipyard, log off": (
            [
                sys.executable,
                *("-m", "uvicorn", "bench.app_without_log:create", "--factory"),
                *("--no-access-log", "--port", str(unlogged_port)),
            ],
            f"http://127.0.0.1:{unlogged_port}",
            f"http://127.0.0.1:{unlogged_port}/readyz",
        ),
        "shipyard": (
            [
                sys.executable,
                *("-m", "shipyard", "serve", "--no-access-log", "--port", str(shipyard_port)),
            ],
            f"http://127.0.0.1:{shipyard_port}",
            f"http://127.0.0.1:{shipyard_port}/readyz",
        ),
    }
    for name, (command, base, ready) in servers.items():
        process = serve(command, env, ready)
        try:
            warm_up = load(f"{base}/predict", body_file, 4, 2, env)
            rows.append({"server": name, "concurrency": 4, "warm_up": True, **warm_up})
            for level in levels:
                rows.append(
                    {
                        "server": name,
                        "concurrency": level,
                        **load(f"{base}/predict", body_file, level, args.seconds, env),
                    }
                )
        finally:
            process.terminate()
            process.wait(30)

    database = open_database(settings.resolved_database_url())
    with database.session_scope() as session:
        logged = log.count_predictions(session)
    database.dispose()
    answered = sum(int(r.get("ok", 0)) for r in rows if r["server"] == "shipyard")
    report(rows, logged=logged, answered=answered, seconds=args.seconds)


def report(rows: list[dict[str, Any]], *, logged: int, answered: int, seconds: float) -> None:
    floor = {
        r["concurrency"]: r["rps"] for r in rows if r["server"] == "floor" and not r.get("warm_up")
    }
    ceiling = rows[0]["rps"]
    lines = [
        f"serving benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, {seconds:g} s per row",
        "",
        "| server | concurrency | req/s | p50 ms | p99 ms | vs floor | vs in-process |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r.get("warm_up"):
            continue
        base = floor.get(r["concurrency"])
        versus_floor = f"{r['rps'] / base:.2f}" if base and r["server"] != "in-process" else ""
        lines.append(
            f"| {r['server']} | {r['concurrency']} | {r['rps']:.0f} | {r['p50_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {versus_floor} | {r['rps'] / ceiling:.2f} |"
        )
    unlogged = {
        r["concurrency"]: r["rps"]
        for r in rows
        if r["server"] == "shipyard, log off" and not r.get("warm_up")
    }
    logged_rps = {
        r["concurrency"]: r["rps"]
        for r in rows
        if r["server"] == "shipyard" and not r.get("warm_up")
    }
    costs = [
        f"{level} clients: {1 - logged_rps[level] / unlogged[level]:+.0%}"
        for level in sorted(unlogged)
        if level in logged_rps
    ]
    lines += [
        "",
        "throughput lost to the durable log (shipyard vs shipyard, log off): " + ", ".join(costs),
        "",
        f"shipyard answered {answered} predictions with 200 (warm-up included); "
        f"the log holds {logged} rows",
    ]
    save_results("serve", {"rows": rows, "logged": logged}, "\n".join(lines))


def save_results(name: str, data: dict[str, Any], text: str) -> None:
    """Print the report; keep it and its data in ``bench/results/<name>-<time>.{md,json}``."""
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{name}-{stamp}.json").write_text(json.dumps(data, indent=2))
    (RESULTS / f"{name}-{stamp}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
