"""Traffic over time: the scoring requests each process counts (flushed to SQL every few
seconds, added up across processes) and the labels of the log, per time bucket."""

from __future__ import annotations

import asyncio
import logging
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from shipyard.db import Database
from shipyard.db import traffic as counts
from shipyard.domain.traffic import LATENCY_BOUNDS, RequestTally
from shipyard.schemas.traffic import TrafficBucket, TrafficRead

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 5.0


def flush_request_counts(database: Database, tally: RequestTally) -> None:
    """Add what this process counted to SQL; kept for the next flush if that fails."""
    with tally.flushing:
        taken = tally.take()
        if not taken:
            return
        try:
            with database.session_scope() as session:
                counts.add_request_counts(session, taken)
        except Exception:
            tally.give_back(taken)
            raise


async def flush_periodically(database: Database, tally: RequestTally) -> None:
    while True:
        await asyncio.sleep(FLUSH_SECONDS)
        try:
            await asyncio.to_thread(flush_request_counts, database, tally)
        except Exception:  # a schedule boundary: the counts wait for the next flush
            logger.warning("request counts not stored yet; retrying in %gs", FLUSH_SECONDS)


def latency_quantile(histogram: dict[float, int], quantile: float) -> float | None:
    """The ``quantile`` of durations counted per bound, interpolated inside its bucket (as
    Prometheus' ``histogram_quantile`` does); seconds."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = quantile * total
    seen = 0
    lower = 0.0
    for bound in LATENCY_BOUNDS:
        in_bucket = histogram.get(bound, 0)
        if in_bucket and seen + in_bucket >= rank:
            if bound == LATENCY_BOUNDS[-1]:
                return lower  # beyond the last finite bound: that bound is all we know
            return lower + (bound - lower) * (rank - seen) / in_bucket
        seen += in_bucket
        lower = bound
    return lower


def bucket_seconds_for(window: timedelta, buckets: int) -> int:
    """Whole minutes, at least one: requests are counted per minute."""
    return max(60, math.ceil(window.total_seconds() / buckets / 60) * 60)


def model_traffic(
    database: Database,
    model: str,
    window: timedelta,
    buckets: int,
    *,
    now: datetime | None = None,
) -> TrafficRead:
    seconds = bucket_seconds_for(window, buckets)
    count = math.ceil(window.total_seconds() / seconds)
    # The last bucket holds the current minute; buckets start on whole minutes.
    end = (now or datetime.now(UTC)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(seconds=seconds * count)
    with database.session_scope() as session:
        requests = counts.request_buckets(session, model, start, end, seconds)
        labels = counts.label_buckets(session, model, start, end, seconds)
    histograms: dict[int, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    by_status: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for index, status, bound, n in requests:
        histograms[index][bound] += n
        by_status[index][status] += n
    label_counts: dict[int, dict[str, int]] = defaultdict(dict)
    for index, label, n in labels:
        label_counts[index][label] = n
    rows = []
    for index in range(count):
        statuses = by_status.get(index, {})
        p50 = latency_quantile(histograms.get(index, {}), 0.5)
        p95 = latency_quantile(histograms.get(index, {}), 0.95)
        shares = label_counts.get(index, {})
        rows.append(
            TrafficBucket(
                start=start + timedelta(seconds=seconds * index),
                requests=sum(statuses.values()),
                client_errors=sum(n for s, n in statuses.items() if 400 <= s < 500),
                server_errors=sum(n for s, n in statuses.items() if s >= 500),
                latency_p50_ms=None if p50 is None else p50 * 1000.0,
                latency_p95_ms=None if p95 is None else p95 * 1000.0,
                predictions=sum(shares.values()),
                labels=dict(sorted(shares.items())),
            )
        )
    totals: dict[int, int] = defaultdict(int)
    for statuses in by_status.values():
        for status, n in statuses.items():
            totals[status] += n
    return TrafficRead(
        model=model,
        window_start=start,
        window_end=end,
        bucket_seconds=seconds,
        requests=sum(b.requests for b in rows),
        client_errors=sum(b.client_errors for b in rows),
        server_errors=sum(b.server_errors for b in rows),
        predictions=sum(b.predictions for b in rows),
        statuses={str(s): n for s, n in sorted(totals.items())},
        buckets=rows,
    )
