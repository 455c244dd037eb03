"""Serving benchmark: shipyard against its two references, in one run on one machine.

    python -m bench.serve --seconds 10 --concurrency 1,16,64

Measured in the same run, over the same trained model (the attrition example, logistic):

- **ceiling**: ``bench/ceiling_app.py``, FastAPI validating the same 30-field record with
  pydantic and answering a constant: what the HTTP stack alone costs here;
- **baseline**: ``bench/floor_app.py``, the FastAPI file people write by hand (scikit-learn
  on the event loop, no validation beyond JSON objects, no log);
- **shipyard**: ``shipyard serve``, every prediction committed to SQLite before its answer;
- **shipyard, log off**: the same app with a writer that acknowledges without writing
  (``bench/app_without_log.py``), to show what the durable log costs. Not a product setting.

Each server is driven by wrk (``bench/wrk.py``) with one-record requests at each
concurrency, then (baseline and shipyard) with 1,000-record requests from 4 connections.
Also in-process: one-record and batch predict, and bulk ``shipyard predict`` of a file
against in-process batch predict of the same rows. Ratios between rows of one run are what
matter; absolute numbers belong to the machine.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from bench.wrk import load

from shipyard.config import Settings
from shipyard.db import open_database, upgrade_database
from shipyard.db import predictions as log
from shipyard.domain.auth import Scope
from shipyard.services.dask_scoring import dask_engine, model_source
from shipyard.services.keys import create_key
from shipyard.services.loading import load_served_model
from shipyard.services.runtime import registry_for
from shipyard.services.scoring import score_file
from shipyard.services.training import TrainingOptions, train_example
from shipyard.serving.predictor import SklearnClassifier, frame_to_columns, predict_records
from shipyard.training.datasets import example

BENCH = Path(__file__).parent
RESULTS = BENCH / "results"
BIG_REQUEST_ROWS = 1_000
BIG_REQUEST_CLIENTS = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], *, post: bytes | None = None) -> None:
    for _ in range(1_200):
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if post is None:
                status = httpx.get(url, timeout=1).status_code
            else:
                headers = {"Content-Type": "application/json"}
                status = httpx.post(url, content=post, headers=headers, timeout=1).status_code
            if status == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    raise TimeoutError(url)


def serve(command: list[str], env: dict[str, str], ready_url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_ready(ready_url, process)
    return process


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a server may run workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += _tree(int(child))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process tree so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def peak_rss_mb(pid: int) -> float:
    """Sum of the tree's peak resident set sizes (VmHWM)."""
    total = 0
    for member in _tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


@dataclass
class Prepared:
    scratch: Path
    settings: Settings
    one_record: Path
    big_request: Path
    env: dict[str, str]
    features: pd.DataFrame = field(repr=False)


def prepare(database_url: str | None = None) -> Prepared:
    """A scratch data dir with the attrition model trained and a migrated log, the request
    bodies, and the environment of a server over them."""
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
    records = json.loads(features.to_json(orient="records"))
    one_record = scratch / "record.json"
    one_record.write_text(json.dumps(records[0]))
    big_request = scratch / "records-1000.json"
    big_request.write_text(json.dumps((records * 2)[:BIG_REQUEST_ROWS]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    env |= {
        "SHIPYARD_DATA_DIR": str(scratch),
        "SHIPYARD_DATABASE_URL": settings.resolved_database_url(),
        "SHIPYARD_MLFLOW_TRACKING_URI": settings.resolved_tracking_uri(),
        # Authenticated as a client would be; no rate limit, which would cap the load.
        "SHIPYARD_API_KEY": key.plaintext,
        "SHIPYARD_RATE_LIMIT__PER_KEY": "",
        # The request path only: no scheduled monitoring run, rule check or registry look
        # lands inside a measurement (a monitoring run reads the whole log), and no access
        # log line for the servers started without the CLI's --no-access-log.
        "SHIPYARD_MONITORING__EVERY": "",
        "SHIPYARD_ALERTS__EVERY": "",
        "SHIPYARD_SERVING__FOLLOW_EVERY": "",
        "SHIPYARD_SERVER__ACCESS_LOG": "false",
        "PYTHONPATH": str(BENCH.parent),
    }
    return Prepared(scratch, settings, one_record, big_request, env, features)


def _timed(calls: int, action: Any) -> dict[str, float]:
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    timings.sort()
    return {
        "calls_per_s": calls / sum(timings),
        "p50_ms": timings[len(timings) // 2] * 1000,
        "p99_ms": timings[int(len(timings) * 0.99) - 1] * 1000,
    }


def in_process(prepared: Prepared) -> list[dict[str, Any]]:
    """One record (validate + predict) and 10,000-row batches, ONNX and scikit-learn."""
    settings = prepared.settings
    registry = registry_for(settings)
    served = load_served_model(registry, "attrition", settings.serving)
    original = SklearnClassifier(registry.load("attrition", "champion").estimator)
    body = prepared.one_record.read_bytes()
    batch = pd.concat([prepared.features] * 7, ignore_index=True).head(10_000)
    columns = frame_to_columns(batch, served.input_schema)
    rows = []
    for name, predictor in ((served.choice.kind, served.predictor), ("sklearn", original)):
        one = _timed(
            500 if name != "sklearn" else 100,
            lambda p=predictor: predict_records(
                p, served.validator.parse(body), served.input_schema
            ),
        )
        rows.append({"what": f"one record, {name}", **one, "rows_per_s": one["calls_per_s"]})
        many = _timed(10, lambda p=predictor: p.predict_columns(columns))
        rows.append(
            {
                "what": f"10,000-row batch, {name}",
                **many,
                "rows_per_s": 10_000 * many["calls_per_s"],
            }
        )
    return rows


def bulk(prepared: Prepared, rows: int) -> dict[str, Any]:
    """``shipyard predict`` of a Parquet file against in-process batch predict."""
    settings = prepared.settings
    registry = registry_for(settings)
    served = load_served_model(registry, "attrition", settings.serving)
    repeats = -(-rows // len(prepared.features))
    frame = pd.concat([prepared.features] * repeats, ignore_index=True).head(rows)
    source = prepared.scratch / "bulk-in.parquet"
    frame.to_parquet(source, index=False)
    columns = frame_to_columns(frame, served.input_schema)
    started = time.perf_counter()
    for start in range(0, rows, 10_000):
        chunk = {name: values[start : start + 10_000] for name, values in columns.items()}
        served.predictor.predict_columns(chunk)
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    score_file(served, source, prepared.scratch / "bulk-out-1.parquet")
    score_file_seconds = time.perf_counter() - started
    # The Dask engine on a LocalCluster (one worker process per core): the cluster's start and
    # each worker's first load of the model are left out, as a long-running cluster has them.
    with dask_engine(model_source(registry, served, settings.serving)) as engine:
        score_file(served, source, prepared.scratch / "bulk-out-dask-warm.parquet", engine=engine)
        started = time.perf_counter()
        score_file(served, source, prepared.scratch / "bulk-out-dask.parquet", engine=engine)
        dask_seconds = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run(
        [
            *(sys.executable, "-m", "shipyard", "predict", str(source)),
            *(str(prepared.scratch / "bulk-out-2.parquet"), "--model", "attrition"),
        ],
        env=prepared.env,
        check=True,
        capture_output=True,
    )
    command_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "in_process_batch_rows_per_s": rows / batch_seconds,
        "score_file_rows_per_s": rows / score_file_seconds,
        "dask_rows_per_s": rows / dask_seconds,
        "command_rows_per_s": rows / command_seconds,
        "command_seconds": command_seconds,
    }


@dataclass
class Server:
    name: str
    command: list[str]
    ready: str  # GET this (or POST the record to /predict) until 200
    post_ready: bool = False
    big_requests: bool = True


def servers() -> list[Server]:
    python = sys.executable
    uvicorn = [python, "-m", "uvicorn", "--no-access-log", "--port", "{port}"]
    return [
        Server("ceiling", [*uvicorn, "bench.ceiling_app:app"], "/predict", True, False),
        Server("baseline", [*uvicorn, "bench.floor_app:app"], "/predict", True),
        Server(
            "shipyard",
            [python, "-m", "shipyard", "serve", "--no-access-log", "--port", "{port}"],
            "/readyz",
        ),
        # Diagnosis only: the same app with a writer that writes nothing (not a setting).
        Server(
            "shipyard, log off",
            [*uvicorn, "--factory", "bench.app_without_log:create"],
            "/readyz",
        ),
    ]


def measure(server: Server, prepared: Prepared, levels: list[int], seconds: float) -> list[dict]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [part.replace("{port}", str(port)) for part in server.command]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=prepared.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    rows: list[dict[str, Any]] = []
    try:
        post = prepared.one_record.read_bytes() if server.post_ready else None
        wait_ready(base + server.ready, process, post=post)
        ready_seconds = time.perf_counter() - started
        load(f"{base}/predict", prepared.one_record, 16, 2, prepared.env)  # warm-up
        runs = [(level, prepared.one_record, 1) for level in levels]
        if server.big_requests:
            runs.append((BIG_REQUEST_CLIENTS, prepared.big_request, BIG_REQUEST_ROWS))
        for clients, body, rows_per_request in runs:
            cpu_before = cpu_seconds(process.pid)
            outcome = load(f"{base}/predict", body, clients, seconds, prepared.env)
            cpu = cpu_seconds(process.pid) - cpu_before
            rows.append(
                {
                    "server": server.name,
                    "clients": clients,
                    "rows_per_request": rows_per_request,
                    **outcome,
                    "rows_per_s": outcome["rps"] * rows_per_request,
                    "cpu_ms_per_request": 1000 * cpu / max(outcome["ok"], 1),
                }
            )
        for row in rows:
            row["peak_rss_mb"] = peak_rss_mb(process.pid)
            row["ready_s"] = ready_seconds
    finally:
        process.terminate()
        process.wait(30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", default="1,16,64")
    parser.add_argument("--bulk-rows", type=int, default=200_000)
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]

    prepared = prepare()
    http_rows = []
    for server in servers():
        http_rows += measure(server, prepared, levels, args.seconds)
    database = open_database(prepared.settings.resolved_database_url())
    with database.session_scope() as session:
        logged = log.count_predictions(session)
    database.dispose()
    answered = sum(r["ok"] * r["rows_per_request"] for r in http_rows if r["server"] == "shipyard")
    data = {
        "http": http_rows,
        "in_process": in_process(prepared),
        "bulk": bulk(prepared, args.bulk_rows),
        "logged_rows": logged,
        "answered_rows_measured": answered,
        "seconds": args.seconds,
    }
    save_results("serve", data, report(data))


def _ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}" if base else ""


def report(data: dict[str, Any]) -> str:
    http = data["http"]
    ceiling = {r["clients"]: r["rps"] for r in http if r["server"] == "ceiling"}
    baseline = {
        (r["clients"], r["rows_per_request"]): r["rows_per_s"]
        for r in http
        if r["server"] == "baseline"
    }
    lines = [
        f"serving benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{data['seconds']:g} s per row, load from wrk, prediction log on (SQLite)",
        "",
        "| server | clients | rows/req | req/s | rows/s | p50 ms | p99 ms | errors "
        "| CPU ms/req | peak RSS MB | ready s | vs ceiling | vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in http:
        one_record = r["rows_per_request"] == 1
        versus_ceiling = _ratio(r["rps"], ceiling.get(r["clients"])) if one_record else ""
        versus_baseline = (
            _ratio(r["rows_per_s"], baseline.get((r["clients"], r["rows_per_request"])))
            if r["server"] != "baseline"
            else ""
        )
        lines.append(
            f"| {r['server']} | {r['clients']} | {r['rows_per_request']} | {r['rps']:.0f} "
            f"| {r['rows_per_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.1f} | {r['errors']} "
            f"| {r['cpu_ms_per_request']:.2f} | {r['peak_rss_mb']:.0f} | {r['ready_s']:.1f} "
            f"| {versus_ceiling} | {versus_baseline} |"
        )
    lines += [
        "",
        "| in-process | calls/s | rows/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in data["in_process"]:
        lines.append(
            f"| {r['what']} | {r['calls_per_s']:.0f} | {r['rows_per_s']:.0f} "
            f"| {r['p50_ms']:.3f} | {r['p99_ms']:.3f} |"
        )
    bulk_run = data["bulk"]
    batch = bulk_run["in_process_batch_rows_per_s"]
    lines += [
        "",
        f"bulk scoring of {bulk_run['rows']:,} rows (Parquet in, Parquet out): "
        f"in-process batch predict {batch:,.0f} rows/s; `score_file` (what `shipyard predict` "
        f"runs) {bulk_run['score_file_rows_per_s']:,.0f} rows/s "
        f"({bulk_run['score_file_rows_per_s'] / batch:.2f} of it); the Dask engine on a "
        f"LocalCluster of one worker per core {bulk_run['dask_rows_per_s']:,.0f} rows/s "
        f"({bulk_run['dask_rows_per_s'] / batch:.2f}); the whole `shipyard predict` "
        f"command, start-up included, {bulk_run['command_rows_per_s']:,.0f} rows/s "
        f"({bulk_run['command_seconds']:.1f} s)",
        "",
        f"shipyard answered {data['answered_rows_measured']:,} rows with 2xx in the measured "
        f"runs; the log holds {data['logged_rows']:,} (warm-ups and requests in flight when wrk "
        "stopped included)",
    ]
    return "\n".join(lines)


def save_results(name: str, data: dict[str, Any], text: str) -> None:
    """Print the report; keep it and its data in ``bench/results/<name>-<time>.{md,json}``."""
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{name}-{stamp}.json").write_text(json.dumps(data, indent=2, default=float))
    (RESULTS / f"{name}-{stamp}.md").write_text(text + "\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
