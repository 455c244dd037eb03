"""Log-writer benchmark: rows per second into the prediction log, SQLite and PostgreSQL.

Rows of the attrition shape (30 inputs as JSON), written four ways in one run:
- one INSERT and one COMMIT per row (the hand-written baseline);
- one multi-row INSERT per transaction of 1,000 rows (the writer's statement, by hand);
- the group-commit writer fed by 1 submitter (one row per commit: the worst case);
- the group-commit writer fed by 64 concurrent submitters of one row each (as 64 clients).

    python bench/log_writer.py [--rows 5000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from shipyard.db import Database, open_database, upgrade_database
from shipyard.db.predictions import insert_entries
from shipyard.db.writer import PredictionLogWriter
from shipyard.domain.ids import new_id
from shipyard.domain.prediction import PredictionEntry

RECORD = {f"feature_{i}": i * 1.5 for i in range(16)} | {
    f"category_{i}": "value" for i in range(14)
}


def entry() -> PredictionEntry:
    return PredictionEntry(
        id=new_id(),
        created_at=datetime.now(UTC),
        model_name="attrition",
        model_version="1",
        inputs=RECORD,
        label="No",
        probabilities={"No": 0.8, "Yes": 0.2},
        latency_ms=5.0,
        request_id="bench",
        caller_id="",
    )


def row_per_commit(database: Database, rows: int) -> None:
    for _ in range(rows):
        with database.engine.begin() as connection:
            insert_entries(connection, [entry()])


def multi_row(database: Database, rows: int) -> None:
    for start in range(0, rows, 1_000):
        with database.engine.begin() as connection:
            insert_entries(connection, [entry() for _ in range(min(1_000, rows - start))])


def writer_with(submitters: int) -> Callable[[Database, int], None]:
    def run(database: Database, rows: int) -> None:
        writer = PredictionLogWriter(database, max_batch_rows=2_000, max_pending_rows=100_000)
        writer.start()
        per_submitter = rows // submitters

        def submit() -> None:
            for _ in range(per_submitter):
                writer.submit([entry()]).result()

        threads = [threading.Thread(target=submit) for _ in range(submitters)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        writer.stop()

    return run


WAYS: dict[str, Callable[[Database, int], None]] = {
    "INSERT + COMMIT per row": row_per_commit,
    "multi-row INSERT, 1,000 rows per commit": multi_row,
    "writer, 1 submitter": writer_with(1),
    "writer, 64 concurrent submitters": writer_with(64),
}


def measure(url: str, rows: int) -> dict[str, float]:
    results = {}
    for name, way in WAYS.items():
        database = open_database(url)
        upgrade_database(database)
        with database.engine.begin() as connection:
            connection.execute(text("DELETE FROM predictions"))
        count = rows // 10 if name.endswith("per row") or "1 submitter" in name else rows
        started = time.perf_counter()
        way(database, count)
        results[name] = count / (time.perf_counter() - started)
        database.dispose()
    return results


def postgres_database(admin_url: str, name: str, *, create: bool) -> str:
    """Create (or drop) the benchmark's own database on the server."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if create:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    scratch = Path(tempfile.mkdtemp(prefix="shipyard-bench-"))
    pg_name = f"shipyard_bench_{new_id().hex[:8]}"
    stores = {
        "SQLite (WAL, synchronous=FULL)": f"sqlite:///{scratch / 'log.db'}",
        "PostgreSQL (fsync, synchronous_commit on)": postgres_database(
            args.postgres, pg_name, create=True
        ),
    }
    print(f"log writer, {args.rows} rows (a tenth for the one-row-per-commit ways)\n")
    print("| way | " + " | ".join(f"{store} rows/s" for store in stores) + " |")
    print("|---|" + "---:|" * len(stores))
    try:
        measured = {store: measure(url, args.rows) for store, url in stores.items()}
    finally:
        postgres_database(args.postgres, pg_name, create=False)
    for way in WAYS:
        cells = [f"{measured[store][way]:,.0f}" for store in stores]
        print(f"| {way} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
