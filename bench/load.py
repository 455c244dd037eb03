"""A closed-loop HTTP load generator: N connections, each sending the next request as soon
as the previous answer arrives, for a fixed time. Prints one JSON line of results.

    python bench/load.py URL BODY_FILE CONCURRENCY SECONDS

The API key to send (``X-API-Key``) comes from ``SHIPYARD_API_KEY`` when it is set.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import httpx


async def run(url: str, body: bytes, concurrency: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    headers = {"Content-Type": "application/json"}
    if key := os.environ.get("SHIPYARD_API_KEY"):
        headers["X-API-Key"] = key

    async def connection() -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=60) as client:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "ok": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
    }


if __name__ == "__main__":
    target, body_file, concurrency, seconds = sys.argv[1:5]
    result = asyncio.run(
        run(target, Path(body_file).read_bytes(), int(concurrency), float(seconds))
    )
    print(json.dumps(result))
