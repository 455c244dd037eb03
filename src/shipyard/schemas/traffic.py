"""Traffic of one model over time, for charts: requests, errors, latency and labels."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TrafficBucket(BaseModel):
    start: datetime
    requests: int = Field(description="scoring requests answered (any status)")
    client_errors: int = Field(description="answered 4xx (bad input, no key, rate limited, …)")
    server_errors: int = Field(description="answered 5xx")
    latency_p50_ms: float | None = Field(description="median request duration; null: none")
    latency_p95_ms: float | None
    predictions: int = Field(description="records logged (one request may hold several)")
    labels: dict[str, int] = Field(description="logged records per predicted label")


class TrafficRead(BaseModel):
    """Requests from every worker and replica (counted per minute), labels from the log."""

    model: str
    window_start: datetime
    window_end: datetime
    bucket_seconds: int
    requests: int
    client_errors: int
    server_errors: int
    predictions: int
    statuses: dict[str, int] = Field(description="status code -> requests in the window")
    buckets: list[TrafficBucket] = Field(description="oldest first, one per bucket, empty ones too")
