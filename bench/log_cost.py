"""What the durable prediction log costs in API throughput, measured against itself.

Two servers run side by side over the same trained model: ``shipyard serve`` (every record
committed before its answer) and the same app with a writer that acknowledges and writes
nothing (``bench/app_without_log.py``). Rounds alternate between them (off, on, off, on, ...)
so that drifts of the machine hit both alike; the cost is 1 - (median on / median off).

    python -m bench.log_cost --concurrency 64 --rounds 5 --seconds 10 [--postgres URL]

With ``--postgres`` the log goes to a database the benchmark creates on that server and drops
afterwards; otherwise to SQLite in a scratch folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from bench.serve import free_port, prepare, save_results, serve
from bench.wrk import load
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shipyard.db import open_database
from shipyard.db import predictions as log


def create_database(server_url: str) -> str:
    name = f"shipyard_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", help="SQLAlchemy URL of a PostgreSQL server to use")
    args = parser.parse_args()

    database_url = create_database(args.postgres) if args.postgres else None
    try:
        result = measure(database_url, args.concurrency, args.rounds, args.seconds)
    finally:
        if database_url and args.postgres:
            drop_database(args.postgres, database_url)
    report(result, "PostgreSQL" if args.postgres else "SQLite")


def measure(
    database_url: str | None, concurrency: int, rounds: int, seconds: float
) -> dict[str, Any]:
    prepared = prepare(database_url)
    settings, body_file, env = prepared.settings, prepared.one_record, prepared.env
    on_port, off_port = free_port(), free_port()
    python = sys.executable
    servers = {
        "off": serve(
            [
                *(python, "-m", "uvicorn", "bench.app_without_log:create", "--factory"),
                *("--no-access-log", "--port", str(off_port)),
            ],
            env,
            f"http://127.0.0.1:{off_port}/readyz",
        ),
        "on": serve(
            [python, "-m", "shipyard", "serve", "--no-access-log", "--port", str(on_port)],
            env,
            f"http://127.0.0.1:{on_port}/readyz",
        ),
    }
    urls = {
        "off": f"http://127.0.0.1:{off_port}/predict",
        "on": f"http://127.0.0.1:{on_port}/predict",
    }
    samples: dict[str, list[float]] = {"off": [], "on": []}
    answered = 0
    try:
        for name in ("off", "on"):
            load(urls[name], body_file, 4, 2, env)  # warm-up, not counted
        for _ in range(rounds):
            for name in ("off", "on"):
                outcome = load(urls[name], body_file, concurrency, seconds, env)
                samples[name].append(outcome["rps"])
                if name == "on":
                    answered += int(outcome["ok"])
    finally:
        for process in servers.values():
            process.terminate()
            process.wait(30)
    database = open_database(settings.resolved_database_url())
    with database.session_scope() as session:
        logged = log.count_predictions(session)
    database.dispose()
    return {
        "concurrency": concurrency,
        "seconds": seconds,
        "samples": samples,
        "logged": logged,
        "answered_in_rounds": answered,
    }


def report(result: dict[str, Any], database: str) -> None:
    off, on = result["samples"]["off"], result["samples"]["on"]
    cost = 1 - statistics.median(on) / statistics.median(off)
    per_round = [1 - b / a for a, b in zip(off, on, strict=True)]
    lines = [
        f"log cost, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {database}, "
        f"{result['concurrency']} clients, {len(off)} rounds of {result['seconds']:g} s",
        "",
        "| round | log off req/s | log on req/s | cost |",
        "|---:|---:|---:|---:|",
    ]
    for index, (a, b, c) in enumerate(zip(off, on, per_round, strict=True), start=1):
        lines.append(f"| {index} | {a:.1f} | {b:.1f} | {c:+.1%} |")
    lines += [
        f"| median | {statistics.median(off):.1f} | {statistics.median(on):.1f} | {cost:+.1%} |",
        "",
        f"the log holds {result['logged']} rows (warm-up included) for "
        f"{result['answered_in_rounds']} answers in the measured rounds",
    ]
    save_results("log-cost", result, "\n".join(lines))


if __name__ == "__main__":
    main()
